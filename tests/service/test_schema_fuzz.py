"""Schemathesis over the service's OpenAPI schema: no generated request, signed in or not, gets a 5xx.

The service runs for real (uvicorn on a loopback port, the real database: PostgreSQL when TEST_DATABASE_URL
is set, else SQLite). Requests carry the action server's bearer token and a signed-in safeguarding lead's
cookie and CSRF token, so the fuzzing reaches the validation and the handlers behind the access checks.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from processes import free_port

from handoff.core.config import Settings
from handoff.core.migrate import upgrade
from handoff.main import create_app
from handoff.officers.models import Role

from .conftest import CLOSED_PORT_URL, _admin
from .console_helpers import PASSWORD, create_officer

API_TOKEN = "fuzzing-api-token-" + "x" * 16
LEAD = "lead.fuzz@example.ac.uk"


@dataclass
class Live:
    url: str
    headers: dict[str, str]
    cookies: dict[str, str]


@pytest.fixture(scope="module")
def fuzz_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The production engine when the tests have one (PostgreSQL), else SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/handoff.db"
        upgrade(Settings(database_url=url, _env_file=None).async_database_url)
        yield url
        return
    name = f"handoff_fuzz_{secrets.token_hex(4)}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(Settings(database_url=url, _env_file=None).async_database_url)
        yield url
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sign_in(url: str, email: str) -> tuple[dict[str, str], dict[str, str]]:
    """Sign in through the console's own form, as a browser would; returns cookies and the API's CSRF header."""
    with httpx.Client(base_url=url, follow_redirects=False) as browser:
        page = browser.get("/console")
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        response = browser.post("/console/login", data={**hidden, "email": email, "password": PASSWORD},
                                headers={"Origin": url})
        assert response.status_code == 303, response.text
        me = browser.get("/api/console/me")
        assert me.status_code == 200, me.text
        return dict(browser.cookies), {"X-CSRF-Token": me.json()["csrf_token"]}


@pytest.fixture(scope="module")
def live(fuzz_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app_settings = Settings(
        database_url=fuzz_database, rasa_url=CLOSED_PORT_URL, rasa_timeout=1.0, handoff_api_token=API_TOKEN,
        public_url=url, _env_file=None,
    )
    create_officer(app_settings, LEAD, role=Role.safeguarding_lead)
    server = uvicorn.Server(uvicorn.Config(create_app(app_settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on", ws_max_size=65536))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        cookies, csrf = _sign_in(url, LEAD)
        yield Live(url, {"Authorization": f"Bearer {API_TOKEN}", **csrf, "Origin": url}, cookies)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def operations(live: Live) -> list:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation, call, examples: int) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        response = call(case)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"

    run()


def test_no_request_gets_a_server_error(operations: list, live: Live) -> None:
    """Signed in as the lead and holding the action server's token: the requests reach the handlers."""
    assert len(operations) >= 15
    for operation in operations:
        _fuzz(operation, lambda case: case.call(base_url=live.url, headers=live.headers, cookies=live.cookies), 40)


def test_no_anonymous_request_gets_a_server_error(operations: list, live: Live) -> None:
    """The same, as a stranger: no token, no cookie."""
    for operation in operations:
        _fuzz(operation, lambda case: case.call(base_url=live.url), 10)


def test_the_schema_lists_every_api(live: Live) -> None:
    paths = httpx.get(f"{live.url}/openapi.json").json()["paths"]
    for path in ("/api/handoff-requests", "/api/console/queue", "/api/console/cases/{reference}", "/sms/inbound"):
        assert path in paths


def test_nul_characters_get_a_clear_400_not_a_database_error(live: Live) -> None:
    with httpx.Client(base_url=live.url, headers=live.headers, cookies=live.cookies) as client:
        for response in (
            client.get("/api/console/cases/%00abc"),
            client.post("/api/cases/resume", json={"sender_id": "abc\u0000", "reference": "K7M-4QX"}),
        ):
            assert response.status_code == 400
            assert "NUL" in response.json()["detail"]
        # A signed webhook checks its own signature and drops NUL from the student's words (test_sms.py): an
        # unsigned one is refused as unsigned.
        assert client.post("/sms/inbound", content=b"From=%2B447700900123&Body=hi%00", headers={
            "content-type": "application/x-www-form-urlencoded"}).status_code == 403
        # The same kind of request without the NUL goes on to the handler as usual.
        assert client.get("/api/console/cases/ABC-123").status_code == 404
        too_big = client.post("/api/cases/resume", content=b"x" * (70 * 1024),
                              headers={"content-type": "application/json"})
        assert too_big.status_code == 413


def test_chat_socket_refuses_nul_and_carries_on(live: Live) -> None:
    from websockets.sync.client import connect

    with connect(live.url.replace("http", "ws") + "/ws/chat", origin=live.url) as socket:
        socket.send(json.dumps({"type": "hello"}))
        assert json.loads(socket.recv(timeout=10))["type"] == "welcome"
        socket.send('{"type": "message", "client_id": "a\\u0000", "text": "hello"}')
        refused = json.loads(socket.recv(timeout=10))
        assert refused["type"] == "error" and "NUL" in refused["message"]
        socket.send(json.dumps({"type": "ping"}))
        assert json.loads(socket.recv(timeout=10))["type"] == "pong"


def test_half_an_emoji_in_any_field_gets_a_clear_answer_not_a_server_error(live: Live) -> None:
    """JSON can carry half an emoji (a lone surrogate), which UTF-8 cannot: every JSON body of the schema, each of
    its fields given one as text and as a list, is answered below 500 (a refusal echoes what it refuses)."""
    spec = httpx.get(f"{live.url}/openapi.json").json()
    schemas = spec["components"]["schemas"]
    sent = 0
    with httpx.Client(base_url=live.url, headers=live.headers, cookies=live.cookies) as client:
        for path, methods in spec["paths"].items():
            for method, operation in methods.items():
                body = operation.get("requestBody", {}).get("content", {}).get("application/json")
                if body is None:
                    continue
                ref = body["schema"].get("$ref", "")
                fields = list(schemas[ref.rsplit("/", 1)[-1]].get("properties", {})) if ref else []
                url = re.sub(r"\{[^}]+\}", "ABC-123", path)
                for value in (b'"\\udc94 x"', b'["\\ud83d"]'):
                    raw = b"{" + b",".join(json.dumps(f).encode() + b":" + value for f in fields) + b"}"
                    response = client.request(method.upper(), url, content=raw,
                                              headers={"content-type": "application/json"})
                    assert response.status_code < 500, f"{method.upper()} {path} {raw!r} -> {response.status_code}"
                    sent += 1
    assert sent >= 16  # eight JSON bodies or more, each sent both ways

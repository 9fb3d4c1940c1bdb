"""Staff sign-in: two-step codes, the pending step, throttling, CSRF on the forms, and the audit trail.

The helpers at the top sign in through the forms as a browser does; test_admin and test_access_matrix use them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from cryptography.fernet import Fernet
from sqlalchemy import select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff.core.config import Settings
from handoff.core.security import totp
from handoff.main import create_app
from handoff.officers.models import AuditEvent, Role

from ..conftest import CLOSED_PORT_URL
from ..console_helpers import PASSWORD, create_officer, form_token
from ..db_helpers import run_db

SAME_ORIGIN = {"Origin": "http://testserver"}


def login(client, email: str, password: str = PASSWORD, *, token: str | None = None, headers=None):
    """POST the sign-in form with this client's form token (or the one given)."""
    token = form_token(client) if token is None else token
    return client.post("/console/login", data={"email": email, "password": password, "csrf": token},
                       headers=SAME_ORIGIN if headers is None else headers, follow_redirects=False)


def send_code(client, code: str, path: str = "/console/code"):
    token = form_token(client, path)
    return client.post(path, data={"code": code, "csrf": token}, headers=SAME_ORIGIN, follow_redirects=False)


def key_on_page(html: str) -> str:
    match = re.search(r'id="totp-key">([A-Z2-7 ]+)<', html)
    assert match, "the set-up page shows no key"
    return match.group(1).replace(" ", "")


def enrol(client) -> str:
    """Set up two-step sign-in from /console/two-step; returns the key."""
    page = client.get("/console/two-step")
    assert page.status_code == 200, page.text
    key = key_on_page(page.text)
    response = send_code(client, totp(key, time.time()), "/console/two-step")
    assert response.status_code == 303, response.text
    return key


def audit_rows(settings) -> list[AuditEvent]:
    async def go(db):
        return list(await db.scalars(select(AuditEvent).order_by(AuditEvent.id)))

    return run_db(settings, go)


def actions(settings) -> list[str]:
    return [row.action for row in audit_rows(settings)]


class Browser:
    """Another browser on the same test client (so on the app's own event loop): its own cookies.

    ``with Browser(client):`` swaps its cookies in, and back out at the end.
    """

    def __init__(self, client) -> None:
        self.client = client
        self.cookies: list = []
        self._saved: list[list] = []

    def _swap(self, cookies: list) -> list:
        jar = self.client.cookies.jar
        current = list(jar)
        jar.clear()
        for cookie in cookies:
            jar.set_cookie(cookie)
        return current

    def __enter__(self):
        self._saved.append(self._swap(self.cookies))
        return self.client

    def __exit__(self, *exc) -> None:
        self.cookies = self._swap(self._saved.pop())


# The tests ------------------------------------------------------------------------------------------------

SAM = "sam@example.ac.uk"
START = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def sam(settings) -> str:
    create_officer(settings, SAM)
    return SAM


def _signed_in(client) -> bool:
    return client.get("/api/console/me").status_code == 200


def test_without_two_step_sign_in_development_signs_in_in_one_step_and_offers_set_up(client, sam):
    response = login(client, sam)
    assert response.status_code == 303 and response.headers["location"] == "/console"
    page = client.get("/console").text
    assert "Live queue" in page and "Set up two-step sign-in" in page


def test_two_step_sign_in_pending_step_opens_nothing_then_a_new_session(client, settings, sam):
    assert login(client, sam).status_code == 303
    with time_machine.travel(time.time() - 60, tick=True):
        key = enrol(client)  # a minute ago: its code was used then
    assert "Set up two-step sign-in" not in client.get("/console").text
    client.post("/console/logout", data={"csrf": form_token(client)}, headers=SAME_ORIGIN)
    assert not _signed_in(client)

    response = login(client, sam)
    assert response.status_code == 303 and response.headers["location"] == "/console/code"
    pending = response.cookies["officer_session"]
    assert not _signed_in(client)  # the password alone opens nothing
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/code"
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/console"):
        pass
    assert refused.value.code == 4401

    wrong = f"{(int(totp(key, time.time())) + 500_000) % 1_000_000:06d}"
    answer = send_code(client, wrong)
    assert answer.status_code == 401 and "did not match" in answer.text
    assert not _signed_in(client)
    answer = send_code(client, totp(key, time.time()))
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    full = answer.cookies["officer_session"]
    assert full != pending and _signed_in(client)
    client.cookies.set("officer_session", pending)
    assert not _signed_in(client)  # the pending id is gone: the session id changed
    assert actions(settings).count("signin_failed") == 1


def test_a_code_cannot_be_used_for_a_second_sign_in(client, settings, sam):
    with time_machine.travel(START + timedelta(seconds=5), tick=False) as traveller:
        login(client, sam)
        key = enrol(client)  # the set-up code's step counts as used
        code = totp(key, time.time())
        client.cookies.clear()
        login(client, sam)
        assert send_code(client, code).status_code == 401
        traveller.shift(timedelta(seconds=30))
        assert send_code(client, totp(key, time.time())).status_code == 303
        client.cookies.clear()
        login(client, sam)
        assert send_code(client, totp(key, time.time())).status_code == 401  # the same code again


def test_wrong_passwords_are_throttled_per_account_with_retry_after_and_audited(client, settings, sam):
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            assert login(client, sam, "wrong password!").status_code == 401
        throttled = login(client, sam)  # even the right password waits
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) == 15 * 60
        assert "try again in about 15 minutes" in throttled.text
        assert "officer_session" not in throttled.headers.get("set-cookie", "")
        # An address with no account is treated the same way: nothing tells whether the email exists.
        for _ in range(5):
            assert login(client, "nobody@example.ac.uk", "wrong password!").status_code == 401
        stranger = login(client, "nobody@example.ac.uk", "wrong password!")
        assert stranger.status_code == 429 and stranger.text == throttled.text
        traveller.shift(timedelta(minutes=15, seconds=1))
        assert login(client, sam).status_code == 303
    assert actions(settings) == ["signin_failed"] * 5 + ["signin_throttled"] + ["signin_failed"] * 5 + [
        "signin_throttled"]
    for row in audit_rows(settings):
        assert row.subject_hash and len(row.subject_hash) == 64 and row.client == "testclient"
        assert "@" not in (row.target or "") + row.subject_hash  # never the email typed
    assert audit_rows(settings)[0].subject_hash != audit_rows(settings)[6].subject_hash


def test_failed_codes_count_towards_the_same_throttle(client, settings, sam):
    with time_machine.travel(START, tick=False):
        login(client, sam)
        key = enrol(client)
        client.cookies.clear()
        login(client, sam, "wrong password!")
        login(client, sam, "wrong password!")
        login(client, sam)
        for _ in range(3):
            assert send_code(client, "000000" if totp(key, time.time()) != "000000" else "111111").status_code == 401
        refused = send_code(client, totp(key, time.time()))
        assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert actions(settings).count("signin_failed") == 5 and actions(settings)[-1] == "signin_throttled"


def test_many_failures_from_one_address_are_throttled_whatever_the_email(client, settings):
    with time_machine.travel(START, tick=False):
        for number in range(30):
            assert login(client, f"guess{number}@example.ac.uk", "wrong password!").status_code == 401
        answer = login(client, "another@example.ac.uk", "wrong password!")
        assert answer.status_code == 429 and int(answer.headers["Retry-After"]) == 900


def test_forged_sign_in_forms_are_refused_and_change_nothing(client, settings, sam):
    evil = {"Origin": "https://evil.example"}
    assert login(client, sam, headers=evil).status_code == 403
    assert login(client, sam, token="").status_code == 403  # a browser form without the token
    assert login(client, sam, token="0" * 64).status_code == 403
    with Browser(client) as other:
        token = form_token(other)
    assert login(client, sam, token=token).status_code == 403  # another browser's token
    assert login(client, sam, headers={"Referer": "https://evil.example/page"}).status_code == 403
    assert login(client, sam, headers={"Origin": "null"}).status_code == 403
    assert login(client, sam, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert login(client, sam, token="", headers={}).status_code == 403  # a script: no browser headers, no token
    refused = login(client, sam, headers=evil)
    assert "Nothing was changed" in refused.text and "officer_session" not in refused.headers.get("set-cookie", "")
    assert not _signed_in(client)
    assert actions(settings).count("csrf_refused") == 9 and "signin_failed" not in actions(settings)
    assert login(client, sam, headers={"Referer": "http://testserver/console"}).status_code == 303


def test_a_forged_sign_out_is_refused_and_the_session_goes_on(client, settings, sam):
    login(client, sam)
    refused = client.post("/console/logout", data={"csrf": form_token(client)},
                          headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and _signed_in(client)
    assert client.post("/console/logout", headers={"Origin": "http://testserver"}).status_code == 403
    assert _signed_in(client)
    client.post("/console/logout", data={"csrf": form_token(client)}, headers=SAME_ORIGIN)
    assert not _signed_in(client)


def test_the_console_api_takes_the_forms_token_scheme_bound_to_the_session(client, settings, sam):
    """One CSRF scheme: the API's token, like a form's, fits only this browser's token cookie and this session;
    a change from another site is refused even with the right token."""
    login(client, sam)
    token = client.get("/api/console/me").json()["csrf_token"]
    header = {"X-CSRF-Token": token}
    assert client.post("/api/console/duty", json={"on_duty": True}, headers=header).status_code == 200
    evil = {**header, "Origin": "https://evil.example"}
    assert client.post("/api/console/duty", json={"on_duty": False}, headers=evil).status_code == 403
    cross = {**header, "Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/console/duty", json={"on_duty": False}, headers=cross).status_code == 403
    assert client.post("/api/console/duty", json={"on_duty": False},
                       headers={"X-CSRF-Token": form_token(client)}).status_code == 200  # a page's token fits too
    client.post("/console/logout", data={"csrf": form_token(client)}, headers=SAME_ORIGIN)
    login(client, sam)  # a new session: the token from before no longer fits
    assert client.post("/api/console/duty", json={"on_duty": True}, headers=header).status_code == 403
    fresh = {"X-CSRF-Token": client.get("/api/console/me").json()["csrf_token"]}
    assert client.post("/api/console/duty", json={"on_duty": True}, headers=fresh).status_code == 200


def test_refusals_from_the_console_api_and_socket_are_audited_without_personal_data(client, settings, sam):
    assert client.get("/api/console/queue").status_code == 401
    login(client, sam)
    assert client.post("/api/console/duty", json={"on_duty": True}).status_code == 403  # no CSRF header
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
        "/ws/console", headers={"Origin": "https://evil.example"}
    ):
        pass
    assert refused.value.code == 4403
    rows = audit_rows(settings)
    assert [(r.action, r.target) for r in rows] == [
        ("unauthenticated", "/api/console/queue"), ("forbidden", "/api/console/duty"),
        ("socket_refused", "/ws/console"),
    ]
    assert rows[0].officer_id is None and rows[1].officer_id == rows[2].officer_id is not None


def test_the_console_socket_accepts_its_own_origin(client, sam):
    login(client, sam)
    with client.websocket_connect("/ws/console", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "duty"  # the console's first word: is this officer on duty
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"


def _production_settings(database_url: str, **extra) -> Settings:  # with the own_profile fixture
    return Settings(
        environment="production", database_url=database_url, rasa_url=CLOSED_PORT_URL, rasa_timeout=2.0,
        secret_key="k" * 40, rasa_channel_token="r" * 24, handoff_api_token="h" * 24,
        twilio_account_sid="AC" + "1" * 32, twilio_auth_token="t" * 32, public_url="https://support.example.ac.uk",
        encryption_keys=Fernet.generate_key().decode(), institution_id="our-college", _env_file=None,
        **extra,
    )


@pytest.fixture
def production(database_url, own_profile) -> Iterator[tuple[TestClient, Settings]]:
    settings = _production_settings(database_url, embed_sites=["https://*.college.ac.uk"])
    with TestClient(create_app(settings), base_url="https://support.example.ac.uk") as client:
        yield client, settings


def test_production_requires_setting_up_two_step_sign_in_before_the_console(production):
    client, settings = production
    create_officer(settings, SAM)
    origin = {"Origin": "https://support.example.ac.uk"}
    assert login(client, SAM, token="", headers={}).status_code == 403  # in production even scripts need it
    response = login(client, SAM, token=form_token(client), headers=origin)
    assert response.status_code == 303 and response.headers["location"] == "/console/two-step"
    assert "__Host-officer_session" in response.headers["set-cookie"] and "secure" in response.headers[
        "set-cookie"].lower()
    assert client.get("/api/console/me").status_code == 401
    page = client.get("/console/two-step")
    assert "Before you open the console" in page.text and "otpauth://totp/" in page.text
    key = key_on_page(page.text)
    assert len(key) == 32
    token = form_token(client, "/console/two-step")
    done = client.post("/console/two-step", data={"code": totp(key, time.time()), "csrf": token}, headers=origin,
                       follow_redirects=False)
    assert done.status_code == 303 and client.get("/api/console/me").status_code == 200
    assert "Set up two-step sign-in" not in client.get("/console").text

    async def stored(db):
        from sqlalchemy import text

        return (await db.execute(text("SELECT totp_secret FROM officers"))).scalar_one()

    assert key not in run_db(settings, stored)  # encrypted at rest


def test_the_chat_socket_checks_origins_in_production(production):
    client, settings = production
    for origin in (None, "https://support.example.ac.uk", "https://www.college.ac.uk"):
        with client.websocket_connect("/ws/chat", headers={"Origin": origin} if origin else {}) as ws:
            ws.send_json({"type": "hello"})
            assert ws.receive_json()["type"] == "welcome"
    for origin in ("https://evil.example", "https://college.ac.uk.evil.example", "http://www.college.ac.uk"):
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
            "/ws/chat", headers={"Origin": origin}
        ):
            pass
        assert refused.value.code == 4403
    assert actions(settings) == ["socket_refused"] * 3


def test_the_chat_socket_refuses_other_sites_in_development_too(client, settings):
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
        "/ws/chat", headers={"Origin": "https://evil.example"}
    ):
        pass
    assert refused.value.code == 4403
    with client.websocket_connect("/ws/chat", headers={"Origin": "http://testserver"}) as ws:
        ws.send_json({"type": "hello"})
        assert ws.receive_json()["type"] == "welcome"


def test_a_disabled_account_cannot_sign_in_and_nothing_says_why(client, settings):
    create_officer(settings, "gone@example.ac.uk", role=Role.welfare_officer)

    async def disable(db):
        from handoff.officers import service

        officer = await service.by_email(db_session=db, email="gone@example.ac.uk")
        await service.set_active(db_session=db, officer=officer, active=False)

    run_db(settings, disable)
    answer = login(client, "gone@example.ac.uk", PASSWORD)
    assert answer.status_code == 401 and "did not match an active account" in answer.text


def _from(client, address: str) -> None:
    """Make the test client's next requests come from this address (as uvicorn reports it behind the proxy)."""
    client._transport.client = (address, 50000)


def test_failing_from_one_address_does_not_lock_the_owner_out_from_another(client, settings, sam):
    with time_machine.travel(START, tick=False):
        _from(client, "203.0.113.66")  # someone trying sam's account
        for _ in range(5):
            assert login(client, sam, "wrong password!").status_code == 401
        assert login(client, sam, "wrong password!").status_code == 429
        assert login(client, sam).status_code == 429  # that address waits, even with the right password
        client.cookies.clear()
        _from(client, "198.51.100.7")  # sam, at their own desk
        assert login(client, sam).status_code == 303 and _signed_in(client)


def test_a_code_in_other_digits_is_a_failed_attempt_not_an_error(client, settings, sam):
    with time_machine.travel(START, tick=False) as traveller:
        login(client, sam)
        key = enrol(client)
        client.cookies.clear()
        login(client, sam)
        traveller.shift(timedelta(seconds=30))  # the enrolment's code cannot be used again
        arabic_indic = "".join(chr(0x0660 + int(d)) for d in totp(key, time.time()))  # the same code, other digits
        for code in (arabic_indic, "１２３４５６", "12３456"):
            answer = send_code(client, code)
            assert answer.status_code == 401 and "did not match" in answer.text
            assert answer.headers["Content-Security-Policy"]
        assert actions(settings).count("signin_failed") == 3
        assert send_code(client, totp(key, time.time())).status_code == 303


def test_production_serves_no_api_docs_nor_schema_and_development_no_third_party_page(production, client):
    prod, _ = production
    for path in ("/docs", "/openapi.json", "/redoc", "/docs/oauth2-redirect"):
        assert prod.get(path).status_code == 404, path
    assert client.get("/docs").status_code == 404  # FastAPI's page loads Swagger from a CDN: none at all
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "cdn" not in schema.text
    assert schema.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_console_socket_answers_frames_that_are_not_objects_and_stays_open(client, sam):
    login(client, sam)
    with client.websocket_connect("/ws/console", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "duty"  # the console learns first whether it counts as on duty
        for raw in ("[1, 2]", "5", '"watch"', "null", "not json", "{"):
            ws.send_text(raw)
            answer = ws.receive_json()
            assert answer["type"] == "error" and answer["code"] == "bad_frame", raw
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"


def test_a_flood_of_anonymous_refusals_writes_a_bounded_number_of_audit_rows_and_counts_the_rest(database_url):
    settings = Settings(database_url=database_url, rasa_url=CLOSED_PORT_URL, _env_file=None,
                        refusal_audits_per_address="10/minute")
    with time_machine.travel(START, tick=True) as traveller, TestClient(create_app(settings)) as client:
        for _ in range(200):
            assert client.get("/api/console/queue").status_code == 401  # every one still refused
        assert len(audit_rows(settings)) == 10
        traveller.shift(timedelta(minutes=2))
        assert client.get("/api/console/queue").status_code == 401
        rows = audit_rows(settings)
    assert len(rows) == 11 and rows[-1].target == "/api/console/queue (+190 not recorded)"
    assert all(row.action == "unauthenticated" for row in rows)

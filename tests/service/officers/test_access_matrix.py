"""Roles × endpoints: every route of the app, for anonymous visitors and each staff role, has an expected answer.

The table below lists every HTTP and WebSocket route; a route the table does not list fails the test, so a new
endpoint needs a decision about who may use it. The data: a case taken by Olive (a welfare officer); the others
asking for it by its reference or its conversation id are the IDOR checks (403, and an audit row).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff.cases.enums import CATEGORIES, OUTCOMES
from handoff.core.config import Settings
from handoff.main import create_app
from handoff.officers.models import Role

from ..chat_helpers import assistant_turn, hello
from ..conftest import CLOSED_PORT_URL
from ..console_helpers import Console, OnDuty, create_officer, form_token
from ..db_helpers import conversation_row
from .test_auth_signin import SAME_ORIGIN, Browser, audit_rows, login

API_TOKEN = "assistant-token-for-the-matrix"
ROLES = ("anonymous", "welfare_officer", "safeguarding_lead", "admin")
OPEN = {role: 200 for role in ROLES}
ANY_STAFF = {"anonymous": 401, "welfare_officer": 200, "safeguarding_lead": 200, "admin": 200}
NEED_TO_KNOW = {"anonymous": 401, "welfare_officer": 403, "safeguarding_lead": 200, "admin": 200}
NOT_THEIRS = {"anonymous": 401, "welfare_officer": 409, "safeguarding_lead": 409, "admin": 409}
ADMIN_ONLY = {"anonymous": 401, "welfare_officer": 403, "safeguarding_lead": 403, "admin": 303}
ASSISTANT_ONLY = {role: 401 for role in ROLES}  # staff cookies do not open the assistant's API
TWILIO_ONLY = {role: 403 for role in ROLES}  # unsigned webhooks
LEADS = {"anonymous": 303, "welfare_officer": 403, "safeguarding_lead": 200, "admin": 200}

# (method, path) -> expected status (HTTP) or close code / "accepted" (WebSocket) for each role.
MATRIX: dict[tuple[str, str], dict[str, int | str]] = {
    ("GET", "/openapi.json"): OPEN,  # development only (this table's mode); production serves no schema
    ("GET", "/health"): OPEN,
    ("GET", "/"): OPEN,
    ("GET", "/embed"): OPEN,
    ("GET", "/widget.js"): OPEN,
    ("GET", "/services"): OPEN,  # the support services directory: public, like the chat page
    ("GET", "/services.json"): OPEN,
    ("GET", "/static"): OPEN,  # /static/console.css
    ("WS", "/ws/chat"): {role: "accepted" for role in ROLES},
    ("WS", "/ws/console"): {"anonymous": 4401, "welfare_officer": "accepted", "safeguarding_lead": "accepted",
                            "admin": "accepted"},
    ("POST", "/sms/inbound"): TWILIO_ONLY,
    ("POST", "/sms/status"): TWILIO_ONLY,
    ("POST", "/api/handoff-requests"): ASSISTANT_ONLY,
    ("POST", "/api/callback-requests"): ASSISTANT_ONLY,
    ("POST", "/api/share-preview"): ASSISTANT_ONLY,
    ("POST", "/api/cases/resume"): ASSISTANT_ONLY,
    ("GET", "/api/team-availability"): ASSISTANT_ONLY,
    ("POST", "/api/conversations/erase"): ASSISTANT_ONLY,
    ("GET", "/api/console/me"): ANY_STAFF,
    ("POST", "/api/console/duty"): ANY_STAFF,
    ("GET", "/api/console/queue"): ANY_STAFF,
    ("POST", "/api/console/conversations/{public_id}/take"): NOT_THEIRS,
    ("GET", "/api/console/conversations/{public_id}"): NEED_TO_KNOW,
    ("POST", "/api/console/conversations/{public_id}/messages"): NOT_THEIRS,
    ("POST", "/api/console/conversations/{public_id}/handback"): NOT_THEIRS,
    ("POST", "/api/console/conversations/{public_id}/close"): NOT_THEIRS,
    ("GET", "/api/console/cases"): ANY_STAFF,  # filtered: see test_the_case_list_shows_only_what_each_role_may_see
    ("GET", "/api/console/cases/{reference}"): NEED_TO_KNOW,
    ("POST", "/api/console/cases/{reference}/notes"): NEED_TO_KNOW,
    ("GET", "/api/console/callbacks"): ANY_STAFF,  # the team's call-back list
    # Any officer may mark one of the team's call-backs done (here one that does not exist: 404, not 403).
    ("POST", "/api/console/callbacks/{callback_id}/done"): {"anonymous": 401, "welfare_officer": 404,
                                                           "safeguarding_lead": 404, "admin": 404},
    ("GET", "/console"): OPEN,  # the sign-in form, or the console
    ("POST", "/console/login"): {role: 401 for role in ROLES},  # wrong password for everyone
    ("GET", "/console/code"): {role: 303 for role in ROLES},  # no pending sign-in: back to /console
    ("POST", "/console/code"): {role: 401 for role in ROLES},
    ("GET", "/console/two-step"): {"anonymous": 303, "welfare_officer": 200, "safeguarding_lead": 200, "admin": 200},
    ("POST", "/console/two-step"): {"anonymous": 401, "welfare_officer": 422, "safeguarding_lead": 422,
                                    "admin": 422},  # a wrong code
    ("GET", "/console/password"): {"anonymous": 303, "welfare_officer": 200, "safeguarding_lead": 200, "admin": 200},
    ("POST", "/console/password"): {role: 401 for role in ROLES},  # not signed in, or a wrong current password
    ("POST", "/console/logout"): {role: 303 for role in ROLES},
    ("GET", "/console/admin"): {**ADMIN_ONLY, "admin": 200},
    ("POST", "/console/admin/officers"): {**ADMIN_ONLY, "admin": 422},  # an email that is not one
    ("POST", "/console/admin/officers/{officer_id}/disable"): ADMIN_ONLY,
    ("POST", "/console/admin/officers/{officer_id}/enable"): ADMIN_ONLY,
    ("POST", "/console/admin/officers/{officer_id}/reset-totp"): ADMIN_ONLY,
    ("GET", "/console/stats"): LEADS,
    ("GET", "/console/stats.csv"): LEADS,
}

BODIES = {
    "/api/console/duty": {"on_duty": True},
    "/api/console/conversations/{public_id}/messages": {"text": "Hello, I am here."},
    "/api/console/conversations/{public_id}/close": {"outcome": OUTCOMES[0], "category": CATEGORIES[0]},
    "/api/console/cases/{reference}/notes": {"text": "A note."},
}
FORMS = {
    "/console/login": {"email": "someone@example.ac.uk", "password": "not the password"},
    "/console/code": {"code": "000000"},
    "/console/two-step": {"code": "abcdef"},
    "/console/password": {"current": "not the password", "new": "a new long password", "again": "a new long password"},
    "/console/admin/officers": {"email": "not an email", "name": "X", "role": "welfare_officer"},
}


def app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, through included routers and mounts (HEAD aside)."""
    found = set()
    for route in app.routes:
        contexts = list(route.effective_route_contexts()) if hasattr(route, "effective_route_contexts") else [None]
        for context in contexts:
            original = context.original_route if context is not None else route
            path = (context.path if context is not None else "") or original.path
            methods = getattr(original, "methods", None)
            if methods is None:
                found.add(("WS" if "WebSocket" in type(original).__name__ else "GET", path))
            else:
                found.update((method, path) for method in methods if method != "HEAD")
    return found


@pytest.fixture
def system(database_url) -> Iterator[tuple[TestClient, Settings]]:
    settings = Settings(database_url=database_url, rasa_url=CLOSED_PORT_URL, rasa_timeout=2.0,
                        handoff_api_token=API_TOKEN, _env_file=None)
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True), \
            TestClient(create_app(settings)) as client:
        yield client, settings


def _case_of_olive(client, settings) -> tuple[str, str, int]:
    """A student asks for a person and Olive takes the conversation: (conversation id, reference, Olive's id)."""
    with OnDuty(client, settings, "olive@example.ac.uk") as olive, client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        public_id = conversation_row(settings).public_id
        with assistant_turn(client, public_id):
            answer = client.post("/api/handoff-requests", headers={"Authorization": f"Bearer {API_TOKEN}"}, json={
                "sender_id": public_id, "request_id": "r1", "goal": "disclosure", "share_transcript": True})
        assert answer.status_code == 200, answer.text
        assert olive.post(f"/conversations/{public_id}/take").status_code == 200
    client.cookies.clear()
    return public_id, answer.json()["reference"][:7], olive.me["id"]  # the case reference officers see


def _call(client, method: str, path: str, concrete: str, csrf_header: dict[str, str]) -> int | str:
    if method == "WS":
        try:
            with client.websocket_connect(concrete) as ws:
                ws.close()
        except WebSocketDisconnect as refused:
            return refused.code
        return "accepted"
    if path == "/static":
        return client.get("/static/console.css").status_code
    if path.startswith("/api/console") or path.startswith("/api/") or path.startswith("/sms/"):
        if method == "GET":
            return client.get(concrete).status_code
        return client.post(concrete, json=BODIES.get(path, {}), headers=csrf_header).status_code
    if method == "GET":
        return client.get(concrete, follow_redirects=False).status_code
    data = {**FORMS.get(path, {}), "csrf": form_token(client)}
    return client.post(concrete, data=data, headers=SAME_ORIGIN, follow_redirects=False).status_code


def test_every_route_answers_each_role_as_the_table_says(system):
    client, settings = system
    routes = app_routes(client.app)
    assert routes - MATRIX.keys() == set(), "routes the access table does not list: decide who may use them"
    assert MATRIX.keys() - routes == set(), "the access table lists routes the app no longer has"

    public_id, reference, olive_id = _case_of_olive(client, settings)
    for role in ROLES[1:]:
        create_officer(settings, f"{role}@example.ac.uk", role=Role(role))
    values = {"{public_id}": public_id, "{reference}": reference, "{officer_id}": str(olive_id),
              "{callback_id}": "0"}
    wrong = []
    for role in ROLES:
        with Browser(client) as browser:
            headers = {}
            if role != "anonymous":
                assert login(browser, f"{role}@example.ac.uk").status_code == 303
                headers = {"X-CSRF-Token": browser.get("/api/console/me").json()["csrf_token"]}
            # Sign-out last, so that everything else runs signed in.
            for method, path in sorted(MATRIX, key=lambda key: key[1] == "/console/logout"):
                concrete = path
                for name, value in values.items():
                    concrete = concrete.replace(name, value)
                got = _call(browser, method, path, concrete, headers)
                if got != MATRIX[(method, path)][role]:
                    wrong.append(f"{role} {method} {path}: got {got}, expected {MATRIX[(method, path)][role]}")
    assert wrong == []


def test_asking_for_another_officers_case_is_refused_and_audited(system):
    client, settings = system
    public_id, reference, _ = _case_of_olive(client, settings)
    create_officer(settings, "wendy@example.ac.uk")
    wendy = Console(client, "wendy@example.ac.uk")
    before = len(audit_rows(settings))
    assert wendy.get(f"/cases/{reference}").status_code == 403
    assert wendy.get(f"/cases/{reference.lower().replace('-', '')}").status_code == 403  # any spelling
    assert wendy.get(f"/conversations/{public_id}").status_code == 403
    assert wendy.post(f"/cases/{reference}/notes", json={"text": "sneaky"}).status_code == 403
    assert wendy.get("/cases/ZZZ-ZZZ").status_code == 404  # no such case: nothing to learn either way
    assert reference not in wendy.get(f"/cases?reference={reference}").text
    rows = audit_rows(settings)[before:]
    assert [r.action for r in rows] == ["forbidden"] * 4
    assert all(r.officer_id == wendy.me["id"] for r in rows)
    assert rows[0].target == f"/api/console/cases/{reference}" and public_id in rows[2].target
    assert all("sneaky" not in (r.target or "") for r in rows)


def test_the_case_list_shows_only_what_each_role_may_see(system):
    client, settings = system
    _, reference, _ = _case_of_olive(client, settings)
    create_officer(settings, "wendy@example.ac.uk")
    create_officer(settings, "lead@example.ac.uk", role=Role.safeguarding_lead)
    assert Console(client, "wendy@example.ac.uk").get("/cases").json() == []
    assert [c["reference"] for c in Console(client, "lead@example.ac.uk").get("/cases").json()] == [reference]
    assert [c["reference"] for c in Console(client, "olive@example.ac.uk").get("/cases").json()] == [reference]

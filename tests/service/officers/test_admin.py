"""Staff accounts: the administrators' page /console/admin and the operator commands."""

from __future__ import annotations

import getpass
import re
import time

import pytest
import time_machine
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff.console import socket as console_socket
from handoff.core.config import get_settings
from handoff.core.security import totp
from handoff.officers.models import Role

from ..console_helpers import create_officer, form_token
from .test_auth_signin import SAME_ORIGIN, Browser, actions, audit_rows, enrol, login, send_code

ADMIN, SAM = "ada@example.ac.uk", "sam@example.ac.uk"


@pytest.fixture
def admin(client, settings) -> TestClient:
    create_officer(settings, ADMIN, role=Role.admin)
    create_officer(settings, SAM)
    assert login(client, ADMIN).status_code == 303
    return client


def _post(client, path: str, data: dict | None = None, headers=None):
    return client.post(path, data={**(data or {}), "csrf": form_token(client)},
                       headers=SAME_ORIGIN if headers is None else headers, follow_redirects=False)


def _account_id(client, email: str) -> int:
    match = re.search(rf'data-email="{re.escape(email)}">.*?/console/admin/officers/(\d+)/',
                      client.get("/console/admin").text, re.S)
    assert match
    return int(match.group(1))


def test_only_administrators_reach_the_page_and_refusals_are_audited(client, settings):
    create_officer(settings, SAM)
    create_officer(settings, "lead@example.ac.uk", role=Role.safeguarding_lead)
    assert client.get("/console/admin").status_code == 401
    login(client, SAM)
    page = client.get("/console/admin")
    assert page.status_code == 403 and "managed by administrators" in page.text
    assert "Staff accounts" not in client.get("/console").text  # no link for them
    client.cookies.clear()
    login(client, "lead@example.ac.uk")
    assert client.get("/console/admin").status_code == 403
    assert _post(client, "/console/admin/officers/1/disable").status_code == 403
    assert [r.action for r in audit_rows(settings)] == ["unauthenticated", "forbidden", "forbidden", "forbidden"]
    assert audit_rows(settings)[-1].target == "/console/admin/officers/1/disable"


def test_the_page_lists_accounts_with_role_state_two_step_and_last_sign_in(admin):
    page = admin.get("/console/admin")
    assert page.status_code == 200 and "Staff accounts" in admin.get("/console").text
    row = re.search(r'<tr data-email="ada@example.ac.uk">(.*?)</tr>', page.text, re.S).group(1)
    assert "Administrator" in row and "Yes" in row and "Not set up" in row and "UTC" in row
    sam_row = re.search(r'<tr data-email="sam@example.ac.uk">(.*?)</tr>', page.text, re.S).group(1)
    assert "Welfare officer" in sam_row and "Never" in sam_row
    assert "/disable" not in row  # no button to disable oneself


def test_creating_an_account_with_a_one_time_password_shown_once(admin, settings):
    created = _post(admin, "/console/admin/officers",
                    {"email": "New.Person@Example.ac.uk", "name": "New Person", "role": "safeguarding_lead"})
    assert created.status_code == 200
    password = re.search(r'id="initial-password">([^<]+)<', created.text).group(1)
    assert len(password) >= 12 and "shown only this once" in created.text
    assert password not in admin.get("/console/admin").text
    assert actions(settings)[-1] == "account_created"
    assert audit_rows(settings)[-1].officer_id is not None and "@" not in audit_rows(settings)[-1].target
    with Browser(admin) as other:
        # The initial password works once, and only to choose the owner's own password.
        signed = login(other, "new.person@example.ac.uk", password)
        assert signed.status_code == 303 and signed.headers["location"] == "/console/password"
        assert other.get("/api/console/me").status_code == 401  # nothing opens before that
        assert other.get("/console", follow_redirects=False).headers["location"] == "/console/password"
        assert other.get("/console/code", follow_redirects=False).headers["location"] == "/console"
        page = other.get("/console/password")
        assert "Choose your own password" in page.text and 'name="current"' not in page.text
        differ = other.post("/console/password", data={"new": "my own long password", "again": "my own long pasword",
                                                       "csrf": form_token(other, "/console/password")},
                            headers=SAME_ORIGIN)
        assert differ.status_code == 422 and "differ" in differ.text
        same = other.post("/console/password", data={"new": password, "again": password,
                                                     "csrf": form_token(other, "/console/password")},
                          headers=SAME_ORIGIN)
        assert same.status_code == 422 and "different" in same.text
        forged = other.post("/console/password", data={"new": "my own long password", "again": "my own long password"},
                            headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403
        done = other.post("/console/password", data={"new": "my own long password", "again": "my own long password",
                                                     "csrf": form_token(other, "/console/password")},
                          headers=SAME_ORIGIN, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/console"
        assert other.get("/api/console/me").json()["role"] == "safeguarding_lead"
        other.cookies.clear()
        assert login(other, "new.person@example.ac.uk", password).status_code == 401  # the initial one has expired
        assert login(other, "new.person@example.ac.uk", "my own long password").headers["location"] == "/console"
    assert "password_changed" in actions(settings)


def test_an_officer_can_change_their_password_with_the_current_one(admin, settings):
    from sqlalchemy import select

    from handoff.officers.models import Officer

    from ..console_helpers import PASSWORD
    from ..db_helpers import run_db

    other_browser = Browser(admin)
    with other_browser as elsewhere:
        assert login(elsewhere, SAM).status_code == 303
        assert elsewhere.get("/api/console/me").status_code == 200
    with Browser(admin) as sams:
        assert login(sams, SAM).status_code == 303
        assert "/console/password" in sams.get("/console").text  # the link in the header
        token = form_token(sams, "/console/password")
        wrong = sams.post("/console/password", data={"current": "not my password", "new": "a brand new password",
                                                     "again": "a brand new password", "csrf": token},
                          headers=SAME_ORIGIN)
        assert wrong.status_code == 401 and "not right" in wrong.text
        assert "signin_failed" in actions(settings)  # counted like a failed sign-in
        done = sams.post("/console/password", data={"current": PASSWORD, "new": "a brand new password",
                                                    "again": "a brand new password", "csrf": token},
                         headers=SAME_ORIGIN, follow_redirects=False)
        assert done.status_code == 303 and sams.get("/api/console/me").status_code == 200
        sams.cookies.clear()
        assert login(sams, SAM).status_code == 401
        assert login(sams, SAM, "a brand new password").status_code == 303
    with other_browser as elsewhere:
        assert elsewhere.get("/api/console/me").status_code == 401  # the other session ended
    stored = run_db(settings, lambda db: db.scalar(select(Officer.password_hash).where(Officer.email == SAM)))
    assert stored.startswith("$argon2id$")


def test_creating_with_a_chosen_password_and_bad_input_keeps_what_was_typed(admin, settings):
    short = _post(admin, "/console/admin/officers",
                  {"email": "kim@example.ac.uk", "name": "Kim", "role": "welfare_officer", "password": "too short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    assert 'value="kim@example.ac.uk"' in short.text and 'value="Kim"' in short.text
    twice = _post(admin, "/console/admin/officers",
                  {"email": SAM, "name": "Sam again", "role": "welfare_officer", "password": "a long enough one"})
    assert twice.status_code == 422 and "exists already" in twice.text
    ok = _post(admin, "/console/admin/officers",
               {"email": "kim@example.ac.uk", "name": "Kim", "role": "admin", "password": "kim's own password"})
    assert ok.status_code == 200 and "initial-password" not in ok.text
    with Browser(admin) as other:
        assert login(other, "kim@example.ac.uk", "kim's own password").status_code == 303
    assert "account_created" in actions(settings)


def test_disabling_ends_every_session_and_closes_the_console_socket_at_once(admin, settings):
    assert console_socket.SESSION_RECHECK_SECONDS >= 30  # so a quick close below comes from the disabling itself
    sam = Browser(admin)
    with sam as client:
        login(client, SAM)
        socket_cm = client.websocket_connect("/ws/console")
        socket = socket_cm.__enter__()
    try:
        assert socket.receive_json()["type"] == "duty"
        socket.send_json({"type": "ping"})
        assert socket.receive_json()["type"] == "pong"
        done = _post(admin, f"/console/admin/officers/{_account_id(admin, SAM)}/disable")
        assert done.status_code == 303
        started = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(50):
                socket.receive_json()
        assert closed.value.code == 4401 and time.monotonic() - started < 10
    finally:
        socket_cm.__exit__(None, None, None)
    with sam as client:
        assert client.get("/api/console/me").status_code == 401
        assert login(client, SAM).status_code == 401
    page = admin.get(done.headers["location"]).text
    assert "every session it had has ended" in page and "No (disabled)" in page
    assert _post(admin, f"/console/admin/officers/{_account_id(admin, SAM)}/enable").status_code == 303
    with sam as client:
        assert login(client, SAM).status_code == 303
    assert [a for a in actions(settings) if a.startswith("account")] == ["account_disabled", "account_enabled"]
    assert actions(settings).count("signin_failed") == 1  # the sign-in while disabled
    # Sam was on duty: disabling the account ended it, audited as the administrator's doing.
    [disabled] = [row for row in audit_rows(settings) if row.action == "account_disabled"]
    assert [(row.action, row.officer_id, row.target) for row in audit_rows(settings) if row.action.startswith("duty")
            ] == [("duty_off", disabled.officer_id, disabled.target)]


def test_an_administrator_cannot_disable_their_own_account(admin, settings):
    own = _account_id(admin, SAM)  # any id; then their own
    me = admin.get("/api/console/me").json()["id"]
    refused = _post(admin, f"/console/admin/officers/{me}/disable")
    assert refused.status_code == 409 and "cannot disable your own account" in refused.text
    assert admin.get("/api/console/me").status_code == 200
    assert own != me and "account_disabled" not in actions(settings)


def test_changes_need_the_form_token_and_this_sites_origin(admin, settings):
    sam_id = _account_id(admin, SAM)
    forged = admin.post(f"/console/admin/officers/{sam_id}/disable", data={"csrf": form_token(admin, "/console")},
                        headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    no_token = admin.post(f"/console/admin/officers/{sam_id}/disable", headers=SAME_ORIGIN)
    assert no_token.status_code == 403
    with Browser(admin) as other:
        assert login(other, SAM).status_code == 303  # still enabled
    assert actions(settings) == ["csrf_refused", "csrf_refused"]


def test_resetting_two_step_sign_in(admin, settings):
    with Browser(admin) as sam:
        login(sam, SAM)
        with time_machine.travel(time.time() - 60, tick=True):
            key = enrol(sam)
        sam.cookies.clear()
        login(sam, SAM)
        assert send_code(sam, totp(key, time.time())).status_code == 303
    assert "Set up" in re.search(r'data-email="sam@example.ac.uk">(.*?)</tr>',
                                 admin.get("/console/admin").text, re.S).group(1)
    assert _post(admin, f"/console/admin/officers/{_account_id(admin, SAM)}/reset-totp").status_code == 303
    with Browser(admin) as sam:
        assert login(sam, SAM).headers["location"] == "/console"  # development: one step again, set-up offered
    assert actions(settings)[-1] == "totp_reset"


# The operator commands ---------------------------------------------------------------------------------

@pytest.fixture
def command(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    get_settings.cache_clear()

    def run(*argv: str) -> tuple[int, str, str]:
        from handoff.__main__ import main

        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


def test_operator_commands_create_list_disable_enable_and_reset(command, client, settings, monkeypatch):
    typed = iter(["a long enough password", "a long enough password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    code, out, _ = command("create-officer", "--email", "Lee@Example.ac.uk", "--name", "Lee", "--role", "admin")
    assert code == 0 and "Created admin account lee@example.ac.uk" in out
    assert login(client, "lee@example.ac.uk").status_code == 303
    enrol(client)
    code, out, _ = command("list-officers")
    assert code == 0 and re.search(r"lee@example.ac.uk\s+admin\s+yes\s+yes\s+\d{4}-\d\d-\d\d", out)
    code, out, _ = command("disable-officer", "--email", "lee@example.ac.uk")
    assert code == 0 and "every session it had has ended" in out
    assert client.get("/api/console/me").status_code == 401
    code, out, _ = command("enable-officer", "--email", "LEE@example.ac.uk")
    assert code == 0
    code, out, _ = command("reset-totp", "--email", "lee@example.ac.uk")
    assert code == 0 and "sets it up again" in out
    client.cookies.clear()
    assert login(client, "lee@example.ac.uk").headers["location"] == "/console"
    code, _, err = command("disable-officer", "--email", "nobody@example.ac.uk")
    assert code == 2 and "no account with that email" in err
    assert [a for a in actions(settings) if a.startswith(("account", "totp"))] == [
        "account_created", "totp_enrolled", "account_disabled", "account_enabled", "totp_reset"]


def test_create_officer_keeps_its_interface_and_refuses_short_or_differing_passwords(command, monkeypatch):
    typed = iter(["short", "short", "one password here", "another password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    code, _, err = command("create-officer", "--email", "a@example.ac.uk", "--name", "A")
    assert code == 2 and "at least 12 characters" in err
    code, _, err = command("create-officer", "--email", "a@example.ac.uk", "--name", "A")
    assert code == 2 and "differ" in err
    code, out, _ = command("list-officers")
    assert "no staff accounts" in out

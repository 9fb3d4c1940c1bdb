"""On duty means present: an officer counts only while a console of theirs is open (and a short grace after)."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from starlette.testclient import TestClient

from handoff.cases import flows
from handoff.core.config import Settings
from handoff.main import create_app
from handoff.officers.models import AuditEvent, Officer

from ..chat_helpers import assistant_turn
from ..conftest import CLOSED_PORT_URL
from ..console_helpers import Console, OnDuty, create_officer
from ..db_helpers import conversation_row, run_db

TUESDAY_11AM = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def short_grace(database_url):
    settings = Settings(database_url=database_url, rasa_url=CLOSED_PORT_URL, rasa_timeout=2.0,
                        officer_grace_seconds=0.5, _env_file=None)
    with time_machine.travel(TUESDAY_11AM, tick=True), TestClient(create_app(settings)) as client:
        yield client, settings


def _ask(client, settings) -> dict:
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello"})
        ws.receive_json()
        public_id = conversation_row(settings).public_id
        with assistant_turn(client, public_id):  # the action server asks during the assistant's turn
            return client.post("/api/handoff-requests", json={
                "sender_id": public_id, "request_id": "r1", "goal": "talk", "share_transcript": False}).json()


def _on_duty(settings, email="sam@example.ac.uk") -> bool:
    return run_db(settings, lambda db: db.scalar(select(Officer.on_duty).where(Officer.email == email)))


def _officer_id(settings, email="sam@example.ac.uk") -> int:
    return run_db(settings, lambda db: db.scalar(select(Officer.id).where(Officer.email == email)))


def _duty_audit(settings) -> list[tuple[str, int | None, str | None]]:
    """The audit rows of duty changes: what, who made the change, and whose duty it was."""
    async def go(db):
        rows = await db.scalars(select(AuditEvent).where(AuditEvent.action.like("duty%")).order_by(AuditEvent.id))
        return [(row.action, row.officer_id, row.target) for row in rows]

    return run_db(settings, go)


def test_switched_on_without_a_console_open_promises_nobody_and_lapses(short_grace):
    client, settings = short_grace
    create_officer(settings, "sam@example.ac.uk", on_duty=True)  # as the database has it after a restart
    answer = _ask(client, settings)
    assert answer["available"] is False and answer["in_hours"] is True and answer["position"] is None
    lapsed = client.portal.call(flows.lapse_absent_officers, client.app.state.ctx)  # the service's own check
    assert lapsed == 1 and _on_duty(settings) is False
    sam = _officer_id(settings)
    assert _duty_audit(settings) == [("duty_lapsed", None, f"officer:{sam}")]  # the service did it, nobody else


def test_closing_the_console_ends_duty_after_the_grace_period(short_grace):
    client, settings = short_grace
    officer = OnDuty(client, settings)
    officer.close()  # the browser is closed
    for _ in range(150):  # the grace period (0.5 s here) passes, then duty switches off (slow on a busy machine)
        time.sleep(0.2)
        if _on_duty(settings) is False:
            break
    answer = _ask(client, settings)
    assert answer["available"] is False and answer["position"] is None
    assert _on_duty(settings) is False
    assert _duty_audit(settings) == [("duty_lapsed", None, f"officer:{_officer_id(settings)}")]
    # Opening the console again says so: the officer is off duty until they switch it on.
    with OnDuty(client, settings, create=False) as console:
        assert console.me["on_duty"] is False


def test_with_the_console_open_students_join_the_queue(short_grace):
    client, settings = short_grace
    with OnDuty(client, settings):
        answer = _ask(client, settings)
    assert answer["available"] is True and answer["position"] == 1


def test_the_console_socket_says_whether_the_officer_is_on_duty(client, settings):
    create_officer(settings, "sam@example.ac.uk", on_duty=False)
    Console(client, "sam@example.ac.uk")._use()
    with client.websocket_connect("/ws/console") as socket:
        first = socket.receive_json()
    assert first["type"] == "duty" and first["on_duty"] is False and first["grace_seconds"] == 45.0


def test_switching_duty_on_and_off_is_audited_once_per_change(client, settings):
    create_officer(settings, "sam@example.ac.uk", on_duty=False)
    console = Console(client, "sam@example.ac.uk")
    for on in (True, True, False, False):  # the console asks again after a reload, or at sign-out
        assert console.post("/duty", {"on_duty": on}).json() == {"on_duty": on}
    sam = console.me["id"]
    assert _duty_audit(settings) == [("duty_on", sam, f"officer:{sam}"), ("duty_off", sam, f"officer:{sam}")]
    clients = run_db(settings, lambda db: db.scalars(select(AuditEvent.client).where(AuditEvent.action.like("duty%"))))
    assert set(clients) == {"testclient"}

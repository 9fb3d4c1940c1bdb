"""An officer's take, hand back and close are each all or nothing.

When a step fails after the first write (the database goes away, or a bug), the conversation's owner, the case,
its history and the messages stay as they were, nothing is published and no text is sent, and the officer gets
an error; trying again then works, with the same events in the same order as ever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from handoff.cases import flows
from handoff.cases import service as cases_service
from handoff.cases.enums import CaseStatus
from handoff.cases.models import Case, CaseEvent
from handoff.channels.sms.standin import TwilioStandIn
from handoff.content import service_message
from handoff.conversations import service as conversations_service
from handoff.conversations import states
from handoff.conversations.enums import Owner
from handoff.conversations.events import QUEUE_TOPIC
from handoff.conversations.models import Conversation, ConversationEvent, Message
from handoff.conversations.phones import SmsOutbound
from handoff.core.config import Settings
from handoff.main import create_app
from handoff.officers.models import Officer
from handoff.realtime import conversation_topic

from ..chat_helpers import assistant_turn, hello
from ..conftest import CLOSED_PORT_URL
from ..console_helpers import Console, OnDuty, create_officer
from ..db_helpers import conversation_row, run_db
from ..sms_helpers import post_sms, twiml_messages

TUESDAY_11AM = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London"))
SAM, ALEX = "sam@example.ac.uk", "alex@example.ac.uk"
CLOSING = {"outcome": "support_given", "category": "harassment"}


class DatabaseGone(OperationalError):
    """The connection to the database was lost midway (the service answers 503: try again)."""

    def __init__(self) -> None:
        super().__init__("UPDATE ...", {}, ConnectionResetError("server closed the connection unexpectedly"))


class Bug(RuntimeError):
    """Any other failure midway (the service answers 500)."""


@pytest.fixture(autouse=True)
def in_hours():
    with time_machine.travel(TUESDAY_11AM, tick=True):
        yield


@pytest.fixture
def app(settings) -> Iterator[TestClient]:
    """The service, answering a failure as a browser sees it (a 500) rather than raising it in the test."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def sam(app, settings) -> Iterator[Console]:
    """Sam is on duty with the console open."""
    with OnDuty(app, settings, SAM) as console:
        yield console


def _waiting_student(client, settings) -> str:
    """A student asked for a person and waits in the queue with an open case; their conversation's public id."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
    public_id = conversation_row(settings).public_id
    with assistant_turn(client, public_id):
        answer = client.post("/api/handoff-requests", json={
            "sender_id": public_id, "request_id": "r1", "goal": "talk", "share_transcript": False}).json()
    assert answer["position"] == 1
    return public_id


@dataclass
class Stored:
    """Everything a step may write: who holds the conversation, the case, its history and the messages."""

    owner: Owner
    status: CaseStatus
    assigned_officer_id: int | None
    outcome: str | None
    case_events: list[tuple[str, str]]
    owner_changes: list[tuple[Owner, Owner, str]]
    messages: list[tuple[int, str, str]]


def _stored(settings) -> Stored:
    async def go(db):
        conversation = await db.scalar(select(Conversation))
        case = await db.scalar(select(Case))
        events = await db.scalars(select(CaseEvent).order_by(CaseEvent.id))
        changes = await db.scalars(select(ConversationEvent).order_by(ConversationEvent.id))
        messages = await db.scalars(select(Message).order_by(Message.seq))
        return Stored(
            conversation.owner, case.status, case.assigned_officer_id, case.outcome,
            [(e.kind, e.actor) for e in events], [(c.from_owner, c.to_owner, c.reason) for c in changes],
            [(m.seq, m.direction.value, m.text) for m in messages],
        )

    return run_db(settings, go)


class Heard:
    """What the hub delivers on the conversation's topic (the student's chat page, a console watching it) and on
    the queue's (every console), from subscriptions the test holds open from the start."""

    def __init__(self, client: TestClient, public_id: str) -> None:
        hub = client.app.state.ctx.hub
        self._client = client
        self._held = [client.portal.wrap_async_context_manager(hub.subscribe(topic))
                      for topic in (conversation_topic(public_id), QUEUE_TOPIC)]
        self._queues = [held.__enter__() for held in self._held]

    def since_last(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(conversation events, queue events) delivered since the last call."""
        conversation, queue = (self._client.portal.call(_drain, q) for q in self._queues)
        return conversation, queue

    def close(self) -> None:
        for held in reversed(self._held):
            held.__exit__(None, None, None)


async def _drain(queue: asyncio.Queue) -> list[dict[str, Any]]:
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


@pytest.fixture
def heard(app, settings, sam) -> Iterator[tuple[str, Heard]]:
    """A waiting student, and what is published about them from now on."""
    public_id = _waiting_student(app, settings)
    listening = Heard(app, public_id)
    try:
        yield public_id, listening
    finally:
        listening.close()


def _fails_after(monkeypatch: pytest.MonkeyPatch, step: tuple[Any, str], error: Exception) -> None:
    """The step does its own work (its writes included), then the worker fails before the step returns."""
    module, name = step
    real = getattr(module, name)

    async def failing(*args, **kwargs):
        await real(*args, **kwargs)
        raise error

    monkeypatch.setattr(module, name, failing)


def _assert_refused_with_an_error(response, error: Exception) -> None:
    if isinstance(error, OperationalError):
        assert response.status_code == 503 and "try again" in response.json()["detail"]
    else:
        assert response.status_code == 500


def _text(name: str) -> str:
    return service_message(name, "webchat")


def _shown(conversation_events: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The conversation's events as the student's page reads them: a message by whom and its words."""
    return [(e["type"], e["from"], e["text"]) if e["type"] == "message" else (e["type"],)
            for e in conversation_events]


CASE_EVENT = (cases_service, "log_event")
NOTICE = (conversations_service, "append_message")
OWNER_CHANGE = (states, "transition")
CASE_CLOSED = (cases_service, "close")


@pytest.mark.parametrize(("step", "error"), [
    pytest.param(CASE_EVENT, DatabaseGone(), id="case-event-database-gone"),
    pytest.param(NOTICE, Bug(), id="notice-bug"),
])
def test_a_take_that_fails_midway_changes_nothing_and_taking_again_works(app, settings, sam, heard, monkeypatch,
                                                                         step, error):
    public_id, listening = heard
    before = _stored(settings)
    with monkeypatch.context() as patch:
        _fails_after(patch, step, error)
        _assert_refused_with_an_error(sam.post(f"/conversations/{public_id}/take"), error)
    assert _stored(settings) == before
    assert before.owner == Owner.waiting and before.assigned_officer_id is None
    assert listening.since_last() == ([], [])

    assert sam.post(f"/conversations/{public_id}/take").status_code == 200
    after = _stored(settings)
    assert after.owner == Owner.human and after.assigned_officer_id == sam.me["id"]
    assert after.case_events == [*before.case_events, ("taken", f"officer:{sam.me['id']}")]
    assert after.owner_changes == [*before.owner_changes, (Owner.waiting, Owner.human, "taken")]
    assert after.messages == [*before.messages, (len(before.messages) + 1, "system", _text("officer_joined"))]
    conversation_events, queue_events = listening.since_last()
    assert _shown(conversation_events) == [("officer_joined",), ("message", "system", _text("officer_joined"))]
    assert queue_events == [{"type": "taken", "conversation": public_id, "officer": sam.me["id"]}]


def _taken_then_failing(settings, sam, public_id: str, listening: Heard, monkeypatch: pytest.MonkeyPatch,
                        step: tuple[Any, str], error: Exception, path: str, **request: Any) -> Stored:
    """Take the conversation, then make ``path`` fail after ``step``: nothing is stored, nothing is shown."""
    assert sam.post(f"/conversations/{public_id}/take").status_code == 200
    listening.since_last()
    before = _stored(settings)
    with monkeypatch.context() as patch:
        _fails_after(patch, step, error)
        _assert_refused_with_an_error(sam.post(f"/conversations/{public_id}/{path}", **request), error)
    assert _stored(settings) == before
    assert listening.since_last() == ([], [])
    return before


@pytest.mark.parametrize(("step", "error"), [
    pytest.param(CASE_EVENT, Bug(), id="case-event-bug"),
    pytest.param(NOTICE, DatabaseGone(), id="notice-database-gone"),
])
def test_a_hand_back_that_fails_midway_changes_nothing_and_handing_back_again_works(app, settings, sam, heard,
                                                                                    monkeypatch, step, error):
    public_id, listening = heard
    before = _taken_then_failing(settings, sam, public_id, listening, monkeypatch, step, error, "handback")
    assert before.owner == Owner.human and before.assigned_officer_id == sam.me["id"]

    assert sam.post(f"/conversations/{public_id}/handback").status_code == 200
    after = _stored(settings)
    assert after.owner == Owner.bot and after.status == CaseStatus.open
    assert after.case_events == [*before.case_events, ("handed_back", f"officer:{sam.me['id']}")]
    assert after.owner_changes == [*before.owner_changes, (Owner.human, Owner.bot, "handed_back")]
    assert after.messages == [*before.messages,
                              (len(before.messages) + 1, "system", _text("officer_handed_back"))]
    conversation_events, queue_events = listening.since_last()
    assert _shown(conversation_events) == [("officer_left",), ("message", "system", _text("officer_handed_back"))]
    assert queue_events == []


@pytest.mark.parametrize(("step", "error"), [
    pytest.param(NOTICE, Bug(), id="notice-bug"),
    pytest.param(OWNER_CHANGE, DatabaseGone(), id="owner-change-database-gone"),
    pytest.param(CASE_CLOSED, Bug(), id="case-closed-bug"),
])
def test_a_close_that_fails_midway_changes_nothing_and_closing_again_works(app, settings, sam, heard, monkeypatch,
                                                                           step, error):
    public_id, listening = heard
    before = _taken_then_failing(settings, sam, public_id, listening, monkeypatch, step, error, "close", json=CLOSING)
    assert before.owner == Owner.human and before.status == CaseStatus.open and before.outcome is None

    closed = sam.post(f"/conversations/{public_id}/close", json=CLOSING)
    assert closed.status_code == 200
    after = _stored(settings)
    assert after.owner == Owner.closed and after.status == CaseStatus.closed and after.outcome == "support_given"
    assert after.assigned_officer_id == sam.me["id"]
    assert after.case_events == [*before.case_events, ("closed", f"officer:{sam.me['id']}")]
    assert after.owner_changes == [*before.owner_changes, (Owner.human, Owner.closed, "closed")]
    assert after.messages == [*before.messages, (len(before.messages) + 1, "system", _text("case_closed"))]
    conversation_events, queue_events = listening.since_last()
    assert _shown(conversation_events) == [("message", "system", _text("case_closed")), ("officer_left",),
                                           ("closed",)]
    assert queue_events == [{"type": "closed", "conversation": public_id}]


def test_a_step_refused_because_the_conversation_moved_on_is_a_409_with_nothing_stored(app, settings, sam, heard):
    """Closing twice (two tabs, a double click): the second finds the conversation closed and changes nothing."""
    public_id, listening = heard
    assert sam.post(f"/conversations/{public_id}/take").status_code == 200
    assert sam.post(f"/conversations/{public_id}/close", json=CLOSING).status_code == 200
    listening.since_last()
    before = _stored(settings)
    assert sam.post(f"/conversations/{public_id}/close", json=CLOSING).status_code == 409
    assert sam.post(f"/conversations/{public_id}/handback").status_code == 409
    assert sam.post(f"/conversations/{public_id}/take").status_code == 409
    assert _stored(settings) == before
    assert listening.since_last() == ([], [])


def test_of_two_officers_taking_at_once_the_one_second_waits_for_the_first_and_is_refused(
        app, settings, sam, heard, monkeypatch):
    """The first take is slow between its owner change and its commit: the second take, at the same moment,
    waits for it on the conversation's row and is refused, whichever of the two gets there first."""
    public_id, listening = heard
    create_officer(settings, ALEX)
    officers = run_db(settings, lambda db: _all(db, select(Officer).where(Officer.email.in_([SAM, ALEX]))))
    conversation_id = conversation_row(settings).id
    ctx = app.app.state.ctx
    real = cases_service.log_event

    async def slow_case_event(**kwargs):
        await asyncio.sleep(0.3)  # the owner change is written and not yet committed
        await real(**kwargs)

    monkeypatch.setattr(cases_service, "log_event", slow_case_event)

    async def both() -> list[Any]:
        return await asyncio.gather(*(flows.take(ctx, conversation_id, officer) for officer in officers),
                                    return_exceptions=True)

    results = app.portal.call(both)
    assert sorted(type(r).__name__ for r in results) == ["Conversation", "NotAllowed"]
    winner = officers[[isinstance(r, Conversation) for r in results].index(True)]
    after = _stored(settings)
    assert after.owner == Owner.human and after.assigned_officer_id == winner.id
    assert [event for event in after.case_events if event[0] == "taken"] == [("taken", f"officer:{winner.id}")]
    assert [change for change in after.owner_changes if change[1] == Owner.human] == [
        (Owner.waiting, Owner.human, "taken")]
    assert [text for _, _, text in after.messages].count(_text("officer_joined")) == 1
    conversation_events, queue_events = listening.since_last()
    assert [e["type"] for e in conversation_events] == ["officer_joined", "message"]
    assert queue_events == [{"type": "taken", "conversation": public_id, "officer": winner.id}]


async def _all(db, statement):
    return list(await db.scalars(statement))


# By SMS: the notice is a text, sent only once the step is committed -------------------------------------


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    standin = TwilioStandIn(account_sid="AC" + "3" * 32, auth_token="standin-token-1122334455").start()
    try:
        yield standin
    finally:
        standin.stop()


def _texts_sent(standin: TwilioStandIn, count: int) -> list[str]:
    """The texts sent through the REST API, once there are ``count`` of them (and a moment for any more)."""
    deadline = time.monotonic() + 10
    while len(standin.sent) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    return [sms.body for sms in standin.sent]


def _texting(database_url: str, twilio) -> Settings:
    """The service with the assistant down and texts going out through the Twilio stand-in."""
    return Settings(
        database_url=database_url, rasa_url=CLOSED_PORT_URL, rasa_timeout=2.0,
        twilio_account_sid=twilio.account_sid, twilio_auth_token=twilio.auth_token,
        twilio_api_base=twilio.base_url, twilio_from_number="+447700900000", _env_file=None,
    )


def test_by_sms_a_take_or_close_that_fails_midway_sends_no_text_and_the_one_that_works_sends_one(
        database_url, twilio, monkeypatch):
    settings = _texting(database_url, twilio)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client, \
            OnDuty(client, settings, SAM) as officer:
        replies = " ".join(twiml_messages(post_sms(client, settings, "PERSON")))
        assert "number 1 in the queue" in replies
        public_id = conversation_row(settings).public_id
        with monkeypatch.context() as patch:
            _fails_after(patch, NOTICE, Bug())
            assert officer.post(f"/conversations/{public_id}/take").status_code == 500
        assert _texts_sent(twilio, 0) == []
        assert conversation_row(settings).owner == Owner.waiting

        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        joined = service_message("officer_joined", "sms")
        assert _texts_sent(twilio, 1) == [joined]

        with monkeypatch.context() as patch:
            _fails_after(patch, CASE_CLOSED, DatabaseGone())
            assert officer.post(f"/conversations/{public_id}/close", json=CLOSING).status_code == 503
        assert _texts_sent(twilio, 1) == [joined]
        assert conversation_row(settings).owner == Owner.human

        assert officer.post(f"/conversations/{public_id}/close", json=CLOSING).status_code == 200
        assert _texts_sent(twilio, 2) == [joined, service_message("case_closed", "sms")]
    outbound = run_db(settings, lambda db: _all(db, select(SmsOutbound).order_by(SmsOutbound.id)))
    assert len(outbound) == 2 and conversation_row(settings).owner == Owner.closed


def test_by_sms_a_reply_with_nothing_a_phone_can_show_is_refused_and_nothing_is_sent(database_url, twilio):
    """Only emoji would be stored and shown as sent, and reach the phone as nothing: the officer is told instead."""
    settings = _texting(database_url, twilio)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client, \
            OnDuty(client, settings, SAM) as officer:
        post_sms(client, settings, "PERSON")
        public_id = conversation_row(settings).public_id
        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        joined = service_message("officer_joined", "sms")
        assert _texts_sent(twilio, 1) == [joined]
        refused = officer.post(f"/conversations/{public_id}/messages", json={"text": "\U0001f642\U0001f44d"})
        assert refused.status_code == 422 and "write it in words" in refused.json()["detail"]
        sent = officer.post(f"/conversations/{public_id}/messages", json={"text": "I'm here \U0001f642"})
        assert sent.status_code == 200
        assert _texts_sent(twilio, 2) == [joined, "I'm here"]
    officer_lines = [m for m in _stored(settings).messages if m[1] == "officer"]
    assert [m[2] for m in officer_lines] == ["I'm here \U0001f642"]

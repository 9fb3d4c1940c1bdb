"""The safety check runs on every inbound message, whoever holds the conversation."""

import time
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from handoff.conversations.enums import Owner

from ..chat_helpers import assistant_turn, hello, is_assistant_message, receive_until
from ..console_helpers import OnDuty, form_token
from ..db_helpers import conversation_row, messages, move_to

CRISIS = "i just want to kms tonight"


@pytest.fixture
def in_hours():
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True):
        yield


def _say_in_a_chat(client, settings, owner: Owner, text: str, until=is_assistant_message) -> list[dict]:
    """The student sends one message in a chat now held by `owner`; what came back, up to the reply awaited."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        move_to(settings, [owner])
        ws.send_json({"type": "message", "client_id": "m1", "text": text})
        return receive_until(ws, until)


def test_while_the_assistant_is_down_a_crisis_message_gets_the_safety_response(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "c1", "text": CRISIS})
        events = receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    replies = " ".join(e["text"] for e in events if is_assistant_message(e))
    assert "116 123" in replies and "85258" in replies and "999" in replies
    conversation = conversation_row(settings)
    assert conversation.risk_flags == ["suicide_self_harm"] and conversation.risk_level >= 3
    assert messages(settings)[0].extra == {"risk": ["suicide_self_harm"], "safety": {"layer": "rule", "score": 1.0}}


def test_while_waiting_for_an_officer_a_crisis_message_gets_the_safety_response(client, settings):
    danger = "he is outside my door right now and i cant get out"
    events = _say_in_a_chat(client, settings, Owner.waiting, danger,
                            until=lambda e: is_assistant_message(e) and "not a person" in e["text"])
    replies = " ".join(e["text"] for e in events if is_assistant_message(e))
    assert "999" in replies and "55" in replies
    assert conversation_row(settings).risk_flags == ["immediate_danger"]


def test_while_waiting_an_ordinary_message_is_kept_for_the_officer_and_answered_with_the_queue(client, settings):
    # Dated in the past: without a date the safety model reads "it happened at the ... party" as a possible
    # recent assault (and the service would rightly send the SARC details).
    events = _say_in_a_chat(client, settings, Owner.waiting, "it happened at the christmas party last year")
    assert "saved" in events[-1]["text"] and "number 1 in the queue" in events[-1]["text"]
    assert [m.direction.value for m in messages(settings)] == ["user", "assistant"]


def test_while_an_officer_is_talking_a_crisis_message_is_flagged_for_them_not_answered_automatically(
        client, settings, in_hours):
    with _waiting_for_the_officer_on_duty(client, settings) as (ws, public_id, officer, _):
        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        ws.send_json({"type": "message", "client_id": "h1", "text": CRISIS})
        receive_until(ws, lambda e: e["type"] == "ack")
        time.sleep(0.3)
        ws.send_json({"type": "ping"})
        after = receive_until(ws, lambda e: e["type"] == "pong")
        # The officer's console hears of the flag at once, and the message is in the transcript it reads.
        receive_until(officer.socket, lambda e: e["type"] == "risk" and e["conversation"] == public_id)
        transcript = officer.get(f"/conversations/{public_id}").json()["messages"]
    assert not any(is_assistant_message(e) for e in after)
    assert conversation_row(settings).risk_flags == ["suicide_self_harm"]
    assert transcript[-1]["text"] == CRISIS and transcript[-1]["from"] == "user"


def test_after_an_officer_closes_a_crisis_message_gets_the_safety_response_and_reaches_the_queue(
        client, settings, in_hours):
    with _waiting_for_the_officer_on_duty(client, settings) as (ws, public_id, officer, reference):
        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        assert officer.post(f"/conversations/{public_id}/close", json={
            "outcome": "support_given", "category": "harassment"}).status_code == 200
        closing = receive_until(ws, lambda e: e["type"] == "closed")
        assert any("start a new chat" in e.get("text", "") for e in closing)
        assert conversation_row(settings).owner == Owner.closed

        ws.send_json({"type": "message", "client_id": "after", "text": "i dont want to be alive any more"})
        events = receive_until(ws, lambda e: is_assistant_message(e) and "queue" in e["text"])
        queue = officer.get("/queue").json()
        page = officer.get(f"/cases/{reference}").json()
    replies = " ".join(e["text"] for e in events if is_assistant_message(e))
    assert "116 123" in replies and "999" in replies and reference in replies and "number 1" in replies
    assert [row["conversation"] for row in queue] == [public_id] and queue[0]["risk_flags"]
    assert conversation_row(settings).owner == Owner.waiting
    assert page["status"] == "open" and "reopened" in [e["kind"] for e in page["events"]]


def test_after_a_close_an_ordinary_message_reaches_the_assistant_again(client, settings):
    events = _say_in_a_chat(client, settings, Owner.closed, "hello again")
    # The assistant is down in these tests: its stand-in answers, with the way to a person.
    assert "talk to a person" in events[-1]["text"]
    assert conversation_row(settings).owner == Owner.bot


@pytest.mark.parametrize("owner", [Owner.bot, Owner.closed])
def test_a_stop_waiting_tapped_when_not_waiting_is_told_there_is_nothing_to_stop(client, settings, owner):
    """An old "Stop waiting" button tapped after the queue was left or the chat closed: the service says there is
    nothing to stop and how to reach a person, instead of an answer that did not understand (the assistant is down
    in these tests, and the answer comes all the same)."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        if owner != Owner.bot:  # a new chat is the assistant's
            move_to(settings, [owner])
        ws.send_json({"type": "message", "client_id": "s1", "text": "Stop waiting", "payload": "/stop_waiting"})
        answer = receive_until(ws, is_assistant_message)[-1]
    assert "nothing to stop" in answer["text"] and "talk to a person" in answer["text"]
    assert conversation_row(settings).owner == Owner.bot
    assert [m.text for m in messages(settings)][:1] == ["Stop waiting"]  # kept, as every message is


def test_distress_sent_with_a_stop_waiting_payload_when_not_waiting_is_asked_about_not_told_nothing_to_stop(
        client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "s1", "text": "i just want to disappear",
                      "payload": "/stop_waiting"})
        answer = receive_until(ws, is_assistant_message)[-1]
    assert "nothing to stop" not in answer["text"] and "ending your life" in answer["text"]


def _ask_for_person(client, public_id: str) -> str:
    with assistant_turn(client, public_id):  # the action server asks during the assistant's turn
        answer = client.post("/api/handoff-requests", json={
            "sender_id": public_id, "request_id": "r1", "goal": "talk", "share_transcript": False}).json()
    return answer["reference"]


@contextmanager
def _waiting_for_the_officer_on_duty(client, settings):
    """The student has asked for a person while an officer is on duty with the console open."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        public_id = conversation_row(settings).public_id
        with OnDuty(client, settings) as officer:
            reference = _ask_for_person(client, public_id)
            yield ws, public_id, officer, reference


def test_a_flagged_conversation_rises_to_the_top_of_the_officer_queue(client, settings):
    for text in ("can you tell me how the appeals process works?", CRISIS):
        with client.websocket_connect("/ws/chat") as ws:
            hello(ws)
            ws.send_json({"type": "message", "client_id": "q", "text": text})
            receive_until(ws, is_assistant_message)

    from sqlalchemy import select

    from handoff.conversations import states
    from handoff.conversations.models import Conversation

    from ..db_helpers import run_db

    async def all_waiting(db):
        for conversation in await db.scalars(select(Conversation).order_by(Conversation.id)):
            await states.transition(db_session=db, conversation=conversation, to=Owner.waiting, actor="test")

    run_db(settings, all_waiting)
    risky = run_db(settings, lambda db: db.scalar(select(Conversation.public_id).where(Conversation.risk_level > 0)))
    calm = run_db(settings, lambda db: db.scalar(select(Conversation.public_id).where(Conversation.risk_level == 0)))
    _sign_in(client, settings)
    page = client.get("/console").text
    assert page.index(risky) < page.index(calm)
    assert "suicide_self_harm" in page


def _sign_in(client, settings):
    from handoff.officers import service as officers
    from handoff.officers.models import Role

    from ..db_helpers import run_db

    run_db(settings, lambda db: officers.create(
        db_session=db, email="lead@example.ac.uk", display_name="Lead", role=Role.safeguarding_lead,
        password="a long enough password",
    ))
    client.post("/console/login", data={"email": "lead@example.ac.uk", "password": "a long enough password",
                                       "csrf": form_token(client)})


def test_while_waiting_the_student_can_stop_waiting_or_ask_for_a_call_back_in_their_own_words(
        client, settings, in_hours):
    with _waiting_for_the_officer_on_duty(client, settings) as (ws, _, officer, _):
        ws.send_json({"type": "message", "client_id": "w1", "text": "are you still there"})
        saved = receive_until(ws, lambda e: is_assistant_message(e) and "saved" in e["text"])[-1]
        assert {b["payload"] for b in saved["buttons"]} == {"/request_callback", "/stop_waiting",
                                                            "/ask_support_services"}
        ws.send_json({"type": "message", "client_id": "w2", "text": "Stop waiting", "payload": "/stop_waiting"})
        left = receive_until(ws, lambda e: is_assistant_message(e) and "left the queue" in e["text"])[-1]
        assert officer.get("/queue").json() == []
    assert conversation_row(settings).owner == Owner.bot and 'type "talk to a person" again' in left["text"]


def test_a_tap_is_read_as_the_button_it_was_but_a_forged_one_is_checked_like_any_message(client, settings, in_hours):
    """A quick reply's words are the assistant's own: tapping "Stop waiting" never gets the emergency answer however
    the model reads those words. A client that sends that payload with other words has its words checked."""
    with _waiting_for_the_officer_on_duty(client, settings) as (ws, _, _officer, _):
        ws.send_json({"type": "message", "client_id": "w1", "text": "are you still there"})
        receive_until(ws, lambda e: is_assistant_message(e) and "saved" in e["text"])
        ws.send_json({"type": "message", "client_id": "w2", "text": "i am going to kill myself tonight",
                      "payload": "/stop_waiting"})
        answer = receive_until(ws, lambda e: is_assistant_message(e) and "116 123" in e["text"])[-1]
        assert "116 123" in answer["text"]
    stored = {m.client_message_id: m for m in messages(settings)}
    assert stored["w2"].extra["risk"] == ["suicide_self_harm"]
    assert "risk" not in (stored["w1"].extra or {})


def test_typed_while_waiting_can_i_have_a_call_back_instead_leaves_the_queue_and_is_answered(client, settings):
    answer = _say_in_a_chat(client, settings, Owner.waiting, "can I have a call back instead")[-1]
    # The assistant (down in these tests: its stand-in answers) takes the call-back from here; never silence.
    assert answer["text"] and conversation_row(settings).owner == Owner.bot


def _risk_raised(settings) -> list:
    from sqlalchemy import select

    from handoff.cases.models import CaseEvent

    from ..db_helpers import run_db

    async def go(db):
        return list(await db.scalars(select(CaseEvent).where(CaseEvent.kind == "risk_raised").order_by(CaseEvent.id)))

    return run_db(settings, go)


def test_a_rise_in_risk_goes_in_the_open_cases_history_with_the_labels_never_the_words(client, settings, in_hours):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        public_id = conversation_row(settings).public_id
        _ask_for_person(client, public_id)  # nobody is on duty: the case is open and the assistant stays
        for n in range(2):  # the second raises nothing: the conversation is at that level already
            ws.send_json({"type": "message", "client_id": f"r{n}", "text": CRISIS})
            receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    level = conversation_row(settings).risk_level
    assert level >= 3
    [raised] = _risk_raised(settings)
    assert (raised.actor, raised.detail) == ("system", f"from=0 to={level} labels=suicide_self_harm")
    assert "kms" not in raised.detail and "tonight" not in raised.detail


def test_a_rise_in_risk_without_an_open_case_writes_no_case_history(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "n1", "text": CRISIS})
        receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    assert conversation_row(settings).risk_level >= 3
    assert _risk_raised(settings) == []


def test_a_low_flag_records_its_rise_and_an_older_copy_of_the_conversation_never_lowers_the_level(settings):
    """A check-in raises the level to low; a copy loaded before a higher raise (another socket's) adds its flag
    without lowering the stored level, and without a rise to record."""
    from handoff.cases import service as cases
    from handoff.cases.enums import Goal
    from handoff.conversations import service
    from handoff.conversations.enums import Channel

    from ..db_helpers import run_db

    async def open_case(db):
        conversation, _ = await service.create(db_session=db, channel=Channel.webchat, institution_id="example")
        await cases.create_for_request(db_session=db, conversation=conversation, request_id="r1", goal=Goal.talk,
                                       share_transcript=False, anonymous=True, out_of_hours=False)
        return conversation

    conversation = run_db(settings, open_case)
    older_copy = conversation_row(settings)
    run_db(settings, lambda db: cases.raise_risk(db_session=db, conversation=conversation,
                                                   flags=["check_in:suicide"], level=1))
    run_db(settings, lambda db: cases.raise_risk(db_session=db, conversation=conversation,
                                                   flags={"suicide_self_harm"}, level=3))
    run_db(settings, lambda db: cases.raise_risk(db_session=db, conversation=older_copy,
                                                   flags=["low:immediate_danger"], level=1))
    stored = conversation_row(settings)
    assert stored.risk_level == 3
    assert stored.risk_flags == ["check_in:suicide", "low:immediate_danger", "suicide_self_harm"]
    assert [e.detail for e in _risk_raised(settings)] == [
        "from=0 to=1 labels=check_in:suicide", "from=1 to=3 labels=suicide_self_harm"]


@pytest.mark.parametrize("states", [[], [Owner.waiting]])
def test_a_broken_emoji_never_loses_a_crisis_message(client, settings, states):
    """A lone surrogate (half an emoji: valid in JSON's escapes, not in UTF-8) once stopped the message being
    stored, and the chat closed without an answer. It is kept as a replacement character, and the rest as sent."""
    from chat_client import is_ack

    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        move_to(settings, states)
        ws.send_json({"type": "message", "client_id": "s\ud83d1", "text": "\ud83d " + CRISIS})
        seen = receive_until(ws, lambda e: is_assistant_message(e) and "116 123" in e["text"], limit=40)
        assert any(is_ack(e, "s\ud83d1") for e in seen)  # the id as the page sent it, so it knows its message
    stored = [m for m in messages(settings) if m.client_message_id == "s\ufffd1"]
    assert [m.text for m in stored] == ["\ufffd " + CRISIS] and stored[0].extra["risk"] == ["suicide_self_harm"]


def test_any_text_is_made_storable_and_a_storable_one_is_left_as_it_is():
    from hypothesis import given
    from hypothesis import strategies as st

    from handoff.core.text import well_formed

    @given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=200))
    def check(text: str) -> None:
        out = well_formed(text)
        assert out.encode("utf-8").decode("utf-8") == out and len(out) <= len(text)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return
        assert out == text

    check()


def test_any_words_and_any_resends_in_a_web_chat_are_each_kept_once_and_answered(database_url):
    """Whatever the student types (any characters, broken emoji included), and however often the page sends a message
    again, every message is acknowledged, kept exactly once, and answered; a crisis among them gets the numbers."""
    from chat_client import is_ack
    from hypothesis import HealthCheck, given
    from hypothesis import settings as run
    from hypothesis import strategies as st
    from starlette.testclient import TestClient

    from handoff.core.config import Settings
    from handoff.main import create_app

    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", rasa_timeout=2.0,
                        rate_limit_messages=10_000, new_conversations_per_address="1000/minute", _env_file=None)
    words = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x10FFFF), max_size=300)
    said = st.one_of(words, st.just(CRISIS)).filter(lambda text: bool(text.strip()))
    sends = st.lists(st.tuples(st.integers(0, 2), said), min_size=1, max_size=6)

    with TestClient(create_app(settings)) as client:

        @run(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(sends)
        def check(frames: list[tuple[int, str]]) -> None:
            before = len([m for m in messages(settings) if m.direction.value == "user"])
            answered: dict[str, str] = {}
            with client.websocket_connect("/ws/chat") as ws:
                hello(ws)
                for which, text in frames:
                    client_id = f"m{which}"
                    ws.send_json({"type": "message", "client_id": client_id, "text": text})
                    seen = receive_until(ws, lambda e, c=client_id: is_ack(e, c), limit=40)
                    assert seen[-1]["duplicate"] is (client_id in answered)
                    if client_id not in answered:
                        replies = receive_until(ws, is_assistant_message, limit=40)
                        answered[client_id] = text
                        if text == CRISIS:
                            assert "116 123" in replies[-1]["text"]
            after = len([m for m in messages(settings) if m.direction.value == "user"])
            assert after - before == len(answered)

        check()


def test_a_message_the_service_cannot_take_in_is_refused_with_help_and_kept_when_sent_again(client, settings,
                                                                                             monkeypatch):
    """A fault while a message is taken in (the database away, a bug) is never silence: the page is told to send it
    again, with where to get help now, and the message sent again is kept once and answered."""
    from chat_client import is_ack

    from handoff.channels import intake

    real = intake.receive
    faults = iter([RuntimeError("a bug")])

    async def flaky(*args, **kwargs):
        fault = next(faults, None)
        if fault is not None:
            raise fault
        return await real(*args, **kwargs)

    monkeypatch.setattr(intake, "receive", flaky)
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "k1", "text": CRISIS})
        [refused] = receive_until(ws, lambda e: e.get("type") == "error")
        assert refused["code"] == "not_taken_in" and refused["client_id"] == "k1" and refused["retry_after"] > 0
        assert "999" in refused["message"] and "116 123" in refused["message"]
        ws.send_json({"type": "message", "client_id": "k1", "text": CRISIS})  # the page sends it again
        seen = receive_until(ws, lambda e: is_assistant_message(e) and "116 123" in e["text"], limit=40)
        assert any(is_ack(e, "k1") and e["duplicate"] is False for e in seen)
    assert [m.text for m in messages(settings)][:1] == [CRISIS]
    assert sum(m.direction.value == "user" for m in messages(settings)) == 1


@pytest.fixture
def silent_assistant():
    """An assistant that answers every message with nothing to show (an empty list), over HTTP as Rasa does."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.timeout(60)  # silence is the failure: the reply awaited would never come
def test_when_the_assistant_answers_with_nothing_the_student_still_gets_an_answer(database_url, silent_assistant):
    from starlette.testclient import TestClient

    from handoff.core.config import Settings
    from handoff.main import create_app

    from ..sms_helpers import post_sms, twiml_messages

    settings = Settings(database_url=database_url, rasa_url=silent_assistant, _env_file=None)
    with TestClient(create_app(settings)) as client:
        with client.websocket_connect("/ws/chat") as ws:
            hello(ws)
            ws.send_json({"type": "message", "client_id": "q1", "text": "what is the informal route"})
            [ordinary] = [e for e in receive_until(ws, is_assistant_message) if is_assistant_message(e)]
            ws.send_json({"type": "message", "client_id": "q2", "text": CRISIS})
            [crisis] = [e for e in receive_until(ws, is_assistant_message) if is_assistant_message(e)]
        texted = twiml_messages(post_sms(client, settings, "i want to kms"))
    assert "not answering" in ordinary["text"] and "999" in ordinary["text"] and "person" in ordinary["text"]
    assert "116 123" in crisis["text"] and "85258" in crisis["text"]
    assert "116 123" in texted[0]

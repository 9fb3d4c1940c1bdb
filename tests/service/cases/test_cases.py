"""Handoff to a welfare officer: the case, the queue, the takeover, live replies, hand back, close."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, text

from handoff.cases.models import Case, CaseEvent
from handoff.conversations.enums import Owner
from handoff.conversations.models import Conversation
from handoff.officers.models import Role

from ..chat_helpers import assistant_turn, hello, is_assistant_message, receive_until
from ..console_helpers import Console, OnDuty, create_officer
from ..db_helpers import conversation_row, run_db

LONDON = ZoneInfo("Europe/London")
TUESDAY_11AM = datetime(2026, 11, 24, 11, 0, tzinfo=LONDON)
SATURDAY_2AM = datetime(2026, 11, 28, 2, 0, tzinfo=LONDON)


@pytest.fixture
def in_hours():
    with time_machine.travel(TUESDAY_11AM, tick=True):
        yield


@pytest.fixture
def sam_on_duty(client, settings):
    """Sam is on duty with the console open (on duty counts only while a console is open)."""
    with OnDuty(client, settings, "sam@example.ac.uk") as console:
        yield console


def _sender(settings) -> str:
    return conversation_row(settings).public_id


def _request(client, settings, request_id="r1", goal="disclosure", share=True):
    with assistant_turn(client, _sender(settings)):
        return client.post("/api/handoff-requests", json={
            "sender_id": _sender(settings), "request_id": request_id, "goal": goal, "share_transcript": share,
        })


def _open_chat(client):
    ws_cm = client.websocket_connect("/ws/chat")
    ws = ws_cm.__enter__()
    hello(ws)
    return ws_cm, ws


def _ask_once_in_a_chat(client, settings) -> dict:
    """The student opens the chat, asks for a person once and leaves; what the service answered."""
    ws_cm, _ = _open_chat(client)
    try:
        return _request(client, settings).json()
    finally:
        ws_cm.__exit__(None, None, None)


def _sam_takes_the_request(client, settings) -> tuple[str, str, Console]:
    """The student asks for a person and Sam takes the conversation: the reference, its id and Sam's console."""
    reference = _request(client, settings).json()["reference"]
    public_id = _sender(settings)
    sam = Console(client, "sam@example.ac.uk")
    sam.post(f"/conversations/{public_id}/take")
    return reference, public_id, sam


def test_a_handoff_request_creates_one_case_and_joins_the_queue(client, settings, in_hours, sam_on_duty):
    ws_cm, _ = _open_chat(client)
    try:
        first = _request(client, settings).json()
        again = _request(client, settings).json()
        other = _request(client, settings, request_id="r2").json()
    finally:
        ws_cm.__exit__(None, None, None)
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", first["reference"])
    assert first["created"] is True and first["available"] is True and first["position"] == 1
    assert again["reference"] == other["reference"] == first["reference"] and not again["created"]
    assert run_db(settings, lambda db: db.scalar(select(Case.id).where(Case.id > 1))) is None
    assert conversation_row(settings).owner == Owner.waiting


def test_out_of_hours_the_student_is_told_when_the_team_is_next_in(client, settings):
    create_officer(settings, "sam@example.ac.uk")
    with time_machine.travel(SATURDAY_2AM, tick=True):
        result = _ask_once_in_a_chat(client, settings)
    assert result["available"] is False and result["in_hours"] is False
    assert result["next_open_words"] == "Monday at 09:00"
    assert conversation_row(settings).owner == Owner.bot


def test_in_hours_with_nobody_on_duty_nobody_is_promised(client, settings, in_hours):
    create_officer(settings, "sam@example.ac.uk", on_duty=False)
    result = _ask_once_in_a_chat(client, settings)
    assert result["available"] is False and result["in_hours"] is True
    assert conversation_row(settings).owner == Owner.bot


def test_the_assistant_api_needs_its_token_when_one_is_set(database_url):
    from starlette.testclient import TestClient

    from handoff.core.config import Settings
    from handoff.main import create_app

    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", handoff_api_token="t" * 24,
                        _env_file=None)
    with TestClient(create_app(settings)) as client:
        body = {"sender_id": "x", "request_id": "r", "goal": "talk", "share_transcript": False}
        assert client.post("/api/handoff-requests", json=body).status_code == 401
        ok = client.post("/api/handoff-requests", json=body, headers={"Authorization": "Bearer " + "t" * 24})
        assert ok.status_code == 409  # authorised; no turn of that conversation is in progress


def test_full_takeover_live_exchange_hand_back_and_close(client, settings, in_hours, sam_on_duty):
    ws_cm, ws = _open_chat(client)
    try:
        ws.send_json({"type": "message", "client_id": "b1", "text": "something happened at a party"})
        receive_until(ws, is_assistant_message)
        reference = _request(client, settings, share=True).json()["reference"]
        officer = Console(client, "sam@example.ac.uk")
        queue = officer.get("/queue").json()
        public_id = _sender(settings)
        # Officers see the case reference; the last part of the student's reference is theirs alone.
        assert [row["conversation"] for row in queue] == [public_id] and reference.startswith(queue[0]["reference"])
        assert reference not in officer.get(f"/cases/{queue[0]['reference']}").text

        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        joined = receive_until(ws, lambda e: e["type"] == "message" and e["from"] == "system")
        assert any(e["type"] == "officer_joined" for e in joined)
        assert "person" in joined[-1]["text"]

        detail = officer.get(f"/conversations/{public_id}").json()
        assert any(m["text"] == "something happened at a party" for m in detail["messages"])  # consented

        assert officer.post(f"/conversations/{public_id}/messages", json={"text": "Hi, I'm Sam."}).status_code == 200
        from_officer = receive_until(ws, lambda e: e["type"] == "message" and e["from"] == "officer")[-1]
        assert from_officer["text"] == "Hi, I'm Sam."

        # While an officer has the conversation the assistant says nothing (even the "down" fallback).
        ws.send_json({"type": "message", "client_id": "s2", "text": "thank you for coming"})
        receive_until(ws, lambda e: e["type"] == "ack")
        assert officer.post(f"/conversations/{public_id}/messages", json={"text": "Of course."}).status_code == 200
        between = receive_until(ws, lambda e: e.get("from") == "officer")
        assert not any(is_assistant_message(e) for e in between)

        assert officer.post(f"/cases/{reference}/notes", json={"text": "Spoke about options."}).status_code == 200
        assert officer.post(f"/conversations/{public_id}/handback").status_code == 200
        left = receive_until(ws, lambda e: e["type"] == "message" and e["from"] == "system")
        assert any(e["type"] == "officer_left" for e in left)
        assert conversation_row(settings).owner == Owner.bot

        # Back with the assistant; the student asks again and the same case continues.
        assert _request(client, settings, request_id="r-again").json()["reference"] == reference
        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        closed = officer.post(f"/conversations/{public_id}/close",
                              json={"outcome": "support_given", "category": "sexual_harassment"})
        assert closed.status_code == 200
    finally:
        ws_cm.__exit__(None, None, None)
    assert conversation_row(settings).owner == Owner.closed
    page = officer.get(f"/cases/{reference}").json()
    assert page["status"] == "closed" and page["outcome"] == "support_given"
    kinds = [e["kind"] for e in page["events"]]
    for kind in ("created", "taken", "read", "note_added", "handed_back", "closed"):
        assert kind in kinds
    assert page["notes"][0]["text"] == "Spoke about options."
    # The student may read out their whole reference; the officer's search finds the case by it.
    assert officer.get(f"/cases?reference={reference.lower().replace('-', '')}").json()[0]["reference"] == reference[:7]


def test_an_officer_reply_or_note_with_a_broken_emoji_is_kept_not_refused(client, settings, in_hours, sam_on_duty):
    """Half an emoji (a lone surrogate, which JSON can carry) once failed on storage: a 500, and the words lost."""
    ws_cm, ws = _open_chat(client)
    try:
        reference = _request(client, settings).json()["reference"]
        officer = Console(client, "sam@example.ac.uk")
        public_id = _sender(settings)
        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        def raw_post(path: str, body: bytes):  # as a page sends it: JSON's escape of half an emoji
            officer._use()
            return client.post(f"/api/console{path}", content=body,
                               headers={**officer.headers, "Content-Type": "application/json"})

        assert raw_post(f"/conversations/{public_id}/messages", b'{"text": "I\'m here \\ud83d"}').status_code == 200
        from_officer = receive_until(ws, lambda e: e["type"] == "message" and e["from"] == "officer")[-1]
        assert from_officer["text"] == "I'm here \ufffd"
        assert raw_post(f"/cases/{reference}/notes", b'{"text": "\\udc94 spoke"}').status_code == 200
    finally:
        ws_cm.__exit__(None, None, None)
    assert officer.get(f"/cases/{reference}").json()["notes"][0]["text"] == "\ufffd spoke"


def test_without_consent_the_officer_sees_only_what_came_after_the_request(client, settings, in_hours, sam_on_duty):
    ws_cm, ws = _open_chat(client)
    try:
        ws.send_json({"type": "message", "client_id": "p1", "text": "private words"})
        receive_until(ws, is_assistant_message)
        _request(client, settings, share=False)
        officer = Console(client, "sam@example.ac.uk")
        public_id = _sender(settings)
        officer.post(f"/conversations/{public_id}/take")
        texts = [m["text"] for m in officer.get(f"/conversations/{public_id}").json()["messages"]]
    finally:
        ws_cm.__exit__(None, None, None)
    assert "private words" not in texts


def test_two_officers_taking_at_once_one_wins(client, settings, in_hours, sam_on_duty):
    create_officer(settings, "alex@example.ac.uk")
    ws_cm, _ = _open_chat(client)
    try:
        _request(client, settings)
        public_id = _sender(settings)
        consoles = [Console(client, "sam@example.ac.uk"), Console(client, "alex@example.ac.uk")]
        browsers = [({"officer_session": c.cookie, "console_csrf": c.csrf_cookie}, c.headers) for c in consoles]

        def take(index: int) -> int:
            cookies, headers = browsers[index]
            return client.post(f"/api/console/conversations/{public_id}/take", headers=headers,
                               cookies=cookies).status_code

        client.cookies.clear()
        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(take, [0, 1]))
    finally:
        ws_cm.__exit__(None, None, None)
    assert codes == [200, 409]
    takes = run_db(settings, lambda db: _all(db, select(CaseEvent).where(CaseEvent.kind == "taken")))
    assert len(takes) == 1


async def _all(db, statement):
    return list(await db.scalars(statement))


def test_officers_see_only_their_cases_and_the_safeguarding_lead_sees_all(client, settings, in_hours, sam_on_duty):
    create_officer(settings, "alex@example.ac.uk")
    create_officer(settings, "lead@example.ac.uk", role=Role.safeguarding_lead)
    ws_cm, _ = _open_chat(client)
    try:
        reference, public_id, sam = _sam_takes_the_request(client, settings)
        alex = Console(client, "alex@example.ac.uk")
        assert alex.get(f"/cases/{reference}").status_code == 403
        assert alex.get(f"/conversations/{public_id}").status_code == 403
        assert alex.post(f"/conversations/{public_id}/messages", json={"text": "hi"}).status_code == 409
        assert alex.get("/cases").json() == []
        lead = Console(client, "lead@example.ac.uk")
        assert lead.get(f"/cases/{reference}").status_code == 200
        assert sam.post(f"/conversations/{public_id}/messages", json={"text": "hi"},
                        headers={}).status_code == 403  # no CSRF token
    finally:
        ws_cm.__exit__(None, None, None)


def _ask_for_a_call_back_at_night(client, settings, channel, safe_time):
    """Sam is an officer; at 2am on a Saturday a student asks for a call back on 07700 900456."""
    create_officer(settings, "sam@example.ac.uk")
    with time_machine.travel(SATURDAY_2AM, tick=True):
        ws_cm, _ = _open_chat(client)
        try:
            with assistant_turn(client, _sender(settings)):
                return client.post("/api/callback-requests", json={
                    "sender_id": _sender(settings), "request_id": "cb1", "preferred_channel": channel,
                    "safe_time": safe_time, "contact": "07700 900456",
                })
        finally:
            ws_cm.__exit__(None, None, None)


def test_callback_requests_are_stored_encrypted_and_listed_for_officers(client, settings):
    response = _ask_for_a_call_back_at_night(client, settings, "phone", "weekday mornings")
    assert response.status_code == 200
    listed = Console(client, "sam@example.ac.uk").get("/callbacks").json()
    assert listed[0]["contact"] == "07700 900456" and listed[0]["safe_time"] == "weekday mornings"

    async def dump(db):
        return str((await db.execute(text("SELECT * FROM callback_requests"))).all())

    assert "900456" not in run_db(settings, dump)


def test_a_call_back_can_be_marked_done_and_the_case_says_who_and_when(client, settings):
    reference = _ask_for_a_call_back_at_night(client, settings, "sms", "after 6pm").json()["reference"]
    sam = Console(client, "sam@example.ac.uk")
    [callback] = sam.get("/callbacks").json()
    assert sam.post(f"/callbacks/{callback['id']}/done").status_code == 200
    assert sam.get("/callbacks").json() == []
    assert sam.post("/callbacks/999999/done").status_code == 404
    done = run_db(settings, lambda db: _all(db, select(CaseEvent).where(CaseEvent.kind == "callback_done")))
    assert len(done) == 1 and done[0].actor == f"officer:{sam.me['id']}" and done[0].created_at is not None
    officers_part = reference.rsplit("-", 1)[0]  # the student is given the reference with their own last part
    case_id = run_db(settings, lambda db: db.scalar(select(Case.id).where(Case.reference == officers_part)))
    assert done[0].case_id == case_id


def test_coming_back_with_the_reference_reaches_the_same_case(client, settings, in_hours, sam_on_duty):
    reference = _ask_once_in_a_chat(client, settings)["reference"]
    ws_cm, _ = _open_chat(client)
    try:
        newest = run_db(settings, lambda db: db.scalar(select(Conversation).order_by(Conversation.id.desc())))
        typed = reference.lower().replace("-", " ")
        with assistant_turn(client, newest.public_id):
            found = client.post("/api/cases/resume", json={"sender_id": newest.public_id, "reference": typed}).json()
            missing = client.post("/api/cases/resume", json={"sender_id": newest.public_id,
                                                              "reference": "AAA-AAA-AAA"})
            again = client.post("/api/handoff-requests", json={
                "sender_id": newest.public_id, "request_id": "new", "goal": "talk", "share_transcript": False,
            }).json()
    finally:
        ws_cm.__exit__(None, None, None)
    assert found == {"found": True, "reference": reference, "status": "open"}
    assert missing.json() == {"found": False}
    assert again["reference"] == reference


def test_when_the_officer_drops_off_the_student_is_told_and_goes_back_to_the_queue(
        client, settings, in_hours, sam_on_duty):
    from handoff.cases import flows

    ws_cm, ws = _open_chat(client)
    try:
        *_, sam = _sam_takes_the_request(client, settings)
        receive_until(ws, lambda e: e["type"] == "message" and e["from"] == "system")
        ctx = client.app.state.ctx
        moved = client.portal.call(flows.officer_disconnected, ctx, sam.me["id"])
        told = receive_until(ws, lambda e: e["type"] == "message" and e["from"] == "system")
    finally:
        ws_cm.__exit__(None, None, None)
    assert moved == 1
    assert "back in the queue" in told[-1]["text"]
    assert conversation_row(settings).owner == Owner.waiting


def test_a_student_waiting_too_long_is_told_once_and_offered_options(client, settings, in_hours, sam_on_duty):
    from handoff.cases import flows

    ws_cm, ws = _open_chat(client)
    try:
        _request(client, settings)
        ctx = client.app.state.ctx
        ctx.settings.handoff_wait_limit = 0.01
        import time

        time.sleep(0.05)
        assert client.portal.call(flows.notify_long_waits, ctx) == 1
        assert client.portal.call(flows.notify_long_waits, ctx) == 0
        told = receive_until(ws, lambda e: e["type"] == "message" and e["from"] == "system")
    finally:
        ws_cm.__exit__(None, None, None)
    assert "116 123" in told[-1]["text"] and "call back" in told[-1]["text"]


def test_a_student_can_delete_their_chat_unless_it_is_part_of_a_case(client, settings, in_hours, sam_on_duty):
    from ..db_helpers import messages

    ws_cm, ws = _open_chat(client)
    try:
        ws.send_json({"type": "message", "client_id": "d1", "text": "please forget this"})
        receive_until(ws, is_assistant_message)
        with assistant_turn(client, _sender(settings)):
            erased = client.post("/api/conversations/erase", json={"sender_id": _sender(settings)}).json()
        assert erased == {"erased": 2, "kept_for_case": False}
        assert messages(settings) == []
        ws.send_json({"type": "message", "client_id": "d2", "text": "ok now I want a person"})
        receive_until(ws, is_assistant_message)
        _request(client, settings)
        with assistant_turn(client, _sender(settings)):
            kept = client.post("/api/conversations/erase", json={"sender_id": _sender(settings)}).json()
    finally:
        ws_cm.__exit__(None, None, None)
    assert kept == {"erased": 0, "kept_for_case": True}
    assert messages(settings)


def test_an_officer_stops_receiving_a_conversation_once_it_has_passed_to_another(
        client, settings, in_hours, sam_on_duty):
    create_officer(settings, "alex@example.ac.uk")
    ws_cm, student = _open_chat(client)
    try:
        _, public_id, sam = _sam_takes_the_request(client, settings)
        sam._use()
        with client.websocket_connect("/ws/console") as sam_socket:
            sam_socket.send_json({"type": "watch", "conversation": public_id})
            sam_socket.send_json({"type": "ping"})
            receive_until(sam_socket, lambda e: e["type"] == "pong")
            sam.post(f"/conversations/{public_id}/handback")
            _request(client, settings, request_id="again")
            alex = Console(client, "alex@example.ac.uk")
            assert alex.post(f"/conversations/{public_id}/take").status_code == 200
            student.send_json({"type": "message", "client_id": "secret", "text": "only for alex"})
            seen = receive_until(sam_socket, lambda e: e["type"] == "unwatched")
    finally:
        ws_cm.__exit__(None, None, None)
    assert not any(e.get("text") == "only for alex" for e in seen)


def _say(ws, text: str) -> list[dict]:
    ws.send_json({"type": "message", "client_id": f"c-{text}", "text": text})
    return receive_until(ws, is_assistant_message)


def test_with_the_assistant_down_asking_for_a_person_still_reaches_the_queue(client, settings, in_hours, sam_on_duty):
    # The `client` fixture's assistant URL is a closed port: every turn finds the assistant down.
    ws_cm, ws = _open_chat(client)
    try:
        first = [e for e in _say(ws, "what is consent?") if is_assistant_message(e)][-1]["text"]
        assert "not answering" in first and "talk to a person" in first
        assert conversation_row(settings).owner == Owner.bot  # a question alone does not join the queue
        ws.send_json({"type": "message", "client_id": "person", "text": "Can I talk to a person please?"})
        said = [e["text"] for e in receive_until(ws, lambda e: is_assistant_message(e) and "queue" in e["text"])
                if is_assistant_message(e)]
        assert "on duty now" in said[0]  # the wait comes first
        reply = said[-1]
    finally:
        ws_cm.__exit__(None, None, None)
    case = run_db(settings, lambda db: db.scalar(select(Case)))
    assert f"reference is {case.reference}" in reply and "number 1 in the queue" in reply
    assert "only see what you write from now on" in reply
    assert case.share_transcript is False and conversation_row(settings).owner == Owner.waiting
    queue = Console(client, "sam@example.ac.uk").get("/queue").json()
    assert [row["conversation"] for row in queue] == [conversation_row(settings).public_id]


def test_with_the_assistant_down_out_of_hours_the_case_is_opened_and_the_student_told_when(client, settings):
    create_officer(settings, "sam@example.ac.uk")
    with time_machine.travel(SATURDAY_2AM, tick=True):
        ws_cm, ws = _open_chat(client)
        try:
            reply = [e for e in _say(ws, "PERSON") if is_assistant_message(e)][-1]["text"]
        finally:
            ws_cm.__exit__(None, None, None)
    case = run_db(settings, lambda db: db.scalar(select(Case)))
    assert "next in on Monday at 09:00" in reply and case.reference in reply and "116 123" in reply
    assert conversation_row(settings).owner == Owner.bot


def test_a_request_id_from_another_conversation_is_refused_not_given_its_case(client, settings, in_hours, sam_on_duty):
    ws_cm, _ = _open_chat(client)
    try:
        first = _request(client, settings, request_id="same").json()
    finally:
        ws_cm.__exit__(None, None, None)
    ws_cm, _ = _open_chat(client)
    try:
        rows = run_db(settings, lambda db: db.scalars(select(Conversation).order_by(Conversation.id)))
        second = list(rows)[-1]
        with assistant_turn(client, second.public_id):
            response = client.post("/api/handoff-requests", json={
                "sender_id": second.public_id, "request_id": "same", "goal": "talk", "share_transcript": False})
    finally:
        ws_cm.__exit__(None, None, None)
    assert response.status_code == 409 and first["reference"] not in response.text
    assert run_db(settings, lambda db: db.get(Conversation, second.id)).owner == Owner.bot


def test_the_officer_never_sees_the_chat_pages_hidden_greeting(client, settings, in_hours, sam_on_duty):
    ws_cm, ws = _open_chat(client)
    try:
        ws.send_json({"type": "message", "client_id": "g", "text": "/greet"})  # what the chat page sends first
        receive_until(ws, is_assistant_message)
        ws.send_json({"type": "message", "client_id": "m", "text": "something happened"})
        receive_until(ws, is_assistant_message)
        _request(client, settings, share=True)
        public_id = _sender(settings)
        assert sam_on_duty.post(f"/conversations/{public_id}/take").status_code == 200
        transcript = sam_on_duty.get(f"/conversations/{public_id}").json()["messages"]
    finally:
        ws_cm.__exit__(None, None, None)
    users = [m["text"] for m in transcript if m["from"] == "user"]
    assert users == ["something happened"]


def test_asking_again_after_a_hand_back_updates_the_cases_choices(client, settings, in_hours, sam_on_duty):
    ws_cm, _ = _open_chat(client)
    try:
        reference = _request(client, settings, goal="talk", share=False).json()["reference"]
        public_id = _sender(settings)
        assert sam_on_duty.post(f"/conversations/{public_id}/take").status_code == 200
        assert sam_on_duty.post(f"/conversations/{public_id}/handback").status_code == 200
        again = _request(client, settings, request_id="r-again", goal="formal_report", share=True).json()
    finally:
        ws_cm.__exit__(None, None, None)
    assert again["reference"] == reference and not again["created"]  # the same case...
    case = run_db(settings, lambda db: db.scalar(select(Case)))
    assert case.goal.value == "formal_report" and case.share_transcript is True  # ...with the new answers
    page = sam_on_duty.get(f"/cases/{reference}").json()
    assert [e["detail"] for e in page["events"] if e["kind"] == "choices_updated"] == [
        "goal=formal_report share_transcript=True anonymous=True"]


def test_a_refused_field_with_a_broken_emoji_gets_a_clear_refusal_not_a_server_error(
        client, settings, in_hours, sam_on_duty):
    """A refusal echoes what was sent; with half an emoji in it the refusal could not be written (a 500)."""
    ws_cm, _ = _open_chat(client)
    try:
        _request(client, settings)
        officer = Console(client, "sam@example.ac.uk")
        public_id = _sender(settings)
        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        officer._use()
        response = client.post(f"/api/console/conversations/{public_id}/close",
                               content=b'{"outcome": "support_given", "category": ["\\udc94"]}',
                               headers={**officer.headers, "Content-Type": "application/json"})
    finally:
        ws_cm.__exit__(None, None, None)
    assert response.status_code == 422
    fields = [error["loc"][-1] for error in response.json()["detail"]]
    assert fields == ["category"]
    assert response.json()["detail"][0]["input"] == ["\ufffd"]
    # Nothing was closed by the refused request.
    assert officer.get(f"/conversations/{public_id}").json()["owner"] == "human"  # still the officer's, not closed

"""The safety check runs on every inbound message, whoever holds the conversation."""

import time

from handoff.conversations.enums import Owner

from .chat_helpers import hello, is_assistant_message, receive_until
from .console_helpers import form_token
from .db_helpers import conversation_row, messages, move_to

CRISIS = "i just want to kms tonight"


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
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        move_to(settings, [Owner.waiting])
        danger = "he is outside my door right now and i cant get out"
        ws.send_json({"type": "message", "client_id": "w1", "text": danger})
        events = receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    replies = " ".join(e["text"] for e in events if is_assistant_message(e))
    assert "999" in replies and "55" in replies
    assert conversation_row(settings).risk_flags == ["immediate_danger"]


def test_while_waiting_an_ordinary_message_is_kept_for_the_officer_without_an_automatic_reply(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        move_to(settings, [Owner.waiting])
        # Dated in the past: without a date the safety model reads "it happened at the ... party" as a possible
        # recent assault (and the service would rightly send the SARC details).
        text = "it happened at the christmas party last year"
        ws.send_json({"type": "message", "client_id": "o1", "text": text})
        receive_until(ws, lambda e: e["type"] == "ack")
        time.sleep(0.3)
        ws.send_json({"type": "ping"})
        after = receive_until(ws, lambda e: e["type"] == "pong")
    assert not any(is_assistant_message(e) for e in after)
    assert [m.direction.value for m in messages(settings)] == ["user"]


def test_while_an_officer_is_talking_a_crisis_message_is_flagged_but_not_answered_automatically(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        move_to(settings, [Owner.waiting, Owner.human])
        ws.send_json({"type": "message", "client_id": "h1", "text": CRISIS})
        receive_until(ws, lambda e: e["type"] == "ack")
        time.sleep(0.3)
        ws.send_json({"type": "ping"})
        after = receive_until(ws, lambda e: e["type"] == "pong")
    assert not any(is_assistant_message(e) for e in after)
    assert conversation_row(settings).risk_flags == ["suicide_self_harm"]


def test_a_flagged_conversation_rises_to_the_top_of_the_officer_queue(client, settings):
    for text in ("first, just a question", CRISIS):
        with client.websocket_connect("/ws/chat") as ws:
            hello(ws)
            ws.send_json({"type": "message", "client_id": "q", "text": text})
            receive_until(ws, is_assistant_message)

    from sqlalchemy import select

    from handoff.conversations import states
    from handoff.conversations.models import Conversation

    from .db_helpers import run_db

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

    from .db_helpers import run_db

    run_db(settings, lambda db: officers.create(
        db_session=db, email="lead@example.ac.uk", display_name="Lead", role=Role.safeguarding_lead,
        password="a long enough password",
    ))
    client.post("/console/login", data={"email": "lead@example.ac.uk", "password": "a long enough password",
                                       "csrf": form_token(client)})

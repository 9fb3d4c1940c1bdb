"""The whole system, for real: web chat -> handoff service -> Rasa (-> action server) -> back."""

from __future__ import annotations

import asyncio

import httpx
from chat_client import is_assistant_message, open_chat

from safety.gsm import fits_sms

from .conftest import OFFICER_EMAIL, OFFICER_PASSWORD
from .officers import on_duty

# The assistant's messages in one turn can come seconds apart (it waits on the action server): a turn is over
# once none has come for this long.
QUIET = 3.0


def test_a_greeting_on_the_web_chat_gets_the_assistants_reply(system):
    async def run() -> dict:
        async with open_chat(system.handoff_url) as student:  # it checks the welcome
            seq = await student.send("hello")  # returns once the message is acknowledged
            return await student.wait_for(lambda m: is_assistant_message(m) and m["seq"] > seq)

    reply = asyncio.run(run())["text"]
    assert "automated assistant" in reply and "not a person" in reply
    assert "999" in reply


def test_the_health_endpoint_sees_the_database_and_the_assistant(system):
    assert httpx.get(f"{system.handoff_url}/health").json() == {"status": "ok", "database": "ok", "rasa": "ok"}


def test_the_assistant_refuses_callers_without_the_channel_token(system):
    response = httpx.post(f"{system.rasa_url}/webhooks/webchat/webhook", json={"sender": "x", "message": "hi"})
    assert response.status_code == 403


def test_sms_users_get_the_sms_wording_that_fits_one_budget(system):
    headers = {"x-channel-token": system.channel_token}
    web = httpx.post(f"{system.rasa_url}/webhooks/webchat/webhook", headers=headers,
                     json={"sender": "smoke-web", "message": "hello"}, timeout=30).json()
    sms = httpx.post(f"{system.rasa_url}/webhooks/sms/webhook", headers=headers,
                     json={"sender": "smoke-sms", "message": "hello"}, timeout=30).json()
    assert web and sms
    assert all(fits_sms(message["text"]) for message in sms)
    assert "Exit" in " ".join(m["text"] for m in web)
    assert "Exit" not in " ".join(m["text"] for m in sms)


def _text(system, body: str, sid: str) -> list[str]:
    import xml.etree.ElementTree as ET

    from twilio.request_validator import RequestValidator

    from handoff.core.config import DEV_TWILIO_TOKEN

    url = f"{system.handoff_url}/sms/inbound"
    params = {"MessageSid": sid, "From": "+447700900555", "To": "+447700900000", "Body": body, "NumMedia": "0"}
    signature = RequestValidator(DEV_TWILIO_TOKEN).compute_signature(url, params)
    response = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


def test_an_sms_conversation_reaches_the_assistant_and_stops_on_stop(system):
    greeting = _text(system, "hello", "SM" + "5" * 32)
    assert greeting and all(fits_sms(m) for m in greeting)
    assert "not a person" in " ".join(greeting)
    crisis = _text(system, "i want to kms", "SM" + "6" * 32)
    assert "116 123" in " ".join(crisis) and all(fits_sms(m) for m in crisis)
    assert _text(system, "STOP", "SM" + "7" * 32) == []
    assert _text(system, "hello again", "SM" + "8" * 32) == []


def test_a_crisis_at_the_end_of_a_message_longer_than_the_assistant_reads_gets_the_crisis_answer(system):
    """The assistant reads only the start; the verdict on the whole message, sent with it, decides its answer."""
    story = "I wanted to ask how the informal route works for students in halls, and who I would speak to first. " * 25
    assert len(story) > 2000

    async def run():
        async with open_chat(system.handoff_url) as student:
            crisis = await student.turn(story + "I have taken all of my tablets tonight.", quiet=QUIET)
            plain = await student.turn(story, quiet=QUIET)
            return crisis, plain

    crisis, plain = asyncio.run(run())
    assert "116 123" in " ".join(m["text"] for m in crisis)
    assert any("saved" in m["text"] and "999" in m["text"] for m in plain)


def _database(system) -> str:
    return f"sqlite+aiosqlite:///{system.logs}/handoff.db"


def test_asking_for_a_person_goes_through_the_action_server_and_creates_one_case(system):
    import re

    async def run():
        async with on_duty(system.handoff_url, OFFICER_EMAIL, OFFICER_PASSWORD), \
                open_chat(system.handoff_url) as student:
            intro = await student.turn("can I talk to a real person", quiet=QUIET)
            goal = await student.turn("Yes, share it", "/affirm", quiet=QUIET)
            done = await student.turn("Just talk", "/goal_talk", quiet=QUIET)
            return intro, goal, done

    intro, goal, done = asyncio.run(run())
    # Honest first: someone is on duty, so the wait comes before the question about sharing the chat.
    said = " ".join(e["text"] for e in intro)
    assert "on duty now" in said and said.index("on duty now") < said.index("real person"), said
    assert any(b["payload"] == "/goal_report" for e in goal for b in e.get("buttons", []))
    text = " ".join(e["text"] for e in done)
    found = re.search(r"Your reference is ([A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3})", text)
    assert found, text
    reference = found.group(1)

    async def come_back(typed: str) -> str:
        async with open_chat(system.handoff_url) as student:
            return " ".join(e["text"] for e in await student.turn(f"my reference is {typed}", quiet=QUIET))

    # Quoting only the part officers see links nothing; the whole reference, typed loosely, does.
    assert "only two" in asyncio.run(come_back(reference[:7]))
    assert f"now linked to {reference}" in asyncio.run(come_back(reference.lower().replace("-", " ")))


def test_delete_my_chat_goes_through_the_action_server_during_its_turn(system):
    async def run():
        async with open_chat(system.handoff_url) as student:
            await student.turn("hello", quiet=QUIET)
            asked = await student.turn("please delete this chat", "/delete_conversation", quiet=QUIET)
            done = await student.turn("Yes", "/affirm", quiet=QUIET)
            return asked, done

    asked, done = asyncio.run(run())
    assert asked and "has been deleted" in " ".join(e["text"] for e in done)


def test_the_assistant_sends_nothing_while_an_officer_has_the_conversation(system):
    from sqlalchemy import select

    from handoff.conversations import states
    from handoff.conversations.enums import Owner
    from handoff.conversations.models import Conversation
    from handoff.core.db import create_engine, create_sessionmaker

    async def move(public_id: str, path: list[Owner]) -> None:
        engine = create_engine(_database(system))
        async with create_sessionmaker(engine)() as db:
            conversation = await db.scalar(select(Conversation).where(Conversation.public_id == public_id))
            for owner in path:
                await states.transition(db_session=db, conversation=conversation, to=owner, actor="officer:test")
        await engine.dispose()

    async def newest_public_id() -> str:
        engine = create_engine(_database(system))
        async with create_sessionmaker(engine)() as db:
            public_id = await db.scalar(select(Conversation.public_id).order_by(Conversation.id.desc()))
        await engine.dispose()
        return public_id

    async def run():
        async with open_chat(system.handoff_url) as student:
            before = await student.turn("hello", quiet=QUIET)
            public_id = await newest_public_id()
            await move(public_id, [Owner.waiting, Owner.human])
            during = await student.turn("what is consent", quiet=QUIET, limit=6, expect_reply=False)
            await move(public_id, [Owner.bot])
            after = await student.turn("what is consent", quiet=QUIET)
            return before, during, after

    before, during, after = asyncio.run(run())
    assert before and after
    assert during == []

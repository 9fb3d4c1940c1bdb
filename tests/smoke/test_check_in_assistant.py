"""The verdict and the check-in through the real assistant: service -> Rasa (-> action server) -> back.

The service runs in this process so that the test can give it verdicts (the statistical layer that will
produce check-ins is built elsewhere); Rasa and the action server are the real processes with the trained model.
Rasa's own copy of the rules would never ask a check-in, nor stay quiet on a crisis message, so what it does
here shows it used the service's verdict and did not check the text again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chat_client import is_assistant_message, message_frame, receive_until
from processes import CHANNEL_TOKEN
from starlette.testclient import TestClient

from handoff.core.config import Settings
from handoff.core.migrate import upgrade
from handoff.main import create_app
from safety.check_in import get_check_in
from safety.gsm import fits_sms
from safety.verdict import Verdict, get_safety_check
from tests.service.chat_helpers import hello

DISTRESS = "i dont know how much longer i can do this"
NONSENSE = "blorp wibble"  # words no intent knows
CRISIS = "i just want to kms tonight"
# A question the assistant answers without a help number of its own.
QUESTION = "whats the difference between telling someone and making a formal report"


class GivenVerdicts:
    def __init__(self, given: dict[str, Verdict]) -> None:
        self.real, self.given, self.calls = get_safety_check(), given, []
        self.labels = self.real.labels

    def severity(self, label: str) -> int:
        return self.real.severity(label)

    def assess(self, text: str) -> Verdict:
        self.calls.append(text)
        return self.given.get(text) or self.real.assess(text)


@pytest.fixture(scope="module")
def rasa_url(system) -> str:
    """The smoke tests' own Rasa and action server: starting a second pair costs half a minute."""
    return system.rasa_url


@pytest.fixture
def service(rasa_url: str, tmp_path) -> Iterator[tuple[TestClient, Settings, GivenVerdicts]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/handoff.db", rasa_url=rasa_url,
                        rasa_channel_token=CHANNEL_TOKEN, rasa_timeout=30.0, sms_reply_timeout=12.0, _env_file=None)
    upgrade(settings.async_database_url)
    given = GivenVerdicts({
        DISTRESS: Verdict(layer="model", score=0.55, check_in="suicide"),
        CRISIS: Verdict(),  # the service saw nothing: the assistant must not look again
    })
    with TestClient(create_app(settings)) as client:
        client.app.state.ctx.risk = given
        yield client, settings, given


def _turn(ws, text: str, client_id: str, until: str | None = None) -> list[dict]:
    """The assistant's replies to one message, up to the first that says ``until`` (or just the first)."""
    ws.send_json(message_frame(text, client_id=client_id))
    events = receive_until(ws, lambda e: is_assistant_message(e) and (until is None or until in e["text"]), limit=100)
    return [e for e in events if is_assistant_message(e)]


def _flags(settings: Settings) -> list[str]:
    import asyncio

    from sqlalchemy import select

    from handoff.conversations.models import Conversation
    from handoff.core.db import create_engine, create_sessionmaker

    async def read() -> list[str]:
        engine = create_engine(settings.async_database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                return (await db.scalar(select(Conversation))).risk_flags
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _sms(client: TestClient, settings: Settings, body: str) -> list[str]:
    """A text from the student's phone, signed as Twilio signs it; the replies in the TwiML answer."""
    import secrets
    import xml.etree.ElementTree as ET

    from twilio.request_validator import RequestValidator

    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32, "From": "+447700900123",
              "To": "+447700900000", "Body": body, "NumMedia": "0"}
    signature = RequestValidator(settings.twilio_token).compute_signature(settings.public_url + "/sms/inbound", params)
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature})
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


def test_the_assistant_asks_the_check_in_the_service_asked_for_and_a_yes_gets_help(service):
    client, settings, given = service
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        [question] = _turn(ws, DISTRESS, "c1")
        assert question["text"] == get_check_in().question("suicide", "web")
        assert [b["payload"] for b in question["buttons"]] == ["/affirm", "/deny", "/check_in_skip"]
        assert _flags(settings) == ["check_in:suicide"]  # the service learnt the assistant asked
        replies = _turn(ws, "yes", "c2", until="not a person")
    text = " ".join(r["text"] for r in replies)
    assert "116 123" in text and "999" in text
    assert {"check_in:suicide", "suicide_self_harm"} <= set(_flags(settings))
    assert given.calls == [DISTRESS, "yes"]  # once per message, by the service


def test_a_no_to_the_assistants_check_in_is_thanked(service):
    client, settings, _ = service
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _turn(ws, DISTRESS, "n1")
        [reply] = _turn(ws, "no", "n2")
    assert reply["text"] == get_check_in().answered_no["web"]
    assert _flags(settings) == ["check_in:suicide"]


def test_the_assistants_question_asked_again_after_a_no_says_the_no_was_heard(service):
    client, settings, given = service
    texts = get_check_in()
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _turn(ws, DISTRESS, "a1")
        [thanks] = _turn(ws, "no", "a2")
        assert thanks["text"] == texts.answered_no["web"]
        [again] = _turn(ws, DISTRESS, "a3")  # the assistant asks; the service words it as asked again
        assert again["text"] == texts.question("suicide", "web", again=True)
        assert [b["payload"] for b in again["buttons"]] == ["/affirm", "/deny", "/check_in_skip"]
        replies = _turn(ws, "yes", "a4", until="not a person")
    assert "116 123" in " ".join(r["text"] for r in replies)
    assert {"check_in:suicide", "suicide_self_harm"} <= set(_flags(settings))
    assert given.calls == [DISTRESS, "no", DISTRESS, "yes"]


def test_a_no_with_a_reason_is_thanked_by_the_assistant_and_a_reply_showing_the_sign_again_gets_help(service):
    client, settings, given = service
    given.given["its all just too much"] = Verdict(layer="model", score=0.4, check_in="suicide")
    texts = get_check_in()
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _turn(ws, DISTRESS, "r1")
        [thanks] = _turn(ws, "nah im fine, just tired", "r2")  # the words after the answer need no reading
        assert thanks["text"] == texts.answered_no["web"]
        [again] = _turn(ws, DISTRESS, "r3")
        assert again["text"] == texts.question("suicide", "web", again=True)
        replies = _turn(ws, "its all just too much", "r4", until="not a person")  # no answer, the same sign
    said = " ".join(r["text"] for r in replies)
    assert "116 123" in said and "are you thinking about suicide" not in said
    assert "suicide_self_harm" in _flags(settings)


NO_AND_MORE = "no, its just that nothing is ever going to get better and i am so tired of all of it"


def test_a_no_then_more_with_the_sign_is_heard_by_the_assistant_on_web_and_sms_not_asked_again(service):
    client, settings, given = service
    given.given[NO_AND_MORE] = Verdict(layer="model", score=0.45, check_in="suicide")
    texts = get_check_in()
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _turn(ws, DISTRESS, "m1")
        [heard] = _turn(ws, NO_AND_MORE, "m2")  # the assistant's answer, worded by how the service read the reply
        assert texts.said_more and heard["text"] == texts.said_more["suicide"]["web"]
        assert "116 123" in heard["text"] and "999" in heard["text"]
        [next_answer] = _turn(ws, QUESTION, "m3")  # and the conversation carries on as usual
    assert "are you thinking about suicide" not in next_answer["text"]
    assert _flags(settings) == ["check_in:suicide"]
    _sms(client, settings, DISTRESS)
    [texted] = _sms(client, settings, NO_AND_MORE)
    assert texted == texts.said_more["suicide"]["sms"] and fits_sms(texted)


def test_a_no_then_words_the_assistant_does_not_understand_is_heard_not_met_with_sorry(service):
    client, settings, given = service
    reply = "no, my dissertation is due on friday and my supervisor still hasnt answered any of my emails this week"
    given.given[reply] = Verdict()
    texts = get_check_in()
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _turn(ws, DISTRESS, "u1")
        replies = _turn(ws, reply, "u2", until="999")
    said = " ".join(r["text"] for r in replies)
    assert texts.said_more and texts.said_more["suicide"]["web"] in said and "not sure I understood" not in said
    assert _flags(settings) == ["check_in:suicide"]


def test_sms_check_in_through_the_assistant(service):
    client, settings, _ = service
    question, *privacy = _sms(client, settings, DISTRESS)  # the first reply also says texts stay on the phone
    assert question == get_check_in().question("suicide", "sms") and fits_sms(question)
    assert all("stay on your phone" in line for line in privacy)
    replies = _sms(client, settings, "YES")
    assert "999" in replies[0][:160] and "116 123" in replies[0] and all(fits_sms(r) for r in replies)
    assert "suicide_self_harm" in _flags(settings)


def test_not_understood_always_carries_help(service):
    client, _, _ = service
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        not_understood, _menu = _turn(ws, NONSENSE, "u1", until="like to know about")
    assert "not sure I understood" in not_understood["text"]
    assert "116 123" in not_understood["text"] and "999" in not_understood["text"]


def test_not_understood_with_a_weak_sign_gets_a_check_in_instead(service):
    client, settings, given = service
    given.given[NONSENSE] = Verdict(layer="model", score=0.3, low_confidence=frozenset({"recent_sexual_assault"}))
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        [question] = _turn(ws, NONSENSE, "u2")
    assert question["text"] == get_check_in().question("safety", "web")
    assert set(_flags(settings)) == {"check_in:safety", "low:recent_sexual_assault"}


def _quiet_line(channel: str) -> str:
    from handoff.content import service_message

    return service_message("quiet_help", channel)


def test_an_answer_to_a_faint_sign_ends_with_a_quiet_line_of_help_when_it_gave_no_number(service):
    client, settings, given = service
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        plain = _turn(ws, QUESTION, "q1", until="There are limits")  # no sign: the answer, which names no number
        assert plain and not any("116 123" in r["text"] or "999" in r["text"] for r in plain)
        given.given[QUESTION] = Verdict(layer=None, score=0.0, faint="suicide")
        replies = _turn(ws, QUESTION, "q2", until="116 123")
    assert [r["text"] for r in replies[:-1]] == [r["text"] for r in plain]  # the same answer, then the line
    assert replies[-1]["text"] == _quiet_line("web") and "999" in replies[-1]["text"]
    assert _flags(settings) in ([], None)  # a faint sign raises no flag: it only adds the line


def test_an_answer_that_already_gives_a_number_gets_no_quiet_line(service):
    client, _, given = service
    given.given[NONSENSE] = Verdict(faint="safety")  # not understood: its reply already names 116 123 and 999
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        replies = _turn(ws, NONSENSE, "f1", until="like to know about")
        ws.send_json({"type": "ping"})
        after = receive_until(ws, lambda e: e["type"] == "pong")
    texts = [r["text"] for r in replies] + [e["text"] for e in after if is_assistant_message(e)]
    assert "not sure I understood" in texts[0] and _quiet_line("web") not in texts


def test_sms_answer_to_a_faint_sign_gets_the_quiet_line_within_one_text(service):
    client, settings, given = service
    given.given[QUESTION] = Verdict(faint="suicide")
    replies = _sms(client, settings, QUESTION)  # the first text of a conversation also says texts stay on the phone
    line = replies.index(_quiet_line("sms"))
    assert replies[:line] and not any("116 123" in r or "999" in r for r in replies[:line])  # the answer first
    assert all(fits_sms(r) for r in replies) and "116 123" in replies[line] and "999" in replies[line]


# A sign the trained model reads as faint (under the check-in as a whole; its first sentence alone would be asked
# about), with a question the look-up answers without a number.
FAINT = "i feel hopeless. what does the policy say about appeals"


def test_a_faint_sign_the_model_reads_beside_a_policy_question_gets_the_answer_and_the_quiet_line(service):
    client, _, given = service
    verdict = get_safety_check().assess(FAINT)
    assert verdict.faint == "suicide" and not verdict.labels and verdict.check_in is None, \
        "the model no longer reads this message as a faint sign: choose another for this test"
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        replies = _turn(ws, FAINT, "r1", until="116 123")
    # the look-up's answer as always (here its honest no, with the offer of a person), which names no number
    assert replies[:-1] and not any("116 123" in r["text"] or "999" in r["text"] for r in replies[:-1])
    assert replies[-1]["text"] == _quiet_line("web")
    assert given.calls == [FAINT]


def test_the_assistant_uses_the_services_verdict_and_does_not_check_the_text_again(service):
    client, _, given = service
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        replies = _turn(ws, CRISIS, "v1")
    # Rasa's own rules would flag these words; the service's (given) verdict said nothing, and that is what counts.
    assert not any("116 123" in r["text"] and "A&E" in r["text"] for r in replies)
    assert given.calls == [CRISIS]


# --- look-up in the institution's own policy, through the real assistant ------------------------------------

def test_a_question_about_the_policy_is_answered_with_its_section_and_the_console_sees_what_was_quoted(service):
    client, settings, _ = service
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        replies = _turn(ws, "what does the policy say about appealing the outcome", "p1", until="Read the full policy")
    quotes = [r for r in replies if r["text"].startswith("From Example College's policy, section ")]
    assert quotes and "9.1" in quotes[0]["text"] and quotes[0]["quoted"][0].startswith("9.1")
    assert any("/request_person" in str(r.get("buttons")) for r in replies)
    assert "quoted" in _stored_extra(settings, "policy_sections")  # kept with the message for the console


def test_a_policy_question_by_sms_gives_the_section_within_one_text(service):
    client, settings, _ = service
    replies = _sms(client, settings, "wat does the policy say about appeals")
    assert replies and all(fits_sms(r) for r in replies)
    assert any("section 9.1" in r for r in replies)


def test_a_policy_question_the_policy_cannot_answer_gets_an_honest_no_and_a_person(service):
    client, _, _ = service
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        replies = _turn(ws, "what does the policy say about parking permits for the staff car park", "p2",
                        until="couldn't find")
    assert "I couldn't find that in Example College's policy" in replies[-1]["text"]
    assert "/request_person" in str(replies[-1].get("buttons"))


def _stored_extra(settings: Settings, key: str) -> str:
    """'quoted' when an assistant message was stored with the sections it quoted."""
    import asyncio

    from sqlalchemy import select

    from handoff.conversations.models import Message
    from handoff.core.db import create_engine, create_sessionmaker

    async def read() -> str:
        engine = create_engine(settings.async_database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                extras = (await db.scalars(select(Message.extra))).all()
                return "quoted" if any((extra or {}).get(key) for extra in extras) else "nothing quoted"
        finally:
            await engine.dispose()

    return asyncio.run(read())

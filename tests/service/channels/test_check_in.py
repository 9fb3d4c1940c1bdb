"""The check-in, answered by the service itself: the assistant is down (these fixtures) or an officer is awaited.

The safety check's statistical layer decides when to ask; here the verdicts are given, so that these tests
depend on the check-in, not on what today's rules happen to catch.
"""

from __future__ import annotations

import json
import re

import pytest

from handoff.conversations.enums import Owner
from safety.check_in import get_check_in
from safety.gsm import fits_sms
from safety.verdict import Verdict, get_safety_check

from ..chat_helpers import hello, is_assistant_message, receive_until
from ..db_helpers import conversation_row, messages, move_to
from ..sms_helpers import post_sms, twiml_messages

DISTRESS = "i dont know how much longer i can do this"  # ambiguous: ask, don't guess
UNSAFE_MAYBE = "he has my keys and wont give them back"
LOOKALIKE = "this deadline is going to be the death of me"
YOUNG_UNSURE = "im 15 and i dont know if i can go home tonight"


class GivenVerdicts:
    """The real safety check, except for the messages a test gives a verdict for."""

    def __init__(self, given: dict[str, Verdict]) -> None:
        self.real = get_safety_check()
        self.given = given
        self.labels = self.real.labels
        self.calls: list[str] = []

    def severity(self, label: str) -> int:
        return self.real.severity(label)

    def assess(self, text: str) -> Verdict:
        self.calls.append(text)
        return self.given.get(text) or self.real.assess(text)


GIVEN = {
    DISTRESS: Verdict(layer="model", score=0.55, check_in="suicide"),
    UNSAFE_MAYBE: Verdict(layer="model", score=0.5, check_in="safety"),
    LOOKALIKE: Verdict(layer="model", score=0.35, low_confidence=frozenset({"suicide_self_harm"})),
    YOUNG_UNSURE: Verdict(labels=frozenset({"under_18"}), severity=1, layer="rule", score=1.0, check_in="safety"),
}


@pytest.fixture
def check(client) -> GivenVerdicts:
    given = GivenVerdicts(GIVEN)
    client.app.state.ctx.risk = given
    return given


def _say(ws, text: str, client_id: str, payload: str | None = None) -> list[dict]:
    frame = {"type": "message", "client_id": client_id, "text": text}
    if payload:
        frame["payload"] = payload
    ws.send_json(frame)
    return [e for e in receive_until(ws, is_assistant_message) if is_assistant_message(e)]


def _answer_the_check_in(client, text: str, client_id: str, payload: str | None = None) -> dict:
    """The student's distress is met with the check-in question, and the one reply to their answer is returned."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, f"{client_id}1")
        [reply] = _say(ws, text, f"{client_id}2", payload=payload)
    return reply


def _until_closing(ws, text: str, client_id: str) -> str:
    ws.send_json({"type": "message", "client_id": client_id, "text": text})
    events = receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    return " ".join(e["text"] for e in events if is_assistant_message(e))


def test_web_ambiguous_distress_is_asked_directly_and_a_yes_gets_help_and_raises_the_conversation(
    client, settings, check
):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        [question] = _say(ws, DISTRESS, "a1")
        assert "are you thinking about suicide" in question["text"] and "automated" in question["text"]
        assert [b["title"] for b in question["buttons"]] == ["Yes", "No", "I'd rather not say"]
        asked = conversation_row(settings)
        assert asked.risk_flags == ["check_in:suicide"] and asked.risk_level == 1  # a low flag, before any answer
        ws.send_json({"type": "message", "client_id": "a2", "text": "Yes", "payload": "/affirm"})
        events = receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    replies = " ".join(e["text"] for e in events if is_assistant_message(e))
    assert "116 123" in replies and "999" in replies and "welfare officer" in replies
    conversation = conversation_row(settings)
    assert "suicide_self_harm" in conversation.risk_flags and conversation.risk_level == 3
    answer = messages(settings)[-len([e for e in events if is_assistant_message(e)]) - 1]
    assert answer.extra["risk"] == ["suicide_self_harm"] and answer.extra["safety"]["layer"] == "check_in"
    assert answer.extra["check_in_answer"] == "yes"


def test_web_a_no_is_thanked_with_support_and_nothing_is_raised(client, settings, check):
    reply = _answer_the_check_in(client, "No", "n", payload="/deny")
    assert reply["text"] == get_check_in().answered_no["web"]
    assert "116 123" in reply["text"]
    conversation = conversation_row(settings)
    assert conversation.risk_flags == ["check_in:suicide"] and conversation.risk_level == 1


def test_web_rather_not_say_is_respected_and_stays_flagged(client, settings, check):
    reply = _answer_the_check_in(client, "I'd rather not say", "r", payload="/check_in_skip")
    assert reply["text"] == get_check_in().rather_not_say["web"]
    assert conversation_row(settings).risk_flags == ["check_in:suicide"]


def test_web_no_answer_leaves_the_conversation_flagged_for_an_officer(client, settings, check):
    reply = _answer_the_check_in(client, "what does consent mean", "x")
    assert "116 123" in reply["text"]  # the assistant is down: the service's own reply, with help
    conversation = conversation_row(settings)
    assert conversation.risk_flags == ["check_in:suicide"] and conversation.risk_level == 1
    assert messages(settings)[-2].extra["check_in_answer"] == "none"


def test_web_not_safe_gets_the_danger_response(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        [question] = _say(ws, UNSAFE_MAYBE, "s1")
        assert "are you safe right now" in question["text"]
        assert question["buttons"][1] == {"title": "No, I'm not safe", "payload": "/deny"}
        replies = _until_closing(ws, "no", "s2")
    assert "999" in replies and "55" in replies
    assert "immediate_danger" in conversation_row(settings).risk_flags


def test_web_safe_is_not_mistaken_for_danger(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, UNSAFE_MAYBE, "f1")
        [reply] = _say(ws, "I'm fine", "f2")
    assert reply["text"] == get_check_in().answered_no["web"]
    assert conversation_row(settings).risk_flags == ["check_in:safety"]


def test_sms_check_in_yes(client, settings, check):
    question, *_privacy_line = twiml_messages(post_sms(client, settings, DISTRESS))  # a first reply: texts stay
    assert "Reply YES or NO" in question and fits_sms(question)
    replies = twiml_messages(post_sms(client, settings, "YES"))
    assert all(fits_sms(r) for r in replies)
    assert "999" in replies[0][:160] and "116 123" in replies[0]
    assert "suicide_self_harm" in conversation_row(settings).risk_flags


def test_sms_check_in_no(client, settings, check):
    twiml_messages(post_sms(client, settings, DISTRESS))
    assert twiml_messages(post_sms(client, settings, "no")) == [get_check_in().answered_no["sms"]]
    conversation = conversation_row(settings)
    assert conversation.risk_flags == ["check_in:suicide"] and conversation.risk_level == 1


def test_sms_check_in_no_answer_stays_flagged(client, settings, check):
    twiml_messages(post_sms(client, settings, DISTRESS))
    [reply] = twiml_messages(post_sms(client, settings, "how do i report"))
    assert "116 123" in reply
    assert conversation_row(settings).risk_flags == ["check_in:suicide"]


def test_while_waiting_for_an_officer_the_service_asks_and_answers(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        move_to(settings, [Owner.waiting])
        [question] = _say(ws, DISTRESS, "w1")
        assert "are you thinking about suicide" in question["text"]
        replies = _until_closing(ws, "yeah", "w2")
    assert "116 123" in replies
    conversation = conversation_row(settings)
    assert {"check_in:suicide", "suicide_self_harm"} <= set(conversation.risk_flags)


def test_a_look_alike_seen_weakly_is_asked_about_and_flagged_low_not_as_an_emergency(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        [question] = _say(ws, LOOKALIKE, "l1")
    assert "are you thinking about suicide" in question["text"]  # not understood + weak signal: ask
    conversation = conversation_row(settings)
    assert conversation.risk_flags == ["check_in:suicide", "low:suicide_self_harm"]
    assert conversation.risk_level == 1
    stored = messages(settings)[0]
    assert stored.extra["low_confidence"] == ["suicide_self_harm"] and "risk" not in stored.extra


def test_each_message_is_checked_once(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, "o1")
        _until_closing(ws, "yes", "o2")
    assert check.calls == [DISTRESS, "yes"]


def test_officers_see_a_weak_sighting_as_low_confidence_in_the_queue_and_the_transcript(client, settings, check):
    from handoff.officers.models import Role

    from ..console_helpers import Console, create_officer

    create_officer(settings, "lead@example.ac.uk", role=Role.safeguarding_lead)  # on duty: the student can wait
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, "talk to a person", "p1")  # the assistant is down: the service opens the case itself
        if conversation_row(settings).owner != Owner.waiting:  # out of the team's hours: a call-back instead
            move_to(settings, [Owner.waiting])
        # While waiting, a weak sign is kept for the officer, and not asked about: the student hears only that
        # the message is saved for the officer.
        ws.send_json({"type": "message", "client_id": "p2", "text": LOOKALIKE})
        said = " ".join(e["text"] for e in receive_until(ws, is_assistant_message) if is_assistant_message(e))
        assert "saved" in said and "rather ask than guess" not in said
    conversation = conversation_row(settings)
    assert conversation.owner == Owner.waiting and conversation.risk_level == 1
    assert conversation.risk_flags == ["low:suicide_self_harm"]
    console = Console(client, "lead@example.ac.uk")
    page = client.get("/console").text  # the queue the page arrives with (drawn in the browser: tests/browser)
    data = json.loads(re.search(r'<script type="application/json" id="console-data">(.*?)</script>', page, re.S)[1])
    [row] = [r for r in data["queue"] if r["conversation"] == conversation.public_id]
    assert row["risk_flags"] == ["low:suicide_self_harm"] and row["owner"] == "waiting"
    assert data["words"]["low"] == "low:" and "suicide_self_harm" in data["words"]["risk"]
    detail = console.get(f"/conversations/{conversation.public_id}").json()
    [weak] = [m for m in detail["messages"] if m["text"] == LOOKALIKE]
    assert weak["low_confidence"] == ["suicide_self_harm"] and "risk" not in weak


def test_students_never_receive_the_safety_fields(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "e1", "text": LOOKALIKE})
        events = receive_until(ws, is_assistant_message)
    assert not any("low_confidence" in e or "risk" in e for e in events)


def test_a_label_that_is_not_an_emergency_gets_its_response_and_then_the_check_in(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "y1", "text": YOUNG_UNSURE})
        events = receive_until(ws, lambda e: is_assistant_message(e) and "are you safe right now" in e["text"])
        said = [e["text"] for e in events if is_assistant_message(e)]
        assert "0800 1111" in said[0] and "not a person" in said[-2]  # Childline, the closing, then the question
        assert {"under_18", "check_in:safety"} <= set(conversation_row(settings).risk_flags)
        ws.send_json({"type": "message", "client_id": "y2", "text": "No, I'm not safe", "payload": "/deny"})
        events = receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    replies = " ".join(e["text"] for e in events if is_assistant_message(e))
    assert "999" in replies and "55" in replies
    assert "immediate_danger" in conversation_row(settings).risk_flags


def test_by_sms_any_answer_to_the_check_in_gets_a_reply_and_the_flag_is_never_lost(client, settings, check):
    """Whatever comes back after the question (any words, emoji, a crisis, one of our commands), the student gets an
    answer that fits one text, and the conversation keeps at least the check-in's flag for an officer."""
    import itertools

    from hypothesis import HealthCheck, given
    from hypothesis import settings as run
    from hypothesis import strategies as st

    from handoff.channels.sms.views import HELP_WORDS, START_WORDS, STOP_WORDS

    from ..db_helpers import run_db

    phones = (f"+4477009{n:05d}" for n in itertools.count(40000))
    words = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200)
    answers = st.one_of(words, st.sampled_from(["YES", "no", "y", "nah", "maybe", "i want to kms", "STOP WAITING"]))
    keywords = STOP_WORDS | START_WORDS | HELP_WORDS  # answered by their own rules, before any check-in
    answers = answers.filter(lambda said: any(c.isalnum() for c in said) and said.strip().lower() not in keywords)

    async def latest_flags(db):
        from sqlalchemy import select

        from handoff.conversations.models import Conversation
        return await db.scalar(select(Conversation.risk_flags).order_by(Conversation.id.desc()).limit(1))

    @run(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(answers)
    def answer(said: str) -> None:
        phone = next(phones)
        question, *_ = twiml_messages(post_sms(client, settings, DISTRESS, phone=phone))
        assert "Reply YES or NO" in question
        response = post_sms(client, settings, said, phone=phone)
        assert response.status_code == 200
        replies = twiml_messages(response)
        assert replies and all(fits_sms(r) for r in replies)
        flags = run_db(settings, latest_flags)
        assert "check_in:suicide" in flags or "suicide_self_harm" in flags

    answer()


# Asked again after a "no": the student was heard and believed, and is told why the question comes back.


def test_web_asked_again_after_a_no_says_it_heard_the_no_and_a_yes_then_still_gets_help(client, settings, check):
    texts = get_check_in()
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        [first] = _say(ws, DISTRESS, "g1")
        assert first["text"] == texts.question("suicide", "web")
        [thanks] = _say(ws, "No", "g2", payload="/deny")
        assert thanks["text"] == texts.answered_no["web"]
        [again] = _say(ws, DISTRESS, "g3")
        assert again["text"] == texts.question("suicide", "web", again=True) != first["text"]
        assert "told me earlier" in again["text"] and "believe you" in again["text"]
        assert "116 123" in again["text"] and "999" in again["text"]
        assert again["buttons"] == first["buttons"]  # the same answers, the same way of giving them
        replies = _until_closing(ws, "yes", "g4")
    assert "116 123" in replies and "999" in replies  # read as the answer to the question asked again
    assert {"check_in:suicide", "suicide_self_harm"} <= set(conversation_row(settings).risk_flags)
    stored = [m.text for m in messages(settings)]
    assert stored.count(first["text"]) == 1 and stored.count(again["text"]) == 1  # the transcript shows what was asked


def test_web_rather_not_say_is_not_taken_as_a_no_when_asked_again(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, "k1")
        _say(ws, "I'd rather not say", "k2", payload="/check_in_skip")
        [again] = _say(ws, DISTRESS, "k3")
    assert again["text"] == get_check_in().question("suicide", "web")  # nothing was said that it could repeat


def test_web_a_yes_after_a_no_is_the_answer_that_counts(client, settings, check):
    """Only the latest answer to the question counts: a no, then a yes, then the question again is the first one."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, "v1")
        _say(ws, "no", "v2")
        [again] = _say(ws, DISTRESS, "v3")
        assert "told me earlier" in again["text"]
        _until_closing(ws, "yes", "v4")
        [third] = _say(ws, DISTRESS, "v5")
    assert third["text"] == get_check_in().question("suicide", "web")


def test_web_safe_then_asked_again_about_safety_says_so_and_the_suicide_question_is_not_touched(
    client, settings, check
):
    texts = get_check_in()
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, UNSAFE_MAYBE, "z1")
        _say(ws, "I'm fine", "z2")
        [again] = _say(ws, UNSAFE_MAYBE, "z3")
        assert again["text"] == texts.question("safety", "web", again=True) and "999" in again["text"]
        _say(ws, "yes", "z4")  # safe
        [suicide] = _say(ws, DISTRESS, "z5")
    assert suicide["text"] == texts.question("suicide", "web")  # never answered: asked as the first time


def test_sms_asked_again_after_a_no_fits_one_text_and_a_yes_gets_help(client, settings, check):
    twiml_messages(post_sms(client, settings, DISTRESS))
    assert twiml_messages(post_sms(client, settings, "nah")) == [get_check_in().answered_no["sms"]]
    [again] = twiml_messages(post_sms(client, settings, DISTRESS))
    assert again == get_check_in().question("suicide", "sms", again=True) and fits_sms(again)
    assert "Reply YES or NO" in again and "116 123" in again and "999" in again
    replies = twiml_messages(post_sms(client, settings, "YES"))
    assert "999" in replies[0][:160] and "116 123" in replies[0]
    assert "suicide_self_harm" in conversation_row(settings).risk_flags


def test_when_earlier_answers_cannot_be_read_the_question_is_still_asked(client, settings, check, monkeypatch):
    from handoff.channels import checkin

    async def broken(ctx, conversation):
        raise RuntimeError("database gone")

    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, "b1")
        _say(ws, "no", "b2")
        monkeypatch.setattr(checkin, "answered_without_risk", broken)
        [question] = _say(ws, DISTRESS, "b3")
    assert question["text"] == get_check_in().question("suicide", "web")
    assert conversation_row(settings).risk_flags == ["check_in:suicide"]


# A reply that says more than an answer is read by the answer it starts with, and a reply that only shows the sign
# just asked about is taken as not being sure: never the same question twice in a row.

STRESSED = "no, just stressed about exams"
TURNED = "no but its crossed my mind today"


@pytest.fixture
def signs(check) -> GivenVerdicts:
    """What the check might see in such replies: a weak sign of the very thing just asked about."""
    weak = Verdict(layer="model", score=0.4, check_in="suicide")
    check.given.update({STRESSED: weak, TURNED: weak, "its all just too much": weak})
    return check


def test_web_a_no_with_a_reason_is_thanked_not_asked_again_and_remembered_as_a_no(client, settings, signs):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, "m1")
        [reply] = _say(ws, STRESSED, "m2")
        assert reply["text"] == get_check_in().answered_no["web"]
        [again] = _say(ws, DISTRESS, "m3")
    assert again["text"] == get_check_in().question("suicide", "web", again=True)
    stored = next(m for m in messages(settings) if m.text == STRESSED)
    assert stored.extra["check_in_answer"] == "no" and stored.extra["check_in_kind"] == "suicide"
    assert conversation_row(settings).risk_flags == ["check_in:suicide"]  # still there for an officer


@pytest.mark.parametrize("reply", ["yeah i have been for a few weeks now", TURNED, "its all just too much"])
def test_web_a_yes_with_more_words_or_a_reply_that_shows_the_sign_again_gets_help_not_the_question_again(
    client, settings, signs, reply
):
    stored = _helped_after_the_question(client, settings, reply, "h")
    assert stored.extra["check_in_answer"] in ("yes", "unsure") and stored.extra["safety"]["layer"] == "check_in"


def _helped_after_the_question(client, settings, reply: str, ids: str):
    """The suicide question, then the reply: help (not the question again) and a raised flag; returns the reply."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, f"{ids}1")
        said = _until_closing(ws, reply, f"{ids}2")
    assert "116 123" in said and "999" in said and "are you thinking about suicide" not in said
    assert "suicide_self_harm" in conversation_row(settings).risk_flags
    return next(m for m in messages(settings) if m.text == reply)


@pytest.mark.parametrize("reply", ["no one cares", "no but thanks for asking", "no, how do i report someone"])
def test_web_words_that_only_look_like_a_no_are_not_thanked_as_one_and_the_flag_stays(client, settings, check, reply):
    check.given[reply] = Verdict()  # the worst case: the check sees nothing in the words
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, "w1")
        said = " ".join(r["text"] for r in _say(ws, reply, "w2"))
    assert get_check_in().answered_no["web"] not in said and "116 123" in said  # the service's own reply, with help
    assert conversation_row(settings).risk_flags == ["check_in:suicide"]
    assert next(m for m in messages(settings) if m.text == reply).extra["check_in_answer"] == "none"


def test_web_i_am_not_safe_is_read_as_not_safe(client, settings, check):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, UNSAFE_MAYBE, "u1")
        said = _until_closing(ws, "i am not safe", "u2")
    assert "999" in said and "immediate_danger" in conversation_row(settings).risk_flags


def test_sms_a_no_with_a_reason_in_capitals_is_thanked_in_one_text(client, settings, signs):
    check_in = get_check_in()
    twiml_messages(post_sms(client, settings, DISTRESS))
    weak = Verdict(layer="model", score=0.3, low_confidence=frozenset({"suicide_self_harm"}))
    signs.given["NAH IM FINE JUST TIRED"] = weak
    assert twiml_messages(post_sms(client, settings, "NAH IM FINE JUST TIRED")) == [check_in.answered_no["sms"]]
    assert conversation_row(settings).risk_flags == ["check_in:suicide", "low:suicide_self_harm"]  # seen by officers


def test_officers_see_how_each_reply_to_a_check_in_was_read_and_students_never_do(client, settings, check):
    from handoff.officers.models import Role
    from safety.check_in import ANSWERS, KINDS, SAID_MORE

    from ..console_helpers import Console, create_officer

    create_officer(settings, "lead2@example.ac.uk", role=Role.safeguarding_lead)
    check.given["no one cares"] = Verdict()  # the check sees nothing: the words alone decide
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, "talk to a person", "q1")  # waiting for an officer, who will read what follows
        if conversation_row(settings).owner != Owner.waiting:
            move_to(settings, [Owner.waiting])
        [question] = _say(ws, DISTRESS, "q2")  # while waiting, the service asks itself
        assert "are you thinking about suicide" in question["text"]
        events = _say(ws, "no one cares", "q3") + _say(ws, "what does consent mean", "q4")
        assert not any("check_in_answer" in e for e in events)
    conversation = conversation_row(settings)
    detail = Console(client, "lead2@example.ac.uk").get(f"/conversations/{conversation.public_id}").json()
    read = {m["text"]: m.get("check_in_answer") for m in detail["messages"] if m["from"] == "user"}
    assert read["no one cares"] == {"kind": "suicide", "read_as": "none"}  # the reply after the question
    assert read[DISTRESS] is None and read["what does consent mean"] is None
    page = client.get("/console").text
    words = json.loads(re.search(r'<script type="application/json" id="console-data">(.*?)</script>', page, re.S)[1])
    assert all(set(words["words"]["answers"][kind]) == {*ANSWERS, SAID_MORE, "none"} for kind in KINDS)


# A no (or "I'm safe") followed by more that shows the sign again: heard and given the numbers, neither thanked as a
# plain no nor asked the same question straight back.

NO_AND_MORE = "no, its just that nothing is ever going to get better and i am so tired of all of it"
SAFE_AND_MORE = "yes im safe, things at home have just been really tense again tonight with everyone shouting"


@pytest.fixture
def said_more(check) -> GivenVerdicts:
    check.given.update({NO_AND_MORE: Verdict(layer="model", score=0.45, check_in="suicide"),
                        NO_AND_MORE.upper(): Verdict(layer="model", score=0.45, check_in="suicide"),
                        SAFE_AND_MORE: Verdict(layer="model", score=0.45, check_in="safety")})
    return check


def test_web_a_no_then_more_with_the_sign_is_heard_with_the_numbers_not_asked_again(client, settings, said_more):
    texts = get_check_in()
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, DISTRESS, "s1")
        [reply] = _say(ws, NO_AND_MORE, "s2")
        assert reply["text"] == texts.said_more["suicide"]["web"]
        assert "116 123" in reply["text"] and "999" in reply["text"] and "?" not in reply["text"]
        [later] = _say(ws, DISTRESS, "s3")  # not remembered as a plain no: asked in the first words
    assert later["text"] == texts.question("suicide", "web")
    stored = next(m for m in messages(settings) if m.text == NO_AND_MORE)
    assert stored.extra["check_in_answer"] == "said_more" and stored.extra["check_in_kind"] == "suicide"
    assert conversation_row(settings).risk_flags == ["check_in:suicide"]  # still there for an officer


def test_web_safe_then_more_with_the_sign_is_heard_with_999(client, settings, said_more):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _say(ws, UNSAFE_MAYBE, "t1")
        [reply] = _say(ws, SAFE_AND_MORE, "t2")
    assert reply["text"] == get_check_in().said_more["safety"]["web"] and "999" in reply["text"]
    assert next(m for m in messages(settings) if m.text == SAFE_AND_MORE).extra["check_in_answer"] == "said_more"


def test_sms_a_no_then_more_with_the_sign_is_heard_in_one_text(client, settings, said_more):
    twiml_messages(post_sms(client, settings, DISTRESS))
    [reply] = twiml_messages(post_sms(client, settings, NO_AND_MORE.upper()))
    assert reply == get_check_in().said_more["suicide"]["sms"] and fits_sms(reply)
    assert "116 123" in reply and "999" in reply and "PERSON" in reply


def test_a_no_then_more_without_a_sign_is_not_heard_as_one_nor_asked_again(client, settings, check):
    """Only a sign of what was just asked about makes a long "no, ..." heard: without one it is read as usual."""
    plain_more = "no, i was really just wondering how the formal report process works at this college"
    check.given[plain_more] = Verdict()
    texts = get_check_in()
    reply = _answer_the_check_in(client, plain_more, "p")
    assert reply["text"] not in (texts.said_more["suicide"]["web"], texts.question("suicide", "web"))
    stored = next(m for m in messages(settings) if m.text == plain_more)
    assert stored.extra["check_in_answer"] == "none"


# Replies in words no list holds: the reply model (safety/replies.py) reads risk into them, never less.

ON_MY_MIND = "honestly its on my mind pretty much every night now"
STILL_OUTSIDE = "hes still outside the flat and keeps banging on the door"


def test_web_risk_in_words_no_list_holds_gets_help_and_raises_the_conversation(client, settings, check):
    check.given[ON_MY_MIND] = Verdict()  # the worst case: the safety check sees nothing in the words
    stored = _helped_after_the_question(client, settings, ON_MY_MIND, "o")
    assert stored.extra["check_in_answer"] == "unsure" and stored.extra["safety"]["layer"] == "check_in"


def test_sms_not_safe_in_words_no_list_holds_gets_the_danger_response(client, settings, check):
    check.given[STILL_OUTSIDE] = Verdict()
    twiml_messages(post_sms(client, settings, UNSAFE_MAYBE))
    replies = twiml_messages(post_sms(client, settings, STILL_OUTSIDE))
    assert "999" in replies[0][:160] and all(fits_sms(r) for r in replies)
    assert "immediate_danger" in conversation_row(settings).risk_flags


def test_a_question_after_the_check_in_is_not_read_as_risk(client, settings, check):
    question = "can you tell me how to make a formal report about my tutor"
    check.given[question] = Verdict()
    reply = _answer_the_check_in(client, question, "f")
    assert "suicide_self_harm" not in conversation_row(settings).risk_flags
    assert reply["text"] != get_check_in().question("suicide", "web")
    assert next(m for m in messages(settings) if m.text == question).extra["check_in_answer"] == "none"


def test_sms_help_straight_after_the_question_is_an_answer_stored_and_raised_not_the_keyword(client, settings, check):
    twiml_messages(post_sms(client, settings, UNSAFE_MAYBE))  # are you safe right now?
    replies = twiml_messages(post_sms(client, settings, "HELP"))
    assert "999" in replies[0][:160] and all(fits_sms(r) for r in replies)
    assert "immediate_danger" in conversation_row(settings).risk_flags  # raised for an officer
    stored = next(m for m in messages(settings) if m.text == "HELP")
    assert stored.extra["check_in_answer"] == "unsure"
    [keyword] = twiml_messages(post_sms(client, settings, "HELP"))  # the question was answered: the keyword again
    assert "automated assistant" in keyword and "999" in keyword

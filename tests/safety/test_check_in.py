"""The check-in's words and how a reply to it is read (data/safety/responses.yml, section check_in)."""

from __future__ import annotations

import re

import pytest

from safety.check_in import KINDS, classify, concerning, get_check_in, kind_for, showed_no_risk
from safety.gsm import fits_sms
from safety.responses import CHANNELS, get_responses


def test_the_questions_ask_directly_honestly_and_fit_an_sms() -> None:
    texts = get_check_in()
    assert "are you thinking about suicide" in texts.question("suicide", "web")
    assert "are you safe right now?" in texts.question("safety", "sms")
    for kind in KINDS:
        for channel in CHANNELS:
            question = texts.question(kind, channel)
            assert "automated assistant" in question  # never pretending to be a person
            assert "control" in question  # never pressure
        assert "Reply YES or NO" in texts.question(kind, "sms") and fits_sms(texts.question(kind, "sms"))
        assert [b["payload"] for b in texts.buttons[kind]] == ["/affirm", "/deny", "/check_in_skip"]


def test_asking_is_never_the_only_help_every_question_gives_a_number_at_once() -> None:
    texts = get_check_in()
    for channel in CHANNELS:
        assert "116 123" in texts.question("suicide", channel) and "999" in texts.question("suicide", channel)
        assert "999" in texts.question("safety", channel)


def test_a_question_asked_again_says_the_earlier_answer_was_believed_and_still_gives_help_at_once() -> None:
    texts = get_check_in()
    for kind in KINDS:
        for channel in CHANNELS:
            again = texts.question(kind, channel, again=True)
            assert again != texts.question(kind, channel)
            assert "told me earlier" in again and "believe you" in again and "999" in again
            assert "right now?" in again or "ending your life" in again  # the same question, asked directly
        assert "Reply YES or NO" in texts.question(kind, "sms", again=True)
        assert fits_sms(texts.question(kind, "sms", again=True))
    assert "116 123" in texts.question("suicide", "web", again=True)


@pytest.mark.parametrize(("kind", "meant", "no_risk"), [
    ("suicide", "no", True), ("suicide", "fine", True), ("suicide", "yes", False), ("suicide", "unsure", False),
    ("suicide", "skip", False), ("suicide", None, False), ("safety", "yes", True), ("safety", "fine", True),
    ("safety", "no", False), ("safety", "skip", False), ("safety", "none", False),
])
def test_which_answers_said_there_was_no_risk(kind: str, meant: str | None, no_risk: bool) -> None:
    assert showed_no_risk(get_check_in(), kind, meant) is no_risk


@pytest.mark.parametrize("where", ["questions", "asked_again", "said_more"])
def test_a_question_asked_again_is_checked_like_the_first(tmp_path, where: str) -> None:
    import yaml

    from safety.check_in import load_check_in
    from safety.responses import DEFAULT_RESPONSES, ResponseFileError

    data = yaml.safe_load(DEFAULT_RESPONSES.read_text(encoding="utf-8"))
    data["check_in"][where]["suicide"]["sms"] = "Still thinking about suicide? Reply YES or NO. " * 8 + "999"
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ResponseFileError, match=rf"check_in\.{where}\.suicide\.sms: must be plain GSM-7"):
        load_check_in(path)
    data = yaml.safe_load(DEFAULT_RESPONSES.read_text(encoding="utf-8"))
    del data["check_in"][where]["safety"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ResponseFileError, match=rf"check_in\.{where}\.safety: needs non-empty"):
        load_check_in(path)


def test_a_question_without_999_is_refused_with_the_file_and_the_question_named(tmp_path) -> None:
    import yaml

    from safety.check_in import load_check_in
    from safety.responses import DEFAULT_RESPONSES, ResponseFileError

    data = yaml.safe_load(DEFAULT_RESPONSES.read_text(encoding="utf-8"))
    data["check_in"]["questions"]["safety"]["sms"] = "Are you safe right now? Reply YES or NO."
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ResponseFileError, match=r"responses\.yml: check_in\.questions\.safety: must give 999"):
        load_check_in(path)


def test_the_list_of_bare_replies_is_checked_when_loaded(tmp_path) -> None:
    import yaml

    from safety.check_in import load_check_in
    from safety.responses import DEFAULT_RESPONSES, ResponseFileError

    assert "ok" in get_check_in().not_asked and "not ok" not in get_check_in().not_asked
    data = yaml.safe_load(DEFAULT_RESPONSES.read_text(encoding="utf-8"))
    data["check_in"]["not_asked"] = "ok"
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ResponseFileError, match=r"not_asked: needs a list"):
        load_check_in(path)


def test_the_replies_to_an_answer_without_risk_offer_help_and_a_person() -> None:
    texts = get_check_in()
    for answer in ("no", "skip"):
        for channel in CHANNELS:
            reply = texts.reply_to(answer, channel)
            assert "116 123" in reply and "999" in reply and "welfare officer" in reply
            assert channel == "web" or fits_sms(reply)


@pytest.mark.parametrize(("reply", "meant"), [
    ("YES", "yes"), ("yeah", "yes"), ("Yes.", "yes"), ("no", "no"), ("Nope!", "no"), ("I\u2019m fine", "fine"),
    ("im ok", "fine"), ("idk", "unsure"), ("maybe", "unsure"), ("I'd rather not say", "skip"),
    ("what is consent", None), ("yes he hit me", None), ("", None),
])
def test_replies_are_read_whole(reply: str, meant: str | None) -> None:
    assert classify(get_check_in(), reply) == meant


@pytest.mark.parametrize(("kind", "meant", "risk"), [
    ("suicide", "yes", True), ("suicide", "unsure", True), ("suicide", "no", False), ("suicide", "fine", False),
    ("safety", "no", True), ("safety", "unsure", True), ("safety", "yes", False), ("safety", "fine", False),
    ("suicide", "skip", False), ("safety", "skip", False), ("suicide", None, False),
])
def test_which_answers_show_risk_depends_on_the_question(kind: str, meant: str | None, risk: bool) -> None:
    assert concerning(get_check_in(), kind, meant) is risk


def test_a_quick_reply_payload_is_read_before_the_words() -> None:
    assert classify(get_check_in(), "No, I'm not safe", "/deny") == "no"


def test_which_check_in_a_verdict_calls_for() -> None:
    assert kind_for(frozenset(), "safety", frozenset()) == "safety"
    assert kind_for(frozenset({"under_18"}), "safety", frozenset()) == "safety"  # asked after the label's response
    assert kind_for(frozenset({"suicide_self_harm"}), "suicide", frozenset()) is None  # its response says it all
    assert kind_for(frozenset({"under_18"}), None, frozenset({"suicide_self_harm"})) is None  # understood as risk
    assert kind_for(frozenset(), None, frozenset({"suicide_self_harm", "immediate_danger"})) == "suicide"
    assert kind_for(frozenset(), None, frozenset({"recent_sexual_assault"})) == "safety"
    assert kind_for(frozenset(), None, frozenset()) is None


def test_every_number_in_the_check_in_and_always_on_lines_is_verified() -> None:
    from signpost import load_directory
    from signpost.phones import digits

    verified = {digits(c.value) for s in load_directory().services for c in s.contacts
                if c.verified and c.kind in ("phone", "text")}
    texts = get_check_in()
    words = [*get_responses().always_on_sms.values(), *texts.answered_no.values(), *texts.rather_not_say.values(),
             *(t for by_channel in texts.questions.values() for t in by_channel.values()),
             *(t for by_channel in (texts.asked_again or {}).values() for t in by_channel.values()),
             *(t for by_channel in (texts.said_more or {}).values() for t in by_channel.values())]
    numbers = {digits(n) for text in words for n in re.findall(r"\b\d[\d ]{1,14}\d\b", text)}
    assert numbers and numbers <= verified, sorted(numbers - verified)


@pytest.mark.parametrize("wrong", ["💔", ["💔", ""], ["sad face"], [3]])
def test_the_signs_that_a_reply_is_not_fine_are_checked_when_loaded(tmp_path, wrong: object) -> None:
    import yaml

    from safety.check_in import load_check_in
    from safety.responses import DEFAULT_RESPONSES, ResponseFileError

    assert "💔" in get_check_in().not_fine and ":(" in get_check_in().not_fine
    data = yaml.safe_load(DEFAULT_RESPONSES.read_text(encoding="utf-8"))
    data["check_in"]["not_fine"] = wrong
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ResponseFileError, match=r"not_fine: needs a list of signs"):
        load_check_in(path)


@pytest.mark.parametrize(("reply", "meaning", "adds_only"), [
    ("no, just stressed about exams", "no", True),
    ("still no", "no", True),
    ("I already said no", "no", True),
    ("like i said, no", "no", True),
    ("Nah im good just tired", "fine", True),
    ("im fine honestly", "fine", True),
    ("YES SAFE", "fine", True),
    ("nooo", "no", True),
    ("yeah i have been for a few weeks now", "yes", True),
    ("Honestly yes. I said no before", "yes", True),
    ("dunno anymore", "unsure", True),
    ("i'd rather not, sorry", "skip", True),
    ("no, how do i report someone", "no", False),  # asks something: not read as a plain no
    ("no but i cant do this anymore", "no", False),  # turned round
    ("i am not safe", "yes", False),  # "I am", then not: turned round
    ("yes... i think. its hard to say", "yes", False),
])
def test_a_reply_that_says_more_is_read_by_the_answer_it_starts_with(reply: str, meaning: str, adds_only: bool) -> None:
    from safety.check_in import leading_answer

    lead = leading_answer(get_check_in(), reply)
    assert lead is not None and lead.meaning == meaning and lead.plain_rest is adds_only


@pytest.mark.parametrize(("kind", "reply", "meaning", "risk"), [
    ("suicide", "nac ydw", "no", False),
    ("suicide", "Ydw", "yes", True),
    ("suicide", "dwi'n iawn diolch", "fine", False),
    ("suicide", "dwn i ddim", "unsure", True),
    ("safety", "ydw, dw i adre", "yes", False),
    ("safety", "dwi ddim yn saff", "unsure", True),
    ("safety", "gwell gen i beidio dweud", "skip", False),
])
def test_an_answer_in_welsh_is_read_like_one_in_english(kind: str, reply: str, meaning: str, risk: bool) -> None:
    from safety.check_in import leading_answer

    texts = get_check_in()
    read = classify(texts, reply) or getattr(leading_answer(texts, reply), "meaning", None)
    assert read == meaning and concerning(texts, kind, read) is risk


@pytest.mark.parametrize("reply", ["no one cares", "no idea", "no point anymore", "no way out", "nobody would notice",
                                   "not like actually doing it", "what happens if i say yes", "/deny and more"])
def test_words_that_start_like_an_answer_but_are_not_one_are_not_read_as_one(reply: str) -> None:
    from safety.check_in import leading_answer

    assert leading_answer(get_check_in(), reply) is None


def test_reading_the_answer_a_reply_starts_with_never_fails_on_any_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from safety.check_in import leading_answer

    texts = get_check_in()

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=400))
    def read(reply: str) -> None:
        lead = leading_answer(texts, reply)
        assert lead is None or lead.meaning in ("yes", "no", "fine", "unsure", "skip")

    read()
    # A reply of a million characters is read from its first thousand: what it starts with is what it answers.
    assert leading_answer(texts, "no, just tired. " + "x" * 1_000_000) is not None
    assert leading_answer(texts, "a" * 1_000_000) is None and leading_answer(texts, "." * 1_000_000) is None
    assert leading_answer(texts, "no " * 200_000) is not None and leading_answer(texts, "no\n" * 100_000) is not None


def test_an_answer_then_more_is_told_it_was_heard_with_help_and_no_question(tmp_path) -> None:
    import yaml

    from safety.check_in import SAID_MORE, load_check_in
    from safety.responses import DEFAULT_RESPONSES, ResponseFileError

    texts = get_check_in()
    for kind in KINDS:
        for channel in CHANNELS:
            heard = texts.reply_to(SAID_MORE, channel, kind)
            assert heard.startswith("Thank you for telling me more") and "999" in heard and "116 123" in heard
            assert "?" not in heard and heard != texts.reply_to("no", channel)
        assert fits_sms(texts.reply_to(SAID_MORE, "sms", kind)) and "PERSON" in texts.reply_to(SAID_MORE, "sms", kind)
    data = yaml.safe_load(DEFAULT_RESPONSES.read_text(encoding="utf-8"))
    del data["check_in"]["said_more"]  # a file from before: the words for a plain no, which give the numbers too
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_check_in(path).reply_to(SAID_MORE, "sms", "suicide") == texts.answered_no["sms"]
    data["check_in"]["said_more"] = {"suicide": texts.said_more["suicide"] if texts.said_more else {},
                                     "safety": {"web": "Thank you for telling me more.", "sms": "Thanks."}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ResponseFileError, match=r"check_in\.said_more\.safety: must give 999"):
        load_check_in(path)


def test_a_responses_file_without_the_asked_again_texts_asks_again_in_the_first_words(tmp_path) -> None:
    import yaml

    from safety.check_in import load_check_in
    from safety.responses import DEFAULT_RESPONSES

    data = yaml.safe_load(DEFAULT_RESPONSES.read_text(encoding="utf-8"))
    del data["check_in"]["asked_again"]
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    texts = load_check_in(path)
    assert texts.question("suicide", "sms", again=True) == texts.question("suicide", "sms")

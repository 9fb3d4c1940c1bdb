"""A faint sign of crisis, too faint to ask about, is never left without a number: one quiet line of 24/7 help."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.assistant.client import Reply
from handoff.channels.replies import HELP_NUMBERS, with_quiet_help
from handoff.content import service_message
from handoff.conversations.enums import Channel
from handoff.conversations.models import Conversation
from safety.gsm import fits_sms
from safety.verdict import Verdict

ANSWER = Reply(text="Telling someone what happened is called a disclosure.")


def _chat(channel: Channel) -> Conversation:
    return Conversation(channel=channel, institution_id="example")


@pytest.mark.parametrize("channel", [Channel.webchat, Channel.sms])
def test_an_answer_without_a_number_gets_the_line_after_it(channel: Channel) -> None:
    replies = with_quiet_help(Verdict(faint="suicide"), [ANSWER], _chat(channel))
    assert replies[0] is ANSWER and len(replies) == 2
    line = replies[1].text
    assert line == service_message("quiet_help", channel.value) and "116 123" in line and "999" in line
    if channel == Channel.sms:
        assert fits_sms(line)


def test_no_line_without_a_faint_sign_with_a_label_or_after_a_number() -> None:
    sms = _chat(Channel.sms)
    assert with_quiet_help(None, [ANSWER], sms) == [ANSWER]  # a message stored unchecked: its own path answers
    assert with_quiet_help(Verdict(), [ANSWER], sms) == [ANSWER]
    flagged = Verdict(labels=frozenset({"suicide_self_harm"}), severity=3, layer="rule", score=1.0, faint="suicide")
    assert with_quiet_help(flagged, [ANSWER], sms) == [ANSWER]  # the label's answer gives 999 at once
    numbered = Reply(text="Need help now? Samaritans: 116 123, free, 24/7.")
    assert with_quiet_help(Verdict(faint="safety"), [ANSWER, numbered], sms) == [ANSWER, numbered]


def test_a_turn_with_no_reply_at_all_still_gets_the_line() -> None:
    [line] = with_quiet_help(Verdict(faint="safety"), [], _chat(Channel.webchat))
    assert "999" in line.text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=400), max_size=5), st.sampled_from([None, "suicide", "safety"]),
       st.sampled_from(list(Channel)))
def test_whatever_the_replies_say_none_is_lost_and_a_faint_sign_ends_with_a_number(
        texts: list[str], faint: str | None, channel: Channel) -> None:
    replies = [Reply(text=text) for text in texts]
    out = with_quiet_help(Verdict(faint=faint), replies, _chat(channel))
    assert out[: len(replies)] == replies  # nothing the assistant said is dropped or changed
    if faint is not None:
        assert any(number in reply.text for reply in out for number in HELP_NUMBERS)
    else:
        assert out == replies


def test_a_content_file_without_the_line_costs_the_answer_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from handoff.channels import replies as module

    monkeypatch.setattr(module, "service_message", lambda name, channel: {}[name])
    assert with_quiet_help(Verdict(faint="suicide"), [ANSWER], _chat(Channel.sms)) == [ANSWER]

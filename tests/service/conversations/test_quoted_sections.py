"""The policy sections a reply quoted travel with it: stored, shown to officers, never a message of their own."""

from __future__ import annotations

from handoff.assistant.client import Reply
from handoff.channels.replies import QUOTED, quoted


def test_the_sections_move_onto_the_quote_before_them() -> None:
    replies = [Reply(text="From the policy, section 9.1: ..."), Reply(text="Read the full policy"),
               Reply(text="", custom={QUOTED: ["9.1 When you can appeal"]})]
    out = quoted(replies)
    assert [r.text for r in out] == ["From the policy, section 9.1: ...", "Read the full policy"]
    assert out[-1].custom == {QUOTED: ["9.1 When you can appeal"]}


def test_odd_values_are_trimmed_or_dropped_and_never_become_a_message() -> None:
    out = quoted([Reply(text="quote"), Reply(text="", custom={QUOTED: ["x" * 5000, 7, None, "a", "b", "c", "d"]})])
    assert len(out) == 1 and out[0].custom[QUOTED] == ["x" * 120, "a", "b", "c"]
    alone = quoted([Reply(text="", custom={QUOTED: ["9.1"]})])  # nothing before it: nothing to attach to
    assert alone == []
    kept = quoted([Reply(text="", custom={QUOTED: "not a list"})])
    assert len(kept) == 1  # not ours to interpret: left as it came

"""Asking for a call-back in one's own words, with the trained assistant, the action server and the service."""

from __future__ import annotations

import asyncio

from chat_client import open_chat

from .test_smoke import QUIET


def _texts(replies: list[dict]) -> str:
    return " ".join(r["text"] for r in replies)


async def _chat(system, turns: list[tuple[str, str | None]]) -> list[list[dict]]:
    async with open_chat(system.handoff_url) as student:
        return [await student.turn(text, payload, quiet=QUIET) for text, payload in turns]


def test_one_sentence_a_question_in_the_middle_and_the_voicemail_question(system):
    start, question, answer, voicemail = asyncio.run(_chat(system, [
        ("Ask for a call back", "/request_callback"),
        ("is there anyone I can ring at night", None),
        ("call me evenings after 6 on 07700 900123", None),
        ("no", None),
    ]))
    assert "phone call, a text or an email" in _texts(start)
    # The question is answered (the helplines), not taken as the answer "call", and the question comes again.
    assert "people you can contact" in _texts(question) and "phone call, a text or an email" in _texts(question[-1:])
    # Way, time and number from one sentence: only the voicemail question is left.
    assert "voicemail" in _texts(answer) and "When is" not in _texts(answer) and "number" not in _texts(answer)
    assert "Your reference is" in _texts(voicemail)


def test_the_student_can_stop_half_way(system):
    _, half, stop = asyncio.run(_chat(system, [
        ("can someone call me back", None), ("text me after 4pm", None), ("cancel", None),
    ]))
    assert "What number should they text?" in _texts(half)
    assert "no call back" in _texts(stop)

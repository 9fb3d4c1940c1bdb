"""Trimming what is shared, in Chromium: the student unticks a message and the officer's console never shows it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from safety.gsm import fits_sms, is_gsm7

from .helpers import (
    REFERENCE,
    Browsing,
    ConsoleSystem,
    SmsPhone,
    assistant_messages,
    go_on_duty,
    queue_entry,
    quick_replies,
    say,
    transcript,
)
from .test_console import TAKE, officer_console, student_chat

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REGRET = "I shouldn't have said his name was Tom"
KEEP = "something happened at a party last month"


def test_a_message_left_out_on_the_web_never_reaches_the_console(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console = officer_console(browser, contexts, console_system, "Robin")
    go_on_duty(console)
    chat = student_chat(browser, contexts, console_system)
    say(chat, KEEP)
    say(chat, REGRET)
    say(chat, "can I talk to a real person")
    quick_replies(chat).filter(has_text="Let me choose").click()

    chooser = chat.locator(".share-chooser")
    expect(chooser).to_be_visible()
    # Exactly the student's own messages, as the officer would see them, each with a box (ticked).
    boxes = chooser.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    expect(chooser.locator("li")).to_have_text([KEEP, REGRET, "can I talk to a real person"])
    expect(boxes.first).to_be_focused()
    chooser.get_by_role("checkbox", name=REGRET).uncheck()
    chooser.get_by_role("button", name="Share the ticked messages").click()
    expect(chat.locator("#log li.from-user").last).to_contain_text("Share 2 of my 3 messages")

    quick_replies(chat).filter(has_text="Just talk").click()
    told = assistant_messages(chat).filter(has_text="Your reference is")
    expect(told).to_have_count(1)
    reference = re.search(r"([A-Z2-9]{3}-[A-Z2-9]{3})", told.last.inner_text()).group(1)

    entry = queue_entry(console, reference)
    entry.get_by_role("button", name=TAKE).click()
    expect(console.locator("#transcript-note")).to_contain_text("chose which of their earlier messages")
    expect(transcript(console).filter(has_text=KEEP)).to_have_count(1)
    expect(transcript(console).filter(has_text="Share 2 of my 3 messages")).to_have_count(0)
    assert REGRET not in console.content()
    assert "Tom" not in console.locator("body").inner_text()


def test_by_text_the_student_chooses_by_number_and_the_console_never_shows_what_was_left_out(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console = officer_console(browser, contexts, console_system, "Jules")
    go_on_duty(console)
    phone = SmsPhone(console_system, "+447700900458")
    phone.converse(REGRET, "")
    phone.converse(KEEP, "")
    asked = phone.converse("PERSON", "CHOOSE")
    assert "your 3 messages" in asked and "SHARE ALL" in asked and "SHARE NONE" in asked
    listed = phone.converse("CHOOSE", "NOT see")
    assert fits_sms(listed) and is_gsm7(listed)  # one text: the three messages, numbered
    assert f"\n1 {REGRET}" in listed and f"\n2 {KEEP}" in listed and "\n3 PERSON" in listed
    phone.converse("1", "Reply TALK")
    told = phone.converse("TALK", "Your reference is")
    reference = REFERENCE.search(told).group(1)

    queue_entry(console, reference).get_by_role("button", name=TAKE).click()
    expect(console.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    expect(transcript(console).filter(has_text=KEEP)).to_have_count(1)
    expect(console.locator("#transcript-note")).to_contain_text("chose which of their earlier messages")
    assert REGRET not in console.content() and "Tom" not in console.locator("body").inner_text()

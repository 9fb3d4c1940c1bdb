"""An officer takes over an SMS conversation in the console: the student is a phone on the signed webhook.

Texts the service sends later (the officer's words) go through the twilio library to a local stand-in for
Twilio's REST API (see ``console_system``); the assistant is the folder's real Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from safety.gsm import SMS_BUDGET, fits_sms, to_gsm7

from .helpers import (
    REFERENCE,
    Browsing,
    ConsoleSystem,
    SmsPhone,
    alerts,
    go_on_duty,
    officer_browsing,
    queue_entry,
    sign_in,
    transcript,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPLY = ("Hi, I’m Jo from the welfare team. I’m a person, not the automated assistant. There’s no rush: "
         "text me whatever you want to share, when you’re ready — or just say hello.")


@pytest.fixture
def officer(browser: Browser) -> Iterator[Browsing]:
    browsing = officer_browsing(browser)
    yield browsing
    browsing.context.close()


def test_an_officer_takes_over_an_sms_conversation(officer: Browsing, console_system: ConsoleSystem):
    console = officer.new_page()
    sign_in(console, console_system.url, console_system.new_officer("Jo"))
    go_on_duty(console)

    phone = SmsPhone(console_system, "+447700900457")
    phone.converse("PERSON", "Reply SHARE ALL")
    phone.converse("YES", "Reply TALK")
    told = phone.converse("TALK", "Your reference is")
    match = REFERENCE.search(told)
    assert match, told
    reference = match.group(1)

    entry = queue_entry(console, reference)
    expect(entry.locator(".channel")).to_have_text("SMS")
    expect(entry).to_contain_text("Just talk")
    console.wait_for_function("() => window.__alerts.notifications.length >= 1 && window.__alerts.tones >= 1")
    assert "SMS" in alerts(console)["notifications"][-1]["body"]

    seen = len(phone.later())
    entry.get_by_role("button", name=re.compile(r"^Take\b")).click()
    expect(console.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    for text in ("PERSON", "YES", "TALK"):  # shared: the student said YES
        expect(console.locator("#transcript li.from-user .text").filter(has_text=re.compile(rf"^{text}$"))) \
            .to_have_count(1)
    phone.wait_for_later("A welfare officer has joined", seen)

    seen = len(phone.later())
    reply = console.get_by_label("Reply to the student")
    reply.fill("\u20ac5 ok \U0001f600")  # the counter's rules come from safety/gsm.py: an extended one counts twice
    expect(console.locator("#reply-count")).to_have_text(
        f"SMS: 7 of {SMS_BUDGET} characters, one text. Emoji and some symbols cannot be sent by text and will be "
        "left out.")
    reply.fill("a" * (SMS_BUDGET + 1))
    expect(console.locator("#reply-count")).to_contain_text("so it will arrive as 2 or more texts")
    reply.fill(REPLY)
    expect(console.locator("#reply-count")).to_contain_text(f"of {SMS_BUDGET} characters, one text")
    reply.press("Enter")
    expect(reply).to_have_value("")
    sent = phone.wait_for_later("from the welfare team", seen)
    assert sent == to_gsm7(REPLY)  # curly quotes and the dash made plain, nothing else changed
    assert fits_sms(sent) and "’" not in sent
    assert len(phone.later()) == seen + 1  # one text, not split

    assert phone.text("thanks. i'm ok to talk now") == []  # no automatic answer while a person has it
    expect(transcript(console).last).to_contain_text("i'm ok to talk now")
    expect(transcript(console).last).to_have_class("from-user")
    expect(console.locator("#announce")).to_contain_text("Student: thanks. i'm ok to talk now")

    console.get_by_label("Outcome").select_option("support_given")
    console.get_by_label("Category").select_option("other")
    console.get_by_role("button", name="Close conversation").click()
    expect(console.locator("#conversation-state")).to_contain_text("Closed: Support given")  # the service took it
    phone.wait_for_later("closed this conversation", seen, limit=30)  # a send Twilio refuses is tried again
    expect(queue_entry(console, reference)).to_have_count(0)
    assert officer.outside == []

"""axe-core audits every page a student or an officer uses, in the states they see it: a serious or critical
violation (a control without a name, text without contrast, a broken landmark or ARIA role) fails the test.

The statistics page is audited in test_stats_browser.py, which has the service with cases to chart.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from .axe import assert_accessible, audit
from .helpers import (
    Browsing,
    ConsoleSystem,
    System,
    ask_for_a_person,
    assistant_messages,
    go_on_duty,
    officer_browsing,
    open_browsing,
    queue_entry,
    quick_replies,
    say,
    sign_in,
    wait_for_greeting,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_chat_page_is_accessible_greeting_answers_quick_replies_and_a_crisis_answer(
    browsing: Browsing, system: System
):
    page = browsing.new_page()
    page.goto(system.url + "/")
    wait_for_greeting(page)
    assert_accessible(page, "chat page on opening")

    crisis_answers = assistant_messages(page).filter(has_text="999")
    before = crisis_answers.count()
    say(page, "he is outside my door right now and I am scared")
    expect(crisis_answers).not_to_have_count(before)
    assert_accessible(page, "chat page with a crisis answer")

    say(page, "can I talk to a real person")
    expect(quick_replies(page).first).to_be_visible()
    assert_accessible(page, "chat page with quick replies")

    narrow = browsing.context.new_page()
    narrow.set_viewport_size({"width": 360, "height": 740})
    narrow.goto(system.url + "/")
    wait_for_greeting(narrow)
    assert_accessible(narrow, "chat page on a phone-sized screen")


def test_the_widget_is_accessible_on_the_host_page_and_inside_its_frame(browsing: Browsing, system: System):
    page = browsing.new_page()
    page.goto(system.host_url)
    assert_accessible(page, "host page with the closed widget")
    page.get_by_role("button", name="Talk it through").click()
    frame_locator = page.frame_locator("iframe[title='Talk it through: support chat']")
    wait_for_greeting(frame_locator)
    frame = page.frame(url=re.compile(r"/embed$"))
    assert frame is not None
    assert_accessible(page, "host page with the widget open")
    assert_accessible(frame, "the chat inside the widget")


def test_the_console_is_accessible_signed_out_with_a_queue_and_with_a_conversation_open(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    officer = officer_browsing(browser)
    contexts.append(officer)
    console = officer.new_page()
    console.goto(console_system.url + "/console")
    expect(console.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(console, "console sign-in page")

    sign_in(console, console_system.url, console_system.new_officer("Ari"))
    go_on_duty(console)
    assert_accessible(console, "console with an empty queue")

    student = open_browsing(browser)
    contexts.append(student)
    chat = student.new_page()
    chat.goto(console_system.url + "/")
    wait_for_greeting(chat)
    reference = ask_for_a_person(chat)
    entry = queue_entry(console, reference)
    expect(entry).to_contain_text("Web chat")
    assert_accessible(console, "console with a student waiting")

    entry.get_by_role("button", name=re.compile(r"^Take\b")).click()
    expect(console.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    assert_accessible(console, "console with a conversation open")
    assert_accessible(chat, "chat page with an officer")

    # Closed, so that it does not go back to the queue the other console tests share when this console goes.
    console.get_by_label("Outcome").select_option("support_given")
    console.get_by_label("Category").select_option("harassment")
    console.get_by_role("button", name="Close conversation").click()
    expect(chat.get_by_role("button", name="Start a new chat")).to_be_visible()


def test_the_audit_finds_what_a_screen_reader_user_would_trip_on(browsing: Browsing):
    """The audit itself: a button with no name and a list item outside a list fail it, so a pass means something."""
    page = browsing.new_page()
    page.set_content('<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
                     '<button></button><div role="log"><li>hello</li></div></main></body></html>')
    found = {violation["id"] for violation in audit(page)}
    assert {"button-name", "listitem"} <= found

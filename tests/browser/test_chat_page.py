"""The chat page in Chromium, against the real service and assistant."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    EXIT_URL,
    TOKEN_KEY,
    Browsing,
    System,
    assistant_messages,
    log_texts,
    quick_replies,
    say,
    seqs,
    user_messages,
    wait_for_greeting,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FOCUS_STYLE = """() => {
  const style = getComputedStyle(document.activeElement);
  return {outline: style.outlineStyle, width: parseFloat(style.outlineWidth), shadow: style.boxShadow};
}"""


def stored(page: Page) -> dict[str, dict[str, str]]:
    return page.evaluate("() => ({local: {...localStorage}, session: {...sessionStorage}})")


def focused_id(page: Page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.parentElement.id")


def assert_focus_visible(page: Page) -> None:
    style = page.evaluate(FOCUS_STYLE)
    assert style["outline"] == "solid" and style["width"] >= 2, style
    assert style["shadow"] != "none", style


def test_a_greeting_gets_the_assistants_reply_and_nothing_but_the_token_is_stored(browsing: Browsing, system: System):
    page = browsing.new_page()
    page.goto(system.url + "/")
    wait_for_greeting(page)  # the page opens the conversation itself
    say(page, "hello")
    expect(assistant_messages(page).last).to_contain_text("automated assistant")
    expect(page.locator("#status")).to_have_text("")

    storage = stored(page)
    assert storage["local"] == {}
    assert list(storage["session"]) == [TOKEN_KEY]
    assert browsing.outside == []  # no fonts, scripts or anything else from other sites

    before = log_texts(page)
    page.reload()  # the same tab resumes the same conversation, each message once
    expect(page.locator("#log li")).to_have_count(len(before))
    assert log_texts(page) == before
    assert len(set(seqs(page))) == len(seqs(page))


def test_a_quick_reply_is_answered_and_shown_by_its_title(page: Page, system: System):
    page.goto(system.url + "/")
    wait_for_greeting(page)
    say(page, "what is consent")
    button = quick_replies(page).filter(has_text="Pressure and threats")
    answered = assistant_messages(page).count()
    button.click()
    expect(user_messages(page).last).to_contain_text("Pressure and threats")
    expect(assistant_messages(page)).not_to_have_count(answered)
    assert page.evaluate("() => document.activeElement.id") == "text"  # focus did not fall to the page

    page.reload()  # the stored payload is shown as the button's title again, and the greeting stays hidden
    expect(user_messages(page).filter(has_text="Pressure and threats")).to_have_count(1)
    assert not [text for text in log_texts(page) if text.split("\n")[-1].startswith("/")]


def test_exit_this_page_replaces_the_page_and_forgets_the_conversation(page: Page, system: System):
    page.goto(system.url + "/")
    wait_for_greeting(page)
    assert stored(page)["session"].get(TOKEN_KEY)
    page.get_by_role("link", name="Exit this page").click()
    expect(page).to_have_url(EXIT_URL)
    page.go_back()  # the chat was replaced in the history, not left behind the exit page
    assert not page.url.startswith(system.url)
    page.goto(system.url + "/health")
    assert stored(page)["session"] == {}


def test_shift_three_times_in_a_row_leaves_the_page(page: Page, system: System):
    page.goto(system.url + "/")
    wait_for_greeting(page)
    page.locator("#text").focus()
    for key in ("Shift", "a", "Shift", "Shift"):  # a capital letter and any other key start the count again
        page.keyboard.press(key)
    expect(page.locator("#exit-progress")).to_have_text("Shift, press 1 more time to exit.")
    assert page.url.startswith(system.url)
    page.keyboard.press("Shift")
    expect(page).to_have_url(EXIT_URL)
    page.goto(system.url + "/health")
    assert stored(page)["session"] == {}


def test_the_chat_works_with_the_keyboard_alone(page: Page, system: System):
    page.goto(system.url + "/")
    wait_for_greeting(page)

    page.keyboard.press("Tab")
    assert focused_id(page) == "exit"  # the way out comes first
    assert_focus_visible(page)
    for _ in range(12):
        page.keyboard.press("Tab")
        if focused_id(page) == "text":
            break
        assert_focus_visible(page)
    assert focused_id(page) == "text"
    assert_focus_visible(page)

    page.keyboard.type("what is consent")
    page.keyboard.press("Enter")
    expect(quick_replies(page).filter(has_text="Pressure and threats")).to_be_visible()
    assert focused_id(page) == "text"

    page.keyboard.press("Shift+Tab")  # back from the message box to the quick replies above it
    assert focused_id(page) == "replies"
    assert_focus_visible(page)
    title = page.evaluate("() => document.activeElement.textContent")
    answered = assistant_messages(page).count()
    page.keyboard.press("Enter")
    expect(user_messages(page).last).to_contain_text(title)
    expect(assistant_messages(page)).not_to_have_count(answered)
    assert focused_id(page) == "text"

    expect(quick_replies(page).first).to_be_visible()
    page.keyboard.press("Shift+Tab")
    assert focused_id(page) == "replies"
    title = page.evaluate("() => document.activeElement.textContent")
    page.keyboard.press("Space")
    expect(user_messages(page).last).to_contain_text(title)
    assert focused_id(page) == "text"
    assert page.url.startswith(system.url)  # Shift+Tab three times is not "Shift three times"


def test_the_page_fits_a_phone(phone: Browsing, system: System):
    page = phone.new_page()
    page.goto(system.url + "/")
    wait_for_greeting(page)
    say(page, "what is consent")
    expect(quick_replies(page).first).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing runs off the side
    for selector in ("#exit", "#text", "#send"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, selector
        assert box["height"] >= 24 and box["width"] >= 24, selector  # WCAG 2.2 target size
    page.screenshot(path="/tmp/chat-phone.png")

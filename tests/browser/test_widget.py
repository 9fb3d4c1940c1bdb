"""The widget: one script tag on an institution's site opens the chat in a frame served by the service."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Frame, Page, expect

from .helpers import EXIT_URL, TOKEN_KEY, Browsing, System, log_texts, say, user_messages, wait_for_greeting

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET = "something happened at the halls party"
STORAGE = "() => JSON.stringify({local: {...localStorage}, session: {...sessionStorage}})"


def chat_frame(page: Page) -> Frame:
    frame = page.frame(url=re.compile(r"/embed$"))
    assert frame is not None
    return frame


def open_widget(page: Page) -> None:
    launcher = page.get_by_role("button", name="Talk it through")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")


def test_the_widget_chats_in_a_frame_and_leaves_nothing_on_the_host_page(browsing: Browsing, system: System):
    page = browsing.new_page()
    page.goto(system.host_url)
    open_widget(page)
    chat = page.frame_locator("iframe[title='Talk it through: support chat']")
    wait_for_greeting(chat)
    expect(chat.locator("#text")).to_be_focused()  # opening the chat takes the student straight to the box
    say(chat, SECRET)

    host_storage = page.evaluate(STORAGE)
    assert SECRET not in host_storage and host_storage == '{"local":{},"session":{}}'
    frame = chat_frame(page)
    assert frame.evaluate("() => localStorage.length") == 0
    assert frame.evaluate("() => Object.keys(sessionStorage)") == [TOKEN_KEY]
    token = frame.evaluate("k => sessionStorage.getItem(k)", TOKEN_KEY)
    assert browsing.outside == []
    page.screenshot(path="/tmp/widget-open.png")

    page.keyboard.press("Escape")  # closes the chat and gives focus back to the launcher
    launcher = page.get_by_role("button", name="Talk it through")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")  # and it opens again where it was
    expect(user_messages(chat).filter(has_text=SECRET)).to_have_count(1)

    chat.get_by_role("link", name="Exit this page").click()  # the whole institution page goes, not just the frame
    expect(page).to_have_url(EXIT_URL)

    page.goto(system.host_url)  # the token went with it: a new conversation
    open_widget(page)
    wait_for_greeting(chat)
    assert not [text for text in log_texts(chat) if SECRET in text]
    assert chat_frame(page).evaluate("k => sessionStorage.getItem(k)", TOKEN_KEY) not in (None, token)

    page.keyboard.press("Shift")  # Shift three times, with the focus in the frame
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    expect(page).to_have_url(EXIT_URL)


def test_only_the_configured_sites_may_frame_the_chat(browsing: Browsing, system: System):
    host_origin = system.host_url.rstrip("/")
    embed = httpx.get(f"{system.url}/embed")
    assert embed.headers["content-security-policy"].endswith(f"frame-ancestors 'self' {host_origin}")
    assert "frame-ancestors 'none'" in httpx.get(f"{system.url}/").headers["content-security-policy"]
    widget = httpx.get(f"{system.url}/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "localStorage" not in widget.text and "sessionStorage" not in widget.text

    page = browsing.new_page()
    page.goto(system.stranger_url)
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refused:
        page.get_by_role("button", name="Talk it through").click()
    assert host_origin in refused.value.text  # the browser quotes the policy that refused this site
    expect(page.frame_locator("iframe").locator("#text")).to_have_count(0)
    assert page.frame(url=re.compile(r"/embed$")) is None

    page.goto(system.host_url)  # an allowed site still cannot frame the ordinary chat page
    with page.expect_console_message(lambda m: "frame-ancestors 'none'" in m.text):
        page.evaluate("url => { const f = document.createElement('iframe'); f.src = url; document.body.append(f); }",
                      f"{system.url}/")

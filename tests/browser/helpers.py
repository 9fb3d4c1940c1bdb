"""What the browser tests do on the chat, whether it is the page itself or the widget's frame."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, FrameLocator, Locator, Page, Route, expect

EXIT_URL = "https://www.bbc.co.uk/weather"
TOKEN_KEY = "disclosure-assistant-token"
EXIT_PAGE = "<!doctype html><title>Weather</title><h1>Weather</h1>"  # stands in for the real site
Chat = Page | FrameLocator

expect.set_options(timeout=20_000)  # the assistant's first replies can be slow on a busy machine


@dataclass
class System:
    url: str                # the handoff service
    rasa_url: str
    host_url: str           # an institution's page, on a site in EMBED_SITES
    stranger_url: str       # the same page on a site that is not
    logs: Path


@dataclass
class Browsing:
    """A fresh browser profile (no storage), kept on loopback: the exit page is a stand-in."""

    context: BrowserContext
    outside: list[str] = field(default_factory=list)  # requests to anywhere else, all refused
    console: list[str] = field(default_factory=list)

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("console", lambda message: self.console.append(message.text))
        return page


def open_browsing(browser: Browser, width: int = 1280, height: int = 800) -> Browsing:
    browsing = Browsing(browser.new_context(viewport={"width": width, "height": height}))

    def route(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        elif url.startswith(EXIT_URL):
            route.fulfill(status=200, content_type="text/html", body=EXIT_PAGE)
        else:
            browsing.outside.append(url)
            route.abort()

    browsing.context.route("**/*", route)
    return browsing


def assistant_messages(chat: Chat) -> Locator:
    return chat.locator("#log li.from-assistant")


def user_messages(chat: Chat) -> Locator:
    return chat.locator("#log li.from-user")


def quick_replies(chat: Chat) -> Locator:
    return chat.locator("#replies button")


def wait_for_greeting(chat: Chat) -> None:
    """A new chat opens with the assistant saying what it is."""
    expect(assistant_messages(chat).first).to_contain_text("automated assistant")


def say(chat: Chat, text: str) -> None:
    """Type a message and press Enter, then wait until the assistant has answered it."""
    before = assistant_messages(chat).count()
    chat.locator("#text").fill(text)
    chat.locator("#text").press("Enter")
    expect(user_messages(chat).last).to_contain_text(text)
    expect(assistant_messages(chat)).not_to_have_count(before)
    expect(user_messages(chat).last).not_to_have_class(re.compile(r"\bpending\b"))


def log_texts(chat: Chat) -> list[str]:
    return chat.locator("#log li").all_inner_texts()


def seqs(chat: Chat) -> list[int]:
    return [int(s) for s in chat.locator("#log li[data-seq]").evaluate_all("items => items.map(i => i.dataset.seq)")]

"""The page's side of docs/webchat-protocol.md, against a scripted socket: every case, in a few seconds.

The page (rendered from its template, as the service renders it) and its script come straight from the service;
no process is started.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, WebSocketRoute, expect

from handoff.pages import chat_html

from .helpers import assistant_messages, quick_replies, user_messages

pytestmark = [pytest.mark.browser]

STATIC = Path(__file__).resolve().parents[2] / "handoff" / "static"
SITE = "http://chat.invalid"  # never resolved: every request to it is answered here


def serve_static(route: Route) -> None:
    path = route.request.url.removeprefix(SITE).split("?")[0]
    if path == "/":
        route.fulfill(body=chat_html(embedded=False), content_type="text/html")
        return
    name = path.removeprefix("/static/")
    if "/" in name or not (STATIC / name).is_file():
        route.fulfill(status=404)
    else:
        route.fulfill(path=STATIC / name)


class ScriptedServer:
    """Stands in for /ws/chat: records what the page sends and says what the test tells it to."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sockets: list[WebSocketRoute] = []
        self.frames: list[tuple[int, dict[str, Any]]] = []
        page.route_web_socket(re.compile(r"/ws/chat$"), self._connected)

    def _connected(self, ws: WebSocketRoute) -> None:
        index = len(self.sockets)
        self.sockets.append(ws)
        ws.on_message(lambda message: self.frames.append((index, json.loads(message))))

    def send(self, event: dict[str, Any]) -> None:
        self.sockets[-1].send(json.dumps(event))

    def next_frame(self, kind: str, seen: int = 0, limit: float = 10) -> dict[str, Any]:
        """The first frame of this type after the first ``seen`` frames of that type (waits for it)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            frames = [frame for _, frame in self.frames if frame["type"] == kind]
            if len(frames) > seen:
                return frames[seen]
            self.page.wait_for_timeout(20)  # lets Playwright deliver the page's frames
        raise AssertionError(f"no {kind!r} frame number {seen + 1}; got {self.frames}")

    def count(self, kind: str) -> int:
        return sum(frame["type"] == kind for _, frame in self.frames)


def message(seq: int, sender: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "seq": seq, "from": sender, "text": text, "at": "2025-01-01T00:00:00+00:00", **extra}


def test_the_page_follows_the_protocol(page: Page):
    page.route(SITE + "/**", serve_static)
    server = ScriptedServer(page)
    page.goto(SITE + "/")
    assert server.next_frame("hello") == {"type": "hello", "token": None, "after": 0}
    server.send({"type": "welcome", "token": "first", "resumed": False, "owner": "bot", "max_chars": 300})
    greeting = server.next_frame("message")  # a new conversation: the page asks the assistant to introduce itself
    assert greeting["text"] == "/greet" and 0 < len(greeting["client_id"]) <= 64
    assert page.evaluate("() => sessionStorage.getItem('disclosure-assistant-token')") == "first"
    assert page.locator("#text").get_attribute("maxlength") == "300"
    server.send({"type": "ack", "client_id": greeting["client_id"], "seq": 1, "duplicate": False})
    server.send(message(1, "user", "/greet", client_id=greeting["client_id"]))  # the page's own message, back

    server.send({"type": "typing", "from": "assistant", "on": True})
    expect(page.locator("#typing")).to_have_text("Assistant is writing…")
    buttons = [{"title": "Talk to a person", "payload": "/request_person"}]
    server.send(message(3, "assistant", "Second.", buttons=buttons))  # out of order, then repeated
    server.send(message(2, "assistant", "First."))
    server.send(message(3, "assistant", "Second.", buttons=buttons))
    expect(assistant_messages(page)).to_have_count(2)
    assert [t.split("\n")[-1] for t in assistant_messages(page).all_inner_texts()] == ["First.", "Second."]
    expect(page.locator("#typing")).to_have_text("")
    expect(user_messages(page)).to_have_count(0)  # the greeting request is never shown

    quick_replies(page).get_by_text("Talk to a person").click()
    choice = server.next_frame("message", seen=1)
    assert choice["text"] == "Talk to a person" and choice["payload"] == "/request_person"
    assert choice["client_id"] != greeting["client_id"]
    expect(user_messages(page).last).to_contain_text("Talk to a person")
    expect(quick_replies(page)).to_have_count(0)
    server.send({"type": "ack", "client_id": choice["client_id"], "seq": 4, "duplicate": False})

    server.send({"type": "officer_joined"})
    server.send(message(5, "officer", "Hello, I'm Sam from the welfare team."))
    server.send({"type": "officer_left"})
    expect(page.locator("#log li.event")).to_have_text(
        ["A welfare officer has joined the chat.", "The welfare officer has left the chat."])
    expect(page.locator("#log li.from-officer .who")).to_have_text("Welfare officer")

    server.send({"type": "error", "code": "bad_frame", "message": "Each frame is a JSON object with a 'type'."})
    expect(page.locator("#status")).to_have_text("Each frame is a JSON object with a 'type'.")

    page.locator("#text").fill("a message the server refuses")
    page.locator("#text").press("Enter")
    refused = server.next_frame("message", seen=2)
    server.send({"type": "error", "code": "too_long", "message": "That message is too long.",
                 "client_id": refused["client_id"]})
    expect(page.locator("#status")).to_have_text("That message is too long.")
    expect(user_messages(page).filter(has_text="refuses")).to_have_count(0)
    expect(page.locator("#text")).to_have_value("a message the server refuses")  # given back, not lost

    page.locator("#text").fill("are you there?")
    page.locator("#text").press("Enter")
    unanswered = server.next_frame("message", seen=3)
    server.sockets[-1].close()  # the connection drops before the ack
    expect(page.locator("#status")).to_contain_text("Reconnecting")
    assert server.next_frame("hello", seen=1) == {"type": "hello", "token": "first", "after": 5}
    server.send({"type": "welcome", "token": "first", "resumed": True, "owner": "human", "max_chars": 300})
    resent = server.next_frame("message", seen=4)
    assert resent == unanswered  # the same frame again: the server stores it once
    server.send({"type": "ack", "client_id": resent["client_id"], "seq": 6, "duplicate": True})
    server.send(message(6, "user", "are you there?", client_id=resent["client_id"]))
    expect(user_messages(page).filter(has_text="are you there?")).to_have_count(1)
    expect(user_messages(page).last).not_to_have_class(re.compile(r"\bpending\b"))
    expect(page.locator("#status")).to_have_text("")

    server.sockets[-1].close()  # and this time the conversation is gone (deleted) when the page comes back
    assert server.next_frame("hello", seen=2) == {"type": "hello", "token": "first", "after": 6}
    server.send({"type": "welcome", "token": "second", "resumed": False, "owner": "bot", "max_chars": 300})
    expect(page.locator("#log li.event").last).to_have_text("Your earlier chat has ended. This is a new one.")
    assert server.next_frame("hello", seen=3) == {"type": "hello", "token": "second", "after": 0}
    server.send({"type": "welcome", "token": "second", "resumed": True, "owner": "bot", "max_chars": 300})
    assert server.next_frame("message", seen=5)["text"] == "/greet"
    expect(user_messages(page)).to_have_count(0)


def test_a_message_the_service_could_not_take_in_stays_on_the_page_and_is_sent_again(page: Page):
    page.route(SITE + "/**", serve_static)
    server = ScriptedServer(page)
    page.goto(SITE + "/")
    server.next_frame("hello")
    server.send({"type": "welcome", "token": "t", "resumed": False, "owner": "bot", "max_chars": 300})
    greeting = server.next_frame("message")
    server.send({"type": "ack", "client_id": greeting["client_id"], "seq": 1, "duplicate": False})

    page.locator("#text").fill("i dont feel safe at home")
    page.locator("#text").press("Enter")
    sent = server.next_frame("message", seen=1)
    help_now = "Sorry, something went wrong here. If you are in danger now, call 999."
    server.send({"type": "error", "code": "not_taken_in", "message": help_now, "client_id": sent["client_id"],
                 "retry_after": 1})
    expect(page.locator("#status")).to_have_text(help_now)  # where to get help, at once
    expect(user_messages(page).filter(has_text="i dont feel safe at home")).to_have_count(1)  # still on the page
    again = server.next_frame("message", seen=2, limit=15)
    assert again == sent  # the same frame again: stored once when it is taken in

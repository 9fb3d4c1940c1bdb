"""What the browser tests do: on the chat (the page itself or the widget's frame), the console, and a phone."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Locator, Page, Route, expect
from processes import create_officer
from twilio.request_validator import RequestValidator

from handoff.channels.sms.standin import TwilioStandIn

TWILIO_TEST_SID = "AC" + "7" * 32

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
    console_port: int = 0   # where the action server reaches a handoff service (the console_system fixture's)


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
            # Let Playwright send it on: it knows when a page's own route (a test holding a request) or a change of
            # interception has already let the request go, where continue_() would fail on it.
            route.fallback()
        elif url.startswith(EXIT_URL):
            route.fulfill(status=200, content_type="text/html", body=EXIT_PAGE)
        else:
            browsing.outside.append(url)
            route.abort()

    browsing.context.route("**/*", route)
    return browsing


class HeldRequests:
    """Requests to one address held back from a page (its screen is not refreshed) until ``release``, when those
    held and any later one go on."""

    def __init__(self, page: Page, url: str) -> None:
        self.page, self.url, self.held, self.holding = page, url, [], True
        page.route(url, self._hold)

    def _hold(self, route: Route) -> None:
        if self.holding:
            self.held.append(route)
        else:
            route.fallback()

    def release(self) -> None:
        self.holding = False
        while self.held:
            self.held.pop(0).fallback()
        self.page.unroute(self.url, self._hold)


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


# ---- the officers' console and an SMS user, against the console_system fixture's service --------------------

OFFICER_PASSWORD = "a long enough test password"
REFERENCE = re.compile(r"\b([A-Z2-9]{3}-[A-Z2-9]{3})\b")

# Stands in for the browser's Notification API (permission starts at "default", and is granted when asked)
# and counts the tones the page makes with the Web Audio API. What the page shows is kept in window.__alerts.
ALERT_PROBE = """(() => {
  const alerts = { notifications: [], asked: 0, tones: 0 };
  class ProbeNotification {
    constructor(title, options) {
      alerts.notifications.push({ title: String(title), body: String((options && options.body) || "") });
      this.onclick = null;
    }
    close() {}
    static requestPermission() {
      alerts.asked += 1;
      ProbeNotification.permission = "granted";
      return Promise.resolve("granted");
    }
  }
  ProbeNotification.permission = "default";
  window.Notification = ProbeNotification;
  window.__alerts = alerts;
  const Context = window.AudioContext;
  if (Context) {
    const create = Context.prototype.createOscillator;
    Context.prototype.createOscillator = function () { alerts.tones += 1; return create.call(this); };
  }
})();"""


@dataclass
class ConsoleSystem:
    """A second handoff service, in office hours, with SMS through a local Twilio stand-in; Rasa is shared."""

    url: str
    database_url: str
    twilio_token: str
    standin: TwilioStandIn
    logs: Path
    officers: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """The service's warnings and errors so far (its log holds no numbers or texts), to explain a failure."""
        log = self.logs / "console-handoff.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return [line for line in lines if re.search(r"WARNING|ERROR|Traceback|Error\b", line)][-20:]

    def new_officer(self, name: str, *, on_duty: bool = False) -> str:
        """A fresh welfare officer's account; returns the email to sign in with."""
        email = f"{name.lower()}{len(self.officers) + 1}@example.ac.uk"
        create_officer(self.database_url, email, name, OFFICER_PASSWORD, on_duty=on_duty)
        self.officers.append(email)
        return email


def officer_browsing(browser: Browser, width: int = 1280, height: int = 800) -> Browsing:
    browsing = open_browsing(browser, width, height)
    browsing.context.add_init_script(ALERT_PROBE)
    return browsing


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(OFFICER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Live queue")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-ready", "true")


def go_on_duty(page: Page) -> None:
    duty = page.get_by_role("button", name="On duty")
    expect(duty).to_have_attribute("aria-pressed", "false")
    duty.click()
    expect(duty).to_have_attribute("aria-pressed", "true")


def alerts(page: Page) -> dict:
    return page.evaluate("() => window.__alerts")


def queue_entry(page: Page, reference: str) -> Locator:
    return page.locator(f'#queue li[data-reference="{reference}"]')


def transcript(page: Page) -> Locator:
    return page.locator("#transcript li")


def write(chat: Chat, text: str) -> None:
    """Send a message without waiting for the assistant (an officer has the conversation)."""
    chat.locator("#text").fill(text)
    chat.locator("#text").press("Enter")
    expect(user_messages(chat).last).to_contain_text(text)
    expect(user_messages(chat).last).not_to_have_class(re.compile(r"\bpending\b"))


def ask_for_a_person(chat: Chat) -> str:
    """Ask the assistant for a person, share the chat, choose "Just talk"; returns the case reference."""
    told = assistant_messages(chat).filter(has_text="Your reference is")
    before = told.count()
    say(chat, "can I talk to a real person")
    quick_replies(chat).filter(has_text="Yes, share it").click()
    expect(quick_replies(chat).filter(has_text="Just talk")).to_be_visible()
    quick_replies(chat).filter(has_text="Just talk").click()
    expect(told).to_have_count(before + 1)
    match = REFERENCE.search(told.last.inner_text())
    assert match, told.last.inner_text()
    return match.group(1)


@dataclass
class SmsPhone:
    """A phone texting the service through its signed webhook, as Twilio would; later texts reach the stand-in."""

    system: ConsoleSystem
    number: str

    def text(self, body: str) -> list[str]:
        """Send a text; returns the replies in the webhook's answer (TwiML)."""
        url = self.system.url + "/sms/inbound"  # the service's PUBLIC_URL is its own address
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": TWILIO_TEST_SID, "From": self.number,
                  "To": "+447700900000", "Body": body, "NumMedia": "0"}
        signature = RequestValidator(self.system.twilio_token).compute_signature(url, params)
        response = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
        response.raise_for_status()
        return [message.text or "" for message in ElementTree.fromstring(response.text).iter("Message")]

    def later(self) -> list[str]:
        """Texts the service has sent this phone through the REST API (the stand-in), oldest first."""
        return [sms.body for sms in list(self.system.standin.sent) if sms.to == self.number]

    def wait_for_later(self, words: str, seen: int = 0, limit: float = 20) -> str:
        """The first text by REST, after the first ``seen``, that contains ``words``."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            for body in self.later()[seen:]:
                if words in body:
                    return body
            time.sleep(0.1)
        raise AssertionError(f"no text containing {words!r}; got {self.later()}; the service logged: "
                             f"{self.system.problems()}")

    def converse(self, body: str, words: str) -> str:
        """Send a text and return the reply containing ``words``, in the webhook's answer or sent later."""
        seen = len(self.later())
        replies = self.text(body)
        for reply in replies:
            if words in reply:
                return reply
        return self.wait_for_later(words, seen)

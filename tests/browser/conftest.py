"""A real browser against the real system: Chromium, the handoff service, Rasa and the action server.

Started once for the whole folder and stopped after its last test. Two small "institution" sites on other
loopback ports carry the widget's script tag: one is in EMBED_SITES, one is not.

The console tests add a second handoff service (``console_system``) on a port chosen up front: the action
server asks that one for a person. It runs in office hours and sends SMS to a local Twilio stand-in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from processes import (
    Assistant,
    Process,
    assistant_processes,
    base_env,
    free_port,
    handoff_process,
    migrate,
    stop_all,
    wait_until_ready,
)

from handoff.channels.sms.standin import TwilioStandIn

from .helpers import TWILIO_TEST_SID, Browsing, ConsoleSystem, System, open_browsing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# data/institutions/example.yml: the welfare team is in Monday to Friday, 09:00 to 17:00 (a Tuesday, no bank holiday).
IN_OFFICE_HOURS = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London"))
TWILIO_TEST_TOKEN = "console-tests-twilio-auth-token"  # the stand-in's, for tests only


class HostSite:
    """A tiny institution website with the widget's script tag, on its own loopback port."""

    def __init__(self, port: int, service_url: str) -> None:
        page = HOST_PAGE.format(service=service_url).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)  # port 0: a free one, bound now
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


HOST_PAGE = """<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example College: student wellbeing</title>
<style>
body {{ margin: 0; font: 16px/1.5 Georgia, serif; color: #222; }}
header {{ background: #5b2a86; color: #fff; padding: 1rem 2rem; }}
main {{ padding: 1rem 2rem; max-width: 48rem; }}
button {{ font: 20px serif; background: hotpink; }}
</style></head>
<body>
<header><h1>Example College</h1></header>
<main><h2>Student wellbeing</h2>
<p>Support, advice and contacts for students. Our wellbeing team is open weekdays.</p>
<p><a href="#contact">Contact us</a></p></main>
<script src="{service}/widget.js" defer></script>
</body>
</html>
"""


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    logs = tmp_path_factory.mktemp("browser-system")
    handoff_port, console_port = free_port(), free_port()
    service_url = f"http://127.0.0.1:{handoff_port}"
    # The two sites are bound at once: a port picked now but bound only once Rasa is ready (a minute later) could
    # be taken meanwhile by a connection of the tests running beside these.
    sites = [HostSite(0, service_url), HostSite(0, service_url)]
    host_port = sites[0].port
    assistant: Assistant = assistant_processes(logs, handoff_url=f"http://127.0.0.1:{console_port}")
    processes: list[Process] = list(assistant.processes)
    try:
        for process in assistant.processes:
            process.start()  # Rasa takes longest: start it while the database is prepared
        database_url = f"sqlite:///{logs}/handoff.db"
        migrate(database_url, base_env())
        handoff = handoff_process(handoff_port, database_url, assistant.rasa_url, logs,
                                  EMBED_SITES=f"http://127.0.0.1:{host_port}")
        processes.append(handoff.start())
        for url in [*assistant.ready_urls, f"{service_url}/health"]:
            wait_until_ready(url, processes)  # fails at once, with its log, if any of them exits
        yield System(service_url, assistant.rasa_url, sites[0].url, sites[1].url, logs, console_port)
    finally:
        for site in sites:
            site.close()
        stop_all(processes)


@pytest.fixture(scope="package")
def console_system(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSystem]:
    """The handoff service the action server asks for a person: in office hours, with SMS to a stand-in."""
    logs = tmp_path_factory.mktemp("console-system")
    url = f"http://127.0.0.1:{system.console_port}"
    database_url = f"sqlite:///{logs}/console.db"
    standin = TwilioStandIn(account_sid=TWILIO_TEST_SID, auth_token=TWILIO_TEST_TOKEN).start()
    service: Process | None = None
    try:
        migrate(database_url, base_env())
        service = handoff_process(
            system.console_port, database_url, system.rasa_url, logs, name="console-handoff",
            travel_to=IN_OFFICE_HOURS, PUBLIC_URL=url, TWILIO_ACCOUNT_SID=TWILIO_TEST_SID,
            TWILIO_AUTH_TOKEN=TWILIO_TEST_TOKEN, TWILIO_API_BASE=standin.base_url, TWILIO_FROM_NUMBER="+447700900000",
            SMS_REPLY_TIMEOUT="12",  # a busy machine's assistant still answers in the webhook's reply
        ).start()
        wait_until_ready(f"{url}/health", [service])
        yield ConsoleSystem(url, database_url, TWILIO_TEST_TOKEN, standin, logs)
    finally:
        if service is not None:
            service.stop()
        standin.stop()


# Package scope, not session: while Playwright's sync API runs, its event loop counts as the running loop,
# and tests in other folders that call asyncio.run() would fail.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browsing(browser: Browser) -> Iterator[Browsing]:
    browsing = open_browsing(browser)
    yield browsing
    browsing.context.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[Browsing]]:
    """Browser profiles the test opens (each closed at the end); officers' ones have the alert probe."""
    opened: list[Browsing] = []
    yield opened
    for browsing in opened:
        browsing.context.close()


@pytest.fixture
def page(browsing: Browsing) -> Page:
    return browsing.new_page()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Browsing]:
    browsing = open_browsing(browser, 390, 844)
    yield browsing
    browsing.context.close()

"""Staff accounts and two-step sign-in in Chromium, under the service's real Content Security Policy.

Its own handoff service (development mode, no assistant needed): an administrator creates an account with a
one-time password, its owner replaces it with their own, sets up two-step sign-in and signs in with a code; a
form posted from another site is refused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from playwright.sync_api import Browser, Page, expect
from processes import base_env, create_officer, free_port, handoff_process, migrate, wait_until_ready

from handoff.core.security import totp

from .helpers import OFFICER_PASSWORD, open_browsing

ADMIN = "ada@example.ac.uk"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs: Path = tmp_path_factory.mktemp("admin-system")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{logs}/admin.db"
    migrate(database_url, base_env())
    create_officer(database_url, ADMIN, "Ada", OFFICER_PASSWORD, role="admin")
    process = handoff_process(port, database_url, "http://127.0.0.1:9", logs, name="admin-handoff").start()
    try:
        wait_until_ready(f"{url}/health", [process])
        yield url
    finally:
        process.stop()


@pytest.fixture
def forger() -> Iterator[str]:
    """Another site, with a form that posts to the console's sign-in."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = self.path.removeprefix("/?target=")
            body = (f'<!doctype html><title>Prize</title><form method="post" action="{target}/console/login">'
                    f'<input name="email" value="{ADMIN}"><input name="password" value="x">'
                    f'<button>Claim</button></form>').encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url + "/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_creates_an_account_whose_owner_sets_up_two_step_sign_in(browser: Browser, service: str):
    admin = open_browsing(browser)
    owner = open_browsing(browser)
    try:
        page = admin.new_page()
        sign_in(page, service, ADMIN, OFFICER_PASSWORD)
        expect(page.get_by_role("heading", name="Live queue")).to_be_visible()
        page.get_by_role("link", name="Staff accounts").click()
        expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
        page.get_by_label("Email").fill("kim@example.ac.uk")
        page.get_by_label("Name").fill("Kim")
        page.get_by_label("Role").select_option("welfare_officer")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text("shown only this once")).to_be_visible()
        password = page.locator("#initial-password").inner_text().strip()
        expect(page.locator('tr[data-email="kim@example.ac.uk"]')).to_contain_text("Not set up")

        kim = owner.new_page()
        sign_in(kim, service, "kim@example.ac.uk", password)
        # The initial password works once: Kim chooses her own before anything else.
        expect(kim.get_by_role("heading", name="Choose your own password")).to_be_visible()
        kim.locator("#new").fill("kim's own long password")
        kim.locator("#again").fill("kim's own long password")
        kim.get_by_role("button", name="Save the new password").click()
        expect(kim.get_by_role("heading", name="Live queue")).to_be_visible()
        kim.get_by_role("link", name="Set up two-step sign-in").click()
        key_text = kim.locator("#totp-key").inner_text()
        assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", key_text.strip())
        key = key_text.replace(" ", "")
        expect(kim.locator("#totp-uri")).to_contain_text("otpauth://totp/", use_inner_text=False)
        kim.get_by_label("Six-digit code").fill(totp(key, time.time()))
        kim.get_by_role("button", name="Confirm and continue").click()
        expect(kim.get_by_role("heading", name="Live queue")).to_be_visible()
        expect(kim.get_by_role("link", name="Set up two-step sign-in")).to_have_count(0)
        kim.get_by_role("button", name="Sign out").click()
        expect(kim.get_by_role("heading", name="Sign in")).to_be_visible()

        sign_in(kim, service, "kim@example.ac.uk", password)
        expect(kim.get_by_text("did not match an active account")).to_be_visible()  # the initial one has expired
        sign_in(kim, service, "kim@example.ac.uk", "kim's own long password")
        expect(kim.get_by_role("heading", name="Enter your code")).to_be_visible()
        kim.get_by_label("Six-digit code").fill(totp(key, time.time() + 30))  # the next step: this one is used
        kim.get_by_role("button", name="Continue").click()
        expect(kim.get_by_role("heading", name="Live queue")).to_be_visible()
        expect(kim.locator("html")).to_have_attribute("data-ready", "true")

        page.reload()
        expect(page.locator('tr[data-email="kim@example.ac.uk"]')).to_contain_text("Set up")
        for messages in (admin.console, owner.console):
            assert not [m for m in messages if "Content Security Policy" in m]
    finally:
        admin.context.close()
        owner.context.close()


def test_a_sign_in_form_posted_from_another_site_is_refused(browser: Browser, service: str, forger: str):
    browsing = open_browsing(browser)
    try:
        page = browsing.new_page()
        page.goto(f"{forger}/?target={service}")
        page.get_by_role("button", name="Claim").click()
        expect(page.get_by_text("Nothing was changed")).to_be_visible()
        page.goto(service + "/console")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # no session was started
    finally:
        browsing.context.close()

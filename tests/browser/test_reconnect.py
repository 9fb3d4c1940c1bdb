"""The service restarts mid-conversation: the page reconnects by itself and loses and repeats nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from processes import base_env, free_port, handoff_process, migrate, start_all

from .helpers import Browsing, System, assistant_messages, log_texts, say, seqs, user_messages, wait_for_greeting

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_page_reconnects_after_the_service_restarts(browsing: Browsing, system: System, tmp_path: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{tmp_path}/handoff.db"
    migrate(database_url, base_env())

    def start():
        service = handoff_process(port, database_url, system.rasa_url, tmp_path)
        start_all([service], [f"{url}/health"])
        return service

    service = start()
    try:
        page = browsing.new_page()
        page.goto(url + "/")
        wait_for_greeting(page)
        say(page, "hello")
        before = log_texts(page)
        answered = assistant_messages(page).count()

        service.kill()  # a crash: no goodbye, the socket just drops
        expect(page.locator("#status")).to_contain_text("Reconnecting")
        page.locator("#text").fill("what is consent")  # written while the service is down: kept, sent later
        page.locator("#text").press("Enter")
        expect(user_messages(page).last).to_have_class(re.compile(r"\bpending\b"))

        service = start()  # same port, same database
        expect(page.locator("#status")).to_have_text("")
        expect(user_messages(page).last).not_to_have_class(re.compile(r"\bpending\b"))
        expect(assistant_messages(page)).not_to_have_count(answered)  # answered once it arrived
        assert log_texts(page)[: len(before)] == before  # everything from before the restart, once
        say(page, "what can I do")

        texts = log_texts(page)
        assert sum("hello" in text for text in texts if text.startswith("You")) == 1
        assert sum("what is consent" in text for text in texts) == 1
        shown = seqs(page)
        assert shown == sorted(set(shown))  # in order, none twice
    finally:
        service.stop()

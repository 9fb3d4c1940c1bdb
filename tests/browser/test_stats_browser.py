"""The statistics page in Chromium: the safeguarding lead sees charts and downloads the CSV; an officer cannot.

A handoff service of its own, on a database with cases made by the service's functions at set times (in a child
process: while Playwright's sync API runs, this process may not start an event loop). The assistant is not needed.
Set STATS_SCREENSHOT to a file path to keep a picture of the page.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from processes import ROOT, base_env, create_officer, free_port, handoff_process, migrate, wait_until_ready

from .axe import assert_accessible
from .helpers import OFFICER_PASSWORD, Browsing, officer_browsing, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLOSED_PORT_URL = "http://127.0.0.1:9"

# January 2026: 9 web chats in office hours, answered after 5 to 45 minutes, closed a day later (6 sexual
# harassment, 3 bullying). February: 7 web chats, open. March: 2 texts on a Saturday night, open.
_SEED = """
import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from handoff.commands import with_database
from handoff.cases import service as cases
from handoff.cases.enums import Goal
from handoff.conversations import service as conversations
from handoff.conversations.enums import Channel

LONDON = ZoneInfo("Europe/London")


async def one(db, at, channel, reply_after=None, close_after=None, category=""):
    with time_machine.travel(at, tick=False):
        conversation, _ = await conversations.create(db_session=db, channel=channel, institution_id="example")
        case, _ = await cases.create_for_request(
            db_session=db, conversation=conversation, request_id=f"r{conversation.id}", goal=Goal.talk,
            share_transcript=False, anonymous=True, out_of_hours=False)
    if reply_after is not None:
        await cases.mark_first_response(db_session=db, case=case, at=at + timedelta(minutes=reply_after))
    if close_after is not None:
        with time_machine.travel(at + close_after, tick=False):
            await cases.close(db_session=db, case=case, officer_id=0, outcome="support_given", category=category)


async def seed(db, *_):
    for i in range(9):
        await one(db, datetime(2026, 1, 13, 10, i, tzinfo=LONDON), Channel.webchat, reply_after=5 * (i + 1),
                  close_after=timedelta(days=1), category="sexual_harassment" if i < 6 else "bullying")
    for i in range(7):
        await one(db, datetime(2026, 2, 10, 14, i, tzinfo=LONDON), Channel.webchat)
    for i in range(2):
        await one(db, datetime(2026, 3, 7, 2, i, tzinfo=LONDON), Channel.sms)


asyncio.run(with_database(seed))
"""


@dataclass
class StatsSystem:
    url: str
    database_url: str


@pytest.fixture(scope="module")
def stats_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatsSystem]:
    logs: Path = tmp_path_factory.mktemp("stats-system")
    database_url = f"sqlite:///{logs}/stats.db"
    migrate(database_url, base_env())
    subprocess.run([sys.executable, "-c", _SEED], cwd=ROOT, check=True, capture_output=True,
                   env=base_env(DATABASE_URL=database_url))
    port = free_port()
    service = handoff_process(port, database_url, CLOSED_PORT_URL, logs, name="stats-handoff").start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(f"{url}/health", [service])
        yield StatsSystem(url, database_url)
    finally:
        service.stop()


@pytest.fixture
def officer_page(browser: Browser) -> Iterator[tuple[Browsing, Page]]:
    browsing = officer_browsing(browser)
    yield browsing, browsing.new_page()
    browsing.context.close()


def test_the_lead_sees_protected_charts_and_downloads_the_same_numbers(
    stats_system: StatsSystem, officer_page: tuple[Browsing, Page]
):
    browsing, page = officer_page
    create_officer(stats_system.database_url, "lead@example.ac.uk", "Robin Lead", OFFICER_PASSWORD,
                   role="safeguarding_lead")
    sign_in(page, stats_system.url, "lead@example.ac.uk")
    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Statistics", exact=True)).to_be_visible()

    page.get_by_label("First month").fill("2026-01")
    page.get_by_label("Last month").fill("2026-12")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="January 2026 to December 2026")).to_be_visible()
    expect(page.locator("#total")).to_have_text("18")

    months = page.locator("#table-month")
    expect(months.locator("svg.columns")).to_be_visible()
    expect(months.locator("svg.columns rect")).to_have_count(1)  # only January is shown exactly
    expect(months.locator('tr[data-key="2026-01"] td.count')).to_have_text("9")
    expect(months.locator('tr[data-key="2026-02"] td.count')).to_have_text("withheld")
    expect(months.locator('tr[data-key="2026-03"] td.count')).to_have_text("<5")
    expect(months.locator('tr[data-key="2026-04"] td.count')).to_have_text("0")
    bar = months.locator('tr[data-key="2026-01"] svg.stat-bar')
    expect(bar).to_be_visible()
    assert bar.bounding_box()["width"] > 100  # drawn by the style sheet, not squashed to nothing

    categories = page.locator("#table-category")
    expect(categories.locator('tr[data-key="bullying"] td.count')).to_have_text("<5")
    expect(categories.locator('tr[data-key="not_closed"] td.count')).to_have_text("9")
    expect(page.locator('[data-median="first_response"] dd')).to_have_text("25 minutes")
    expect(page.locator('[data-median="closure"] dd')).to_have_text("1 day")
    assert not [line for line in browsing.console if "Content Security Policy" in line]
    assert_accessible(page, "statistics page with charts")
    if os.environ.get("STATS_SCREENSHOT"):
        page.screenshot(path=os.environ["STATS_SCREENSHOT"], full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "statistics-2026-01-to-2026-12.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert ["Cases opened", "18"] in rows
    assert ["Cases opened each month", "January 2026", "9"] in rows
    assert ["Cases opened each month", "February 2026", "withheld"] in rows
    assert ["Cases opened each month", "March 2026", "<5"] in rows
    assert ["Cases by channel", "SMS", "<5"] in rows

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(stats_system.url + "/console/stats")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_welfare_officer_has_no_statistics_link_and_is_refused(
    stats_system: StatsSystem, officer_page: tuple[Browsing, Page]
):
    _, page = officer_page
    create_officer(stats_system.database_url, "sam@example.ac.uk", "Sam", OFFICER_PASSWORD)
    sign_in(page, stats_system.url, "sam@example.ac.uk")
    expect(page.get_by_role("link", name="Cases")).to_be_visible()
    expect(page.get_by_role("link", name="Statistics")).to_have_count(0)
    response = page.goto(stats_system.url + "/console/stats?from=2026-01&to=2026-12")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Statistics are for the safeguarding lead and administrators")
    expect(page.locator("#table-month")).to_have_count(0)
    expect(page.get_by_role("link", name="Download CSV")).to_have_count(0)

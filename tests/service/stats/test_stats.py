"""Anonymised statistics: the protected counts and medians, the page, the CSV, who may see them."""

from __future__ import annotations

import csv
import io
import itertools
import logging
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from handoff.cases import service as cases
from handoff.cases.enums import Goal
from handoff.cases.models import Case
from handoff.conversations import service as conversations
from handoff.conversations.enums import Channel
from handoff.officers.models import AuditEvent, Role
from handoff.stats.report import (
    SMALL_WORDS,
    WITHHELD,
    BadRange,
    CaseFacts,
    build_report,
    parse_range,
    protect,
    spreadsheet_safe,
)

from ..console_helpers import Console, create_officer
from ..db_helpers import run_db

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
JANUARY_TUESDAY = datetime(2026, 1, 13, 10, 0, tzinfo=LONDON)     # in office hours
FEBRUARY_TUESDAY = datetime(2026, 2, 10, 14, 0, tzinfo=LONDON)
MARCH_SATURDAY = datetime(2026, 3, 7, 2, 0, tzinfo=LONDON)        # out of hours
SPRING_BANK_HOLIDAY = datetime(2026, 5, 25, 10, 0, tzinfo=LONDON)  # a Monday, but the office is closed
DECEMBER_BEFORE = datetime(2025, 12, 9, 11, 0, tzinfo=LONDON)      # before the year asked for
YEAR = {"from": "2026-01", "to": "2026-12"}


# ---- the pure report ------------------------------------------------------------------------------------


def _table(*counts: int):
    return protect("t", "Test", [(f"k{i}", f"Row {i}", n) for i, n in enumerate(counts)])


def _shown(*counts: int) -> list[str]:
    return [cell.shown for cell in _table(*counts).cells]


def test_small_counts_show_as_under_five_and_zero_stays_zero():
    assert _shown(0, 7, 9) == ["0", "7", "9"]
    assert _shown(3, 10, 0) == [SMALL_WORDS, WITHHELD, "0"]
    assert _table(3, 10, 0).total == "13"
    assert _shown(1, 2, 0) == [SMALL_WORDS, SMALL_WORDS, "0"] and _table(1, 2, 0).total == SMALL_WORDS


def test_the_next_smallest_count_is_withheld_so_the_total_gives_nothing_away():
    assert _shown(3, 12, 6, 30) == [SMALL_WORDS, "12", WITHHELD, "30"]
    # Two small cells adding to 8 would both be 4 without a withheld cell beside them.
    assert _shown(4, 4, 20, 25) == [SMALL_WORDS, SMALL_WORDS, WITHHELD, "25"]
    # A withheld 5 next to a 1 adds up to 6, which could only be 1 + 5: a bigger one is withheld too.
    assert _shown(1, 5, 9, 40) == [SMALL_WORDS, WITHHELD, WITHHELD, "40"]


def test_a_table_too_small_to_protect_is_withheld_whole():
    table = _table(1, 5)
    assert table.withheld and [c.shown for c in table.cells] == [WITHHELD, WITHHELD] and table.total == "6"


def _possible(hidden: list[str], shown_sum: int, total: int, index: int) -> set[int]:
    """What a reader can work out about hidden cell ``index`` from everything on the page."""
    rest = total - shown_sum
    others = [kind for i, kind in enumerate(hidden) if i != index]
    low = sum(1 if kind == SMALL_WORDS else 5 for kind in others)
    high = float("inf") if WITHHELD in others else 4 * len(others)
    return {v for v in range(1, 5) if low <= rest - v <= high}


def test_no_small_count_can_be_worked_out_from_the_total_in_many_tables():
    chooser = random.Random(20261122)
    for _ in range(3000):
        counts = [chooser.choice([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 30]) for _ in range(chooser.randint(2, 8))]
        table = protect("t", "Test", [(str(i), str(i), n) for i, n in enumerate(counts)])
        if table.withheld or sum(counts) < 5:
            continue
        hidden = [cell.shown for cell in table.cells if cell.value is None and cell.shown != "0"]
        shown_sum = sum(cell.value or 0 for cell in table.cells)
        assert int(table.total) == sum(counts)
        for index, kind in enumerate(hidden):
            if kind == SMALL_WORDS:
                assert _possible(hidden, shown_sum, sum(counts), index) == {1, 2, 3, 4}, counts


def test_the_default_range_is_the_last_twelve_full_months_and_bad_months_say_why():
    assert parse_range(None, None, date(2026, 11, 22)) == (date(2025, 11, 1), date(2026, 10, 1))
    assert parse_range("", "", date(2026, 1, 1)) == (date(2025, 1, 1), date(2025, 12, 1))
    assert parse_range("2026-01", "2026-12", date(2026, 3, 1)) == (date(2026, 1, 1), date(2026, 12, 1))
    for start, end, words in [("2026-13", "2026-12", "between 01 and 12"), ("Jan 2026", "2026-12", "like 2026-01"),
                              ("2026-06", "2026-01", "not be after"), ("2000-01", "2026-01", "at most 60")]:
        with pytest.raises(BadRange, match=words):
            parse_range(start, end, date(2026, 11, 22))


def test_medians_need_five_cases():
    opened = datetime(2026, 2, 3, 10, 0, tzinfo=UTC)
    facts = [CaseFacts(opened, "webchat", None, opened + timedelta(minutes=10 * (i + 1)), None) for i in range(4)]
    report = build_report(facts, start=date(2026, 2, 1), end=date(2026, 2, 1), zone=LONDON,
                          in_office_hours=lambda _: True)
    assert report.medians[0].minutes is None and "fewer than 5" in report.medians[0].words
    facts.append(CaseFacts(opened, "webchat", None, opened + timedelta(minutes=50), None))
    report = build_report(facts, start=date(2026, 2, 1), end=date(2026, 2, 1), zone=LONDON,
                          in_office_hours=lambda _: True)
    assert report.medians[0].minutes == 30 and report.medians[0].words == "30 minutes"


def test_spreadsheet_formulas_are_defused():
    for text in ("=1+1", "+44 7700", "-2", "@SUM(A1)", "\t=1"):
        assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("<5") == "<5" and spreadsheet_safe("Web chat") == "Web chat"


# ---- cases made through the service, placed in months --------------------------------------------------


def _seed(settings) -> None:
    """19 cases in 2026 and one in December 2025, as the service would have recorded them."""

    async def one(db, at: datetime, channel: Channel, *, reply_after: int | None = None,
                  close_after: timedelta | None = None, category: str = "", out_of_hours: bool = False) -> None:
        with time_machine.travel(at, tick=False):
            conversation, _ = await conversations.create(db_session=db, channel=channel, institution_id="example")
            case, _ = await cases.create_for_request(
                db_session=db, conversation=conversation, request_id=f"r{conversation.id}", goal=Goal.talk,
                share_transcript=False, anonymous=True, out_of_hours=out_of_hours,
            )
        if reply_after is not None:
            await cases.mark_first_response(db_session=db, case=case, at=at + timedelta(minutes=reply_after))
        if close_after is not None:
            with time_machine.travel(at + close_after, tick=False):
                await cases.close(db_session=db, case=case, officer_id=0, outcome="support_given",
                                  category=category)

    async def go(db):
        # January: 9 web chats in office hours, answered after 5, 10, ... 45 minutes, closed a day later.
        for i in range(9):
            await one(db, JANUARY_TUESDAY + timedelta(minutes=i), Channel.webchat, reply_after=5 * (i + 1),
                      close_after=timedelta(days=1), category="sexual_harassment" if i < 6 else "bullying")
        # February: 7 web chats in office hours, still open.
        for i in range(7):
            await one(db, FEBRUARY_TUESDAY + timedelta(minutes=i), Channel.webchat)
        # March: 2 texts on a Saturday night, still open. May: a web chat on the spring bank holiday.
        for i in range(2):
            await one(db, MARCH_SATURDAY + timedelta(minutes=i), Channel.sms, out_of_hours=True)
        await one(db, SPRING_BANK_HOLIDAY, Channel.webchat, out_of_hours=True)
        await one(db, DECEMBER_BEFORE, Channel.webchat, reply_after=3, close_after=timedelta(hours=2),
                  category="stalking")

    run_db(settings, go)


def _cells(rows: list[list[str]], table: str) -> dict[str, str]:
    return {row[1]: row[2] for row in rows if row and row[0] == table}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def _references(settings) -> list[str]:
    async def go(db):
        return list(await db.scalars(select(Case.reference)))

    references = run_db(settings, go)
    assert references
    return references


async def _audit_rows(db) -> list[tuple[str, str | None]]:
    return [(row.action, row.target) for row in await db.scalars(select(AuditEvent))]


def _sign_in(client, settings, email: str, role: Role) -> Console:
    create_officer(settings, email, role=role)
    return Console(client, email)


def _the_lead_signs_in(client, settings) -> None:
    _sign_in(client, settings, "lead@example.ac.uk", Role.safeguarding_lead)._use()


@pytest.fixture
def lead_with_the_cases(client, settings) -> None:
    """The seeded cases are in, and the safeguarding lead is signed in to the console."""
    _seed(settings)
    _the_lead_signs_in(client, settings)


def test_the_year_in_numbers_with_small_counts_protected(client, settings, lead_with_the_cases):
    response = client.get("/console/stats.csv", params=YEAR)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="statistics-2026-01-to-2026-12.csv"'
    rows = _csv(response)
    assert rows[0] == ["Anonymised statistics", "January 2026 to December 2026"]
    assert ["Cases opened", "19"] in rows

    # 9, 7, 2 and 1: the 7 is withheld, or 19 - 9 - 7 would give the two small months away together.
    months = _cells(rows, "Cases opened each month")
    assert months["January 2026"] == "9" and months["February 2026"] == WITHHELD
    assert months["March 2026"] == SMALL_WORDS and months["May 2026"] == SMALL_WORDS
    assert months["April 2026"] == "0" and months["Total"] == "19"
    assert "December 2025" not in months

    categories = _cells(rows, "Cases by category")
    assert categories["Sexual harassment"] == WITHHELD and categories["Bullying"] == SMALL_WORDS
    assert categories["Not closed yet (no category)"] == "10" and categories["Stalking"] == "0"

    assert _cells(rows, "Cases by channel") == {"Web chat": WITHHELD, "SMS": SMALL_WORDS, "Total": "19"}
    # Computed from office hours: the Saturday night texts and the bank holiday are out of hours.
    assert _cells(rows, "Cases opened in and out of office hours") == {
        "In office hours": WITHHELD, "Out of office hours": SMALL_WORDS, "Total": "19"}

    medians = {row[0]: row[1:] for row in rows if row and row[0].startswith("Median time")}
    assert medians["Median time from a case being opened to the first message from an officer"] == [
        "25", "25 minutes"]
    assert medians["Median time from a case being opened to its closure"] == ["1440", "1 day"]


def test_one_month_with_few_cases_shows_no_medians_and_no_exact_counts(client, settings, lead_with_the_cases):
    rows = _csv(client.get("/console/stats.csv", params={"from": "2026-03", "to": "2026-03"}))
    assert ["Cases opened", SMALL_WORDS] in rows
    assert _cells(rows, "Cases by channel") == {"Web chat": "0", "SMS": SMALL_WORDS, "Total": SMALL_WORDS}
    assert [row[1] for row in rows if row and row[0].startswith("Median time")] == ["not shown", "not shown"]


def test_the_page_draws_the_charts_and_links_the_same_months_csv(client, settings, lead_with_the_cases):
    page = client.get("/console/stats", params=YEAR)
    assert page.status_code == 200
    html = page.text
    assert "January 2026 to December 2026" in html and '<strong id="total">19</strong>' in html
    assert 'href="/console/stats.csv?from=2026-01&amp;to=2026-12"' in html
    assert "&lt;5" in html and "withheld" in html and "25 minutes" in html
    assert '<svg class="columns"' in html and '<svg class="stat-bar"' in html
    assert "<script" not in html.split("</head>")[1] and "style=" not in html  # the CSP allows neither
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    references = _references(settings)
    for reference in references:
        assert reference not in html


def test_by_default_the_last_twelve_full_months(client, settings):
    _seed(settings)
    with time_machine.travel(datetime(2026, 11, 22, 9, 0, tzinfo=LONDON), tick=True):
        _the_lead_signs_in(client, settings)
        page = client.get("/console/stats")
        rows = _csv(client.get("/console/stats.csv"))
    assert "November 2025 to October 2026" in page.text
    assert 'value="2025-11"' in page.text and 'value="2026-10"' in page.text
    assert ["Cases opened", "20"] in rows  # December 2025 is in


def test_only_the_lead_and_admins_see_statistics(client, settings):
    officer = _sign_in(client, settings, "sam@example.ac.uk", Role.welfare_officer)
    officer._use()
    refused = client.get("/console/stats", params=YEAR)
    assert refused.status_code == 403 and "safeguarding lead and administrators" in refused.text
    assert "Download CSV" not in refused.text
    assert client.get("/console/stats.csv", params=YEAR).status_code == 403
    assert 'href="/console/stats"' not in client.get("/console").text
    refusals = run_db(settings, _audit_rows)
    assert ("forbidden", "/console/stats") in refusals and ("forbidden", "/console/stats.csv") in refusals

    admin = _sign_in(client, settings, "admin@example.ac.uk", Role.admin)
    admin._use()
    assert client.get("/console/stats", params=YEAR).status_code == 200
    assert 'href="/console/stats">Statistics</a>' in client.get("/console").text

    client.cookies.clear()
    for path in ("/console/stats", "/console/stats.csv"):
        anonymous = client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/console"
        assert "Sign in" in client.get(path).text


def test_bad_months_get_a_clear_message_and_keep_what_was_typed(client, settings):
    _the_lead_signs_in(client, settings)
    page = client.get("/console/stats", params={"from": "2026-13", "to": "2026-12"})
    assert page.status_code == 400
    assert "The first month should be between 01 and 12." in page.text
    assert 'value="2026-13"' in page.text and 'value="2026-12"' in page.text and "Download CSV" not in page.text
    backwards = client.get("/console/stats.csv", params={"from": "2026-12", "to": "2026-01"})
    assert backwards.status_code == 400 and backwards.text == "The first month should not be after the last month."
    nonsense = client.get("/console/stats.csv", params={"from": "=cmd|' /C calc'!A0"})
    assert nonsense.status_code == 400 and "like 2026-01" in nonsense.text
    too_long = client.get("/console/stats", params={"from": "x" * 500})
    assert too_long.status_code == 400 and "x" * 21 not in too_long.text


def test_a_stored_category_outside_the_list_cannot_reach_the_spreadsheet(client, settings):
    async def go(db):
        with time_machine.travel(JANUARY_TUESDAY, tick=False):
            conversation, _ = await conversations.create(db_session=db, channel=Channel.webchat,
                                                         institution_id="example")
            case, _ = await cases.create_for_request(db_session=db, conversation=conversation, request_id="x",
                                                     goal=Goal.talk, share_transcript=False, anonymous=True,
                                                     out_of_hours=False)
            await cases.close(db_session=db, case=case, officer_id=0, outcome="support_given",
                              category='=HYPERLINK("http://x")')

    run_db(settings, go)
    _the_lead_signs_in(client, settings)
    rows = _csv(client.get("/console/stats.csv", params=YEAR))
    assert "HYPERLINK" not in str(rows)
    assert _cells(rows, "Cases by category")["Other"] == SMALL_WORDS
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in itertools.chain.from_iterable(rows))


def test_viewing_statistics_logs_nothing_about_people_or_cases(client, settings, lead_with_the_cases, caplog):
    with caplog.at_level(logging.DEBUG):
        client.get("/console/stats", params=YEAR)
        client.get("/console/stats.csv", params=YEAR)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "statistics viewed" in logged and "statistics downloaded" in logged
    references = _references(settings)
    for secret in ["lead@example.ac.uk", "Lead", *references]:
        assert secret not in logged

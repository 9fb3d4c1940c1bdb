"""Anonymised statistics for the annual report: pure functions, no database and no I/O.

Counts from 1 to 4 are shown as "<5" (0 stays 0). So that a total cannot give a small count back, a table with
any "<5" cell also has its next-smallest cells withheld until the hidden cells together could be anything from
1 to 4 each; a table that cannot be protected that way is withheld whole. Medians from fewer than 5 cases are
not shown. Nothing here is per case: no references, no free text, no officer names (docs/statistics.md).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handoff.cases.enums import CATEGORIES
from handoff.conversations.enums import CHANNEL_NAMES

SMALL = 5  # counts below this (but above 0) are shown as "<5"; medians need at least this many cases
SMALL_WORDS = "<5"
WITHHELD = "withheld"
LONGEST_RANGE_MONTHS = 60
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CHANNEL_WORDS = CHANNEL_NAMES
NOT_CLOSED = "not_closed"


class BadRange(ValueError):
    """The months asked for cannot make a report; the message says why, in plain words."""


@dataclass(frozen=True)
class CaseFacts:
    """What the report reads of one case: times, channel and category. Never text, references or names."""

    opened_at: datetime
    channel: str
    category: str | None
    first_response_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    shown: str          # "0", "<5", "withheld" or the count
    value: int | None   # the count when shown exactly, for the chart; None when hidden


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    cells: tuple[Cell, ...]
    total: str
    withheld: bool = False  # the whole table is hidden: its numbers are too small to protect

    @property
    def largest(self) -> int:
        return max((cell.value or 0 for cell in self.cells), default=0)


@dataclass(frozen=True)
class Median:
    key: str
    title: str
    minutes: int | None  # None when fewer than 5 cases have the time
    enough_cases: bool

    @property
    def words(self) -> str:
        return duration_words(self.minutes) if self.minutes is not None else "Not shown (fewer than 5 cases)"


@dataclass(frozen=True)
class Report:
    start: date  # the first day of the first month
    end: date    # the first day of the last month (inclusive)
    total: str
    tables: tuple[Table, ...]
    medians: tuple[Median, ...]

    @property
    def range_words(self) -> str:
        return f"{month_words(self.start)} to {month_words(self.end)}"


# ---- months ------------------------------------------------------------------------------------------------


def month_words(month: date) -> str:
    """'January 2026'."""
    return month.strftime("%B %Y")


def month_code(month: date) -> str:
    """'2026-01', as the month picker and the CSV link use it."""
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """Every month from start to end, both included."""
    return [add_months(start, i) for i in range((end.year - start.year) * 12 + end.month - start.month + 1)]


def default_range(today: date) -> tuple[date, date]:
    """The last 12 full months before the month of ``today``."""
    end = add_months(date(today.year, today.month, 1), -1)
    return add_months(end, -11), end


def parse_month(text: str, which: str) -> date:
    match = MONTH_PATTERN.fullmatch(text.strip())
    if match is None:
        raise BadRange(f"The {which} month should look like 2026-01 (year, then month).")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise BadRange(f"The {which} month should be between 01 and 12.")
    if not 2000 <= year <= 2100:
        raise BadRange(f"The {which} month should be a year between 2000 and 2100.")
    return date(year, month, 1)


def parse_range(start_text: str | None, end_text: str | None, today: date) -> tuple[date, date]:
    """The months asked for; either left empty means the default (the last 12 full months)."""
    default_start, default_end = default_range(today)
    start = parse_month(start_text, "first") if start_text else default_start
    end = parse_month(end_text, "last") if end_text else default_end
    if start > end:
        raise BadRange("The first month should not be after the last month.")
    if len(months_between(start, end)) > LONGEST_RANGE_MONTHS:
        raise BadRange(f"Choose at most {LONGEST_RANGE_MONTHS} months at a time.")
    return start, end


def range_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of the first month to the start of the month after the last, in the institution's zone."""
    after = add_months(end, 1)
    return (datetime(start.year, start.month, 1, tzinfo=zone), datetime(after.year, after.month, 1, tzinfo=zone))


# ---- protecting small numbers ----------------------------------------------------------------------------


def _protected(hidden_small: Sequence[int], withheld: Sequence[int]) -> bool:
    """Whether each "<5" cell could still be anything from 1 to 4, knowing the total of the hidden cells.

    Withheld cells are known to be 5 or more, so a "<5" cell is at most the hidden total less 1 for each other
    "<5" cell and 5 for each withheld one; that must leave room for 4. Without a withheld cell the "<5" cells
    can be pinned from below (two cells adding up to 8 are both 4), so at least one is needed.
    """
    if not withheld:
        return False
    hidden_total = sum(hidden_small) + sum(withheld)
    return hidden_total - (len(hidden_small) - 1) - SMALL * len(withheld) >= SMALL - 1


def protect(key: str, title: str, rows: Sequence[tuple[str, str, int]]) -> Table:
    """A table of (key, label, count) rows with small counts hidden and the total unable to give them back."""
    total = sum(count for _, _, count in rows)
    small = [i for i, (_, _, count) in enumerate(rows) if 0 < count < SMALL]
    withheld: list[int] = []
    whole_table_withheld = False
    if small and total >= SMALL:
        others = sorted((count, i) for i, (_, _, count) in enumerate(rows) if count >= SMALL)
        while not _protected([rows[i][2] for i in small], [rows[i][2] for i in withheld]):
            if not others:
                whole_table_withheld = True
                break
            withheld.append(others.pop(0)[1])
    cells = []
    for i, (cell_key, label, count) in enumerate(rows):
        if whole_table_withheld:
            shown, value = WITHHELD, None
        elif i in small:
            shown, value = SMALL_WORDS, None
        elif i in withheld:
            shown, value = WITHHELD, None
        else:
            shown, value = str(count), count
        cells.append(Cell(cell_key, label, shown, value))
    return Table(key, title, tuple(cells), shown_count(total), whole_table_withheld)


def shown_count(count: int) -> str:
    return SMALL_WORDS if 0 < count < SMALL else str(count)


def _median_minutes(durations: list[timedelta]) -> int | None:
    if len(durations) < SMALL:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 60)


def duration_words(minutes: int) -> str:
    """'under 1 minute', '45 minutes', '3 hours 5 minutes', '2 days 4 hours'."""
    if minutes < 1:
        return "under 1 minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)

    def unit(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    if days:
        return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")
    if hours:
        return unit(hours, "hour") + (f" {unit(mins, 'minute')}" if mins else "")
    return unit(mins, "minute")


def category_words(category: str) -> str:
    return category.replace("_", " ").capitalize()


# ---- the report ------------------------------------------------------------------------------------------


def build_report(
    facts: Iterable[CaseFacts], *, start: date, end: date, zone: ZoneInfo, in_office_hours: Callable[[datetime], bool]
) -> Report:
    """Cases opened from the start of ``start`` to the end of ``end`` (months, in ``zone``), counted and protected.

    ``in_office_hours`` says whether a moment was in the institution's office hours (institutions.hours).
    """
    begins, ends = range_bounds(start, end, zone)
    cases = [fact for fact in facts if begins <= fact.opened_at < ends]
    months = months_between(start, end)
    by_month = {month: 0 for month in months}
    by_category = {category: 0 for category in (*CATEGORIES, NOT_CLOSED)}
    by_channel = {channel: 0 for channel in CHANNEL_WORDS}
    by_hours = {"in_hours": 0, "out_of_hours": 0}
    first_responses: list[timedelta] = []
    closures: list[timedelta] = []
    for fact in cases:
        local = fact.opened_at.astimezone(zone)
        by_month[date(local.year, local.month, 1)] += 1
        if fact.closed_at is None:
            by_category[NOT_CLOSED] += 1
        else:
            by_category[fact.category if fact.category in CATEGORIES else "other"] += 1
            closures.append(fact.closed_at - fact.opened_at)
        by_channel[fact.channel if fact.channel in by_channel else "webchat"] += 1
        by_hours["in_hours" if in_office_hours(fact.opened_at) else "out_of_hours"] += 1
        if fact.first_response_at is not None:
            first_responses.append(fact.first_response_at - fact.opened_at)
    category_rows = [(c, category_words(c), by_category[c]) for c in CATEGORIES]
    category_rows.append((NOT_CLOSED, "Not closed yet (no category)", by_category[NOT_CLOSED]))
    tables = (
        protect("month", "Cases opened each month", [(month_code(m), month_words(m), n) for m, n in by_month.items()]),
        protect("category", "Cases by category", category_rows),
        protect("channel", "Cases by channel", [(k, CHANNEL_WORDS[k], n) for k, n in by_channel.items()]),
        protect("hours", "Cases opened in and out of office hours", [
            ("in_hours", "In office hours", by_hours["in_hours"]),
            ("out_of_hours", "Out of office hours", by_hours["out_of_hours"]),
        ]),
    )
    first = _median_minutes(first_responses)
    closed = _median_minutes(closures)
    medians = (
        Median("first_response", "Median time from a case being opened to the first message from an officer",
               first, first is not None),
        Median("closure", "Median time from a case being opened to its closure", closed, closed is not None),
    )
    return Report(start, end, shown_count(len(cases)), tables, medians)


# ---- CSV -------------------------------------------------------------------------------------------------


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(report: Report) -> list[list[str]]:
    """The report as rows for a CSV file: the same protected numbers as the page."""
    rows = [
        ["Anonymised statistics", report.range_words],
        ["Note", "Counts from 1 to 4 are shown as <5. 'withheld' hides a larger count so that a small one cannot"
                 " be worked out from the total. Medians need at least 5 cases."],
        ["Cases opened", report.total],
        [],
        ["Table", "Row", "Cases"],
    ]
    for table in report.tables:
        for cell in table.cells:
            rows.append([table.title, cell.label, cell.shown])
        rows.append([table.title, "Total", table.total])
    rows += [[], ["Median", "Minutes", "In words"]]
    for median in report.medians:
        rows.append([median.title, str(median.minutes) if median.minutes is not None else "not shown",
                     median.words])
    return [[spreadsheet_safe(cell) for cell in row] for row in rows]

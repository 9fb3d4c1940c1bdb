"""`python -m signpost.check`: passes on the real file, fails on broken ones, warns on old facts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from signpost_testkit import weekday_line

from signpost.check import check_directory, main


def test_real_directory_passes_the_check() -> None:
    report = check_directory(today=date(2026, 11, 22))
    assert report.ok, "\n".join(report.lines())
    assert report.verified > 0 and report.unverified > 0
    assert not report.stale
    assert report.lines()[-1].startswith("OK ")


def test_old_entries_are_a_warning_with_the_list(capsys) -> None:
    report = check_directory(today=date(2027, 8, 1), max_age_days=180)
    assert report.ok
    assert {s.service_id for s in report.stale} >= {"samaritans", "childline"}
    lines = report.lines(180)
    assert lines[0].startswith("WARNING ") and "180 days" in lines[0]
    assert any("samaritans: entry (verified 2026-11-22)" in line for line in lines)
    assert main(["--today", "2027-08-01"]) == 0
    assert "WARNING" in capsys.readouterr().out


def test_broken_file_fails_with_entry_and_field(tmp_path: Path, capsys) -> None:
    first = weekday_line("dup", "england", "0800 000 0001")
    second = weekday_line("dup", "england", "0808 12")
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump({"services": [first, second]}))
    report = check_directory(path)
    assert not report.ok
    messages = [str(issue) for issue in report.errors]
    assert "services[1] (dup): id: duplicate of services[0]" in messages
    assert any(m.startswith("services[1] (dup): contacts[0].value: '0808 12'") for m in messages)
    assert main([str(path)]) == 1
    assert "ERROR services[1] (dup)" in capsys.readouterr().err


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    report = check_directory(tmp_path / "nope.yml")
    assert not report.ok

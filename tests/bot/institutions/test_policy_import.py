"""Importing an institution's own policy: every numbered section found, whatever the file, and a clear error
for a file that cannot be read (nothing written then)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from assistant_testkit import ROOT

from institutions.policy_doc import PolicyImportError, import_policy, parse_markdown

SECTIONS = [
    ("1", "Purpose", "This policy explains how students can raise concerns about harassment."),
    ("2", "Scope", "It covers students and staff, on and off site, and online."),
    ("7", "Making a complaint", "A formal complaint goes to the Registrar in writing."),
    ("7.3", "Time limits", "Complaints are normally made within 12 weeks of the behaviour stopping."),
    ("10.1", "Appeals", "You can appeal to the Vice-Chancellor within 10 days of the decision."),
]


def _numbers(document) -> list[str]:
    return [s.number for s in document.sections]


def test_markdown_with_numbered_and_unnumbered_headings(tmp_path: Path) -> None:
    path = tmp_path / "policy.md"
    path.write_text("# Our policy\n\n## Scope\n\nWho it covers.\n\n## 7 Reporting\n\nHow.\n\n### 7.3 Time limits\n\n"
                    "Twelve weeks.\nStill the same paragraph.\n", encoding="utf-8")
    document = import_policy(path)
    assert document.title == "Our policy"
    assert _numbers(document) == ["Scope", "7", "7.3"]
    assert document.find("7.3").text == "Twelve weeks. Still the same paragraph."
    assert document.find("scope").label == "Scope" and document.find("7.3").label == "7.3 Time limits"


def test_a_lettered_part_of_a_section_is_numbered_as_the_policy_numbers_it(tmp_path: Path) -> None:
    path = tmp_path / "policy.md"
    path.write_text("# Our policy\n\n## 5 Reporting\n\n### 5.1 Ways to report\n\nThree ways.\n\n"
                    "#### 5.1(a) Telling someone you trust\n\nAny member of staff.\n", encoding="utf-8")
    document = import_policy(path)
    assert _numbers(document) == ["5", "5.1", "5.1(a)"]
    assert document.find("5.1(a)").title == "Telling someone you trust"
    assert [s.level for s in document.sections] == [1, 2, 3]


def test_a_pdf_made_for_the_test_imports_with_every_numbered_section(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for number, title, text in SECTIONS:
        pdf.multi_cell(0, 6, f"{number} {title}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "policy.pdf"
    pdf.output(str(path))
    document = import_policy(path)
    assert _numbers(document) == [n for n, _, _ in SECTIONS]
    assert "12 weeks" in document.find("7.3").text and document.find("10.1").title == "Appeals"


def test_a_word_document_with_heading_styles_or_only_numbers(tmp_path: Path) -> None:
    from docx import Document

    styled, plain = Document(), Document()
    styled.add_heading("Harassment policy", 0)
    for number, title, text in SECTIONS:
        styled.add_heading(f"{number} {title}", 1 + number.count("."))
        styled.add_paragraph(text)
        plain.add_paragraph(f"{number} {title}")
        plain.add_paragraph(text)
    for name, doc in (("styled.docx", styled), ("plain.docx", plain)):
        doc.save(str(tmp_path / name))
        document = import_policy(tmp_path / name)
        assert _numbers(document) == [n for n, _, _ in SECTIONS], name
        assert "Vice-Chancellor" in document.find("10.1").text
    assert import_policy(tmp_path / "styled.docx").title == "Harassment policy"


def test_html_headings_become_sections_and_scripts_are_dropped(tmp_path: Path) -> None:
    body = "".join(f"<h{2 + n.count('.')}>{n} {t}</h{2 + n.count('.')}><p>{x}</p>" for n, t, x in SECTIONS)
    path = tmp_path / "policy.html"
    path.write_text(f"<html><head><script>alert('x')</script></head><body><h1>Policy</h1>{body}"
                    "<footer>cookies</footer></body></html>", encoding="utf-8")
    document = import_policy(path)
    assert _numbers(document) == [n for n, _, _ in SECTIONS]
    assert "alert" not in document.to_markdown() and "cookies" not in document.to_markdown()


def test_a_file_with_no_headings_is_kept_whole_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("We take every concern seriously.\nTalk to your tutor or the welfare team.\n", encoding="utf-8")
    document = import_policy(path)
    assert len(document.sections) == 1 and "welfare team" in document.sections[0].text
    assert any("no headings found" in w for w in document.warnings)


@pytest.mark.parametrize("name", ["broken.pdf", "broken.docx"])
def test_a_corrupt_file_gets_a_clear_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"this is not what it says it is" * 10)
    with pytest.raises(PolicyImportError, match=re.escape(f"{name} could not be read as a")):
        import_policy(path)


def test_unknown_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "policy.odt").write_bytes(b"x")
    with pytest.raises(PolicyImportError, match=re.escape("only .pdf, .docx, .html, .md and .txt")):
        import_policy(tmp_path / "policy.odt")
    with pytest.raises(PolicyImportError, match="does not exist"):
        import_policy(tmp_path / "nowhere.pdf")


def test_the_command_writes_the_policy_and_reports_what_it_found(tmp_path: Path) -> None:
    source = tmp_path / "ours.md"
    source.write_text("# Ours\n\n## 1 Purpose\n\nWhy.\n\n## 2 Scope\n\n## 3 Appeals\n\nHow.\n", encoding="utf-8")
    run = [sys.executable, "-m", "institutions", "import-policy", str(source), "--id", "our-college",
           "--dir", str(tmp_path)]
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "3 sections (3 numbered)" in done.stdout and "1 heading(s) with no text under them: 2 Scope" in done.stdout
    written = parse_markdown((tmp_path / "our-college" / "policy.md").read_text(encoding="utf-8"))
    assert [s.number for s in written.sections] == ["1", "2", "3"]
    assert "asks.yml" not in done.stdout

    # A new version of the policy that renumbers a section the ways people ask for still name is pointed out.
    (tmp_path / "our-college" / "asks.yml").write_text('"3 Appeals":\n  - "can i challenge it"\n', encoding="utf-8")
    source.write_text("# Ours\n\n## 1 Purpose\n\nWhy.\n\n## 4 Appeals\n\nHow.\n", encoding="utf-8")
    renumbered = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
    assert renumbered.returncode == 0 and "check asks.yml:" in renumbered.stdout
    assert "'3 Appeals' is not a heading of the policy" in renumbered.stdout

    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 nothing else")
    failed = subprocess.run([*run[:4], str(tmp_path / "bad.pdf"), *run[5:]], cwd=ROOT, capture_output=True,
                            text=True)
    assert failed.returncode == 1 and "Could not import: bad.pdf could not be read as a PDF" in failed.stderr

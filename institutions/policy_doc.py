"""An institution's policy document, split into its own numbered sections.

The document lives at ``data/institutions/<id>/policy.md``: Markdown whose headings carry the policy's own
numbers ("### 7.3 Time limits") or, for a policy without numbers, its own headings ("## Scope"). The number
(or the heading) is what students are told to look up, the same value profiles use as ``cite``.

``import_policy`` reads the institution's own file (PDF, DOCX, HTML, Markdown or plain text), splits it by its
numbering and headings, and reports what it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

# "7", "7.3", "7.3.1." and a lettered part of one: "5.1(a)".
NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3}(?:\([a-z]\))?)\.?\s+(\S.{0,120})$")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
MAX_BYTES = 10 * 1024 * 1024  # a policy is a few hundred kilobytes; anything far larger is not one


class PolicyImportError(ValueError):
    """The file cannot be read as a policy: says which file, as what, and why."""


@dataclass(frozen=True)
class Section:
    number: str  # "7.3", or the heading itself when the policy has no numbers ("Scope")
    title: str
    text: str
    level: int = 1

    @property
    def label(self) -> str:
        """'7.3 Time limits', or 'Scope' for an unnumbered heading."""
        return self.title if self.number == self.title else f"{self.number} {self.title}"


@dataclass
class PolicyDocument:
    title: str
    sections: list[Section]
    warnings: list[str] = field(default_factory=list)

    def find(self, number: str) -> Section | None:
        wanted = number.strip().lower()
        return next((s for s in self.sections if s.number.lower() == wanted), None)

    def to_markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for section in self.sections:
            hashes = "#" * min(6, section.level + 1)
            heading = section.title if section.number == section.title else f"{section.number} {section.title}"
            out += [f"{hashes} {heading}", "", section.text.strip(), ""] if section.text.strip() else \
                [f"{hashes} {heading}", ""]
        return "\n".join(out).rstrip() + "\n"


def parent_number(number: str) -> str:
    """The number of the section a numbered one sits in ("7.3" for "7.3.1" and for "7.3(a)"), or ""."""
    if number.endswith(")") and "(" in number:
        return number[: number.index("(")]
    return number.rsplit(".", 1)[0] if "." in number else ""


def depth(number: str) -> int:
    """How deep a section number sits: 1 for "7", 2 for "7.3", 3 for "7.3.1" and for "7.3(a)"."""
    return number.count(".") + 1 + number.endswith(")")


def _heading(raw: str, level: int) -> tuple[str, str, int]:
    """(number, title, level) of a heading line's text: numbered ("7.3 Time limits") or not ("Scope")."""
    match = NUMBERED.match(raw.strip())
    if match:
        number, title = match.group(1), match.group(2).strip()
        return number, title, depth(number)
    text = raw.strip()
    return text, text, level


def parse_markdown(text: str) -> PolicyDocument:
    """Sections of a Markdown policy: each heading (below the title) starts one."""
    title = ""
    sections: list[Section] = []
    current: tuple[str, str, int] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            sections.append(Section(current[0], current[1], _tidy(body), current[2]))

    for line in text.splitlines():
        match = MD_HEADING.match(line)
        if match and len(match.group(1)) == 1 and not title and not sections and current is None:
            title = match.group(2).strip()
            continue
        if match:
            close()
            current, body = _heading(match.group(2), len(match.group(1)) - 1), []
            continue
        body.append(line)
    close()
    warnings = [] if sections else ["no headings found: the whole text is kept as one section"]
    if not sections:
        sections = [Section("1", title or "Policy", _tidy(text.splitlines()))]
    return PolicyDocument(title or "Policy", sections, warnings)


def parse_plain(lines: list[str], title: str = "") -> PolicyDocument:
    """Sections of plain text (from a PDF, a text file): a short line that starts with a number is a heading."""
    markdown = [f"# {title}"] if title else []
    for line in lines:
        stripped = line.strip()
        match = NUMBERED.match(stripped)
        # A heading: a number then a short title that does not read as a sentence ("7.3 Time limits").
        if match and len(stripped) <= 90 and not stripped.endswith((".", ",", ";", ":")):
            markdown.append(f"{'#' * min(6, depth(match.group(1)) + 1)} {stripped}")
        else:
            markdown.append(stripped)
    return parse_markdown("\n".join(markdown))


def _tidy(lines: list[str]) -> str:
    """Paragraphs joined back together: a blank line ends one."""
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


class _HTMLText(HTMLParser):
    """Headings become Markdown headings; paragraphs and list items become lines; scripts are dropped."""

    BLOCKS = frozenset({"p", "li", "div", "br", "tr", "td", "section", "article"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._heading = 0
        self._skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.lines.append(f"{'#' * self._heading} {text}" if self._heading else text)
            self.lines.append("")
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "nav", "footer"):
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = int(tag[1])
        elif tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "nav", "footer"):
            self._skip = max(0, self._skip - 1)
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = 0
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._current.append(data)


def _from_html(raw: bytes) -> PolicyDocument:
    parser = _HTMLText()
    parser.feed(raw.decode("utf-8", errors="replace"))
    parser.close()
    parser._flush()
    if not any(line.startswith("#") for line in parser.lines):  # no heading tags: look for numbered lines
        return parse_plain(parser.lines)
    return parse_markdown("\n".join(parser.lines))


def _from_pdf(path: Path) -> PolicyDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PolicyImportError(f"{path.name} could not be read as a PDF ({exc.__class__.__name__}: {exc})") from None
    document = parse_plain("\n".join(pages).splitlines())
    empty = [str(i + 1) for i, page in enumerate(pages) if not page.strip()]
    if empty:
        document.warnings.append(f"no text on page(s) {', '.join(empty)} (scanned images cannot be read)")
    return document


def _from_docx(path: Path) -> PolicyDocument:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise PolicyImportError(f"{path.name} could not be read as a Word document "
                                f"({exc.__class__.__name__}: {exc})") from None
    lines: list[str] = []
    for paragraph in doc.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        text = paragraph.text.strip()
        level = re.fullmatch(r"Heading (\d)", style)
        if text and (level or style == "Title"):
            lines += [f"{'#' * (int(level.group(1)) + 1 if level else 1)} {text}", ""]
        else:
            lines += [text, ""] if text else [""]
    if not any(line.startswith("#") for line in lines):  # no heading styles: look for numbered lines
        return parse_plain(lines)
    return parse_markdown("\n".join(lines))


def import_policy(path: Path) -> PolicyDocument:
    """Read a policy file (PDF, DOCX, HTML, Markdown or text) and split it into its sections."""
    if not path.is_file():
        raise PolicyImportError(f"{path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise PolicyImportError(f"{path.name} is larger than {MAX_BYTES // 1024 // 1024} MB: is it a policy?")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        document = _from_pdf(path)
    elif suffix == ".docx":
        document = _from_docx(path)
    elif suffix in (".html", ".htm"):
        document = _from_html(path.read_bytes())
    elif suffix in (".md", ".markdown"):
        document = parse_markdown(path.read_text(encoding="utf-8", errors="replace"))
    elif suffix == ".txt":
        document = parse_plain(path.read_text(encoding="utf-8", errors="replace").splitlines())
    else:
        raise PolicyImportError(f"{path.name}: only .pdf, .docx, .html, .md and .txt files can be imported")
    blank = [s.label for s in document.sections if not s.text.strip()]
    if blank and len(blank) < len(document.sections):
        document.warnings.append(f"{len(blank)} heading(s) with no text under them: {', '.join(blank[:8])}")
    return document


def load_policy(directory: Path, institution_id: str) -> PolicyDocument | None:
    """The profile's policy document (``<directory>/<id>/policy.md``), or None when it has none."""
    path = directory / institution_id / "policy.md"
    if not path.is_file():
        return None
    return parse_markdown(path.read_text(encoding="utf-8"))

"""An automated accessibility audit: axe-core (the copy shipped with axe-playwright-python) run in the page.

Only serious and critical violations fail a test; the report names each rule, its help page and the elements.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Frame, Page

# WCAG 2.0, 2.1 and 2.2, levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING = {"serious", "critical"}


def audit(where: Page | Frame) -> list[dict[str, Any]]:
    """Run axe-core on the page (or one frame) as it is now; returns the serious and critical violations."""
    if not where.evaluate("() => typeof window.axe !== 'undefined'"):
        where.evaluate(AXE_SCRIPT)
    results = where.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],"
        " iframes: false})",
        TAGS,
    )
    return [violation for violation in results["violations"] if violation.get("impact") in FAILING]


def report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')}")
    return "\n".join(lines)


def assert_accessible(where: Page | Frame, what: str) -> None:
    violations = audit(where)
    assert not violations, f"{what}: serious or critical accessibility violations\n{report(violations)}"

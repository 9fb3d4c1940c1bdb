"""Dependencies point one way: core <- conversations <- officers <- cases <- channels, console, statistics and pages.

Read from the source (every import, including those inside functions), so a hidden import that turns a
direction round fails here, with the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "handoff"
# What people use: built last, from everything below, and imported by the app (handoff.main) alone.
UI = ("handoff.console", "handoff.stats", "handoff.pages", "handoff.services_page", "handoff.sms_simulator")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, where) for every import of handoff inside handoff."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [base]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            found += [(name, t, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}") for t in targets
                      if t == "handoff" or t.startswith("handoff.")]
    return found


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_reader_sees_imports_inside_functions_too() -> None:
    edges = {(a, b) for a, b, _ in imports()}
    assert ("handoff.main", "handoff.console.api") in edges
    assert len(edges) > 200


def test_core_builds_on_nothing_else_in_the_service() -> None:
    wrong = [where for a, b, where in imports() if within(a, "handoff.core") and not within(b, "handoff.core")]
    assert not wrong, f"core must not import the rest of the service: {wrong}"


def test_nothing_imports_the_app() -> None:
    wrong = [where for a, b, where in imports() if within(b, "handoff.main") and a != "handoff.__main__"]
    assert not wrong, f"only the entry point may import handoff.main: {wrong}"


@pytest.mark.parametrize("ui", UI)
def test_pages_and_the_console_are_imported_by_the_app_alone(ui: str) -> None:
    wrong = [where for a, b, where in imports()
             if within(b, ui) and not within(a, ui) and a not in ("handoff.main", "handoff.__main__")]
    assert not wrong, f"{ui} is built on the domain; the domain must not import it: {wrong}"


def test_conversations_build_on_core_alone() -> None:
    """Conversations and their messages know nothing of cases, channels or officers: those build on them."""
    wrong = [where for a, b, where in imports() if within(a, "handoff.conversations")
             and not (within(b, "handoff.conversations") or within(b, "handoff.core"))]
    assert not wrong, f"conversations may import only core: {wrong}"


@pytest.mark.parametrize("domain", ["handoff.core", "handoff.conversations", "handoff.cases", "handoff.officers",
                                    "handoff.records"])
def test_the_domain_never_imports_the_channels(domain: str) -> None:
    """The channels (web chat, the intake every channel uses) are built on the domain, not the other way round."""
    wrong = [where for a, b, where in imports() if within(a, domain) and within(b, "handoff.channels")]
    assert not wrong, f"{domain} must not import handoff.channels: {wrong}"


def test_the_service_s_parts_import_one_another_one_way_only() -> None:
    """No two parts of the service (its packages and top-level modules) import each other, however indirectly: each
    builds only on parts below it (core <- conversations <- officers <- cases <- channels, console, statistics...)."""
    def part(module: str) -> str:
        return ".".join(module.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for a, b, _ in imports():
        if part(a) != part(b):
            graph.setdefault(part(a), set()).add(part(b))
    # A part that can reach itself through others is in a cycle: list every such part with the way round.
    cycles = []
    for start in sorted(graph):
        seen, path = set(), {start: [start]}
        frontier = [start]
        while frontier:
            node = frontier.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    cycles.append(" -> ".join([*path[node], start]))
                    frontier = []
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    path[nxt] = [*path[node], nxt]
                    frontier.append(nxt)
    assert not cycles, "parts of the service import each other: " + "; ".join(cycles)

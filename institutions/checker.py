"""Reads the fields of a profile's mapping and records every problem with its dotted path, so one run of the
validator lists all of them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from institutions.profile import _GSM7

MISSING = object()


class Checker:
    """Reads fields from a mapping and records every problem with its dotted path."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, data: Any, path: str, *, required: bool = True) -> Mapping[str, Any] | None:
        if data is MISSING or data is None:
            if required:
                self.problem(path, "is required (a mapping of fields)")
            return None
        if not isinstance(data, Mapping):
            self.problem(path, f"must be a mapping of fields (got {kind_of(data)})")
            return None
        return data

    def unknown(self, data: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problem(where, f"is not a known field (known fields: {', '.join(allowed)})")

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        max_len: int = 120,
        gsm: bool = True,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        return self.text_value(
            data.get(key, MISSING), where, required=required, max_len=max_len, gsm=gsm,
            pattern=pattern, pattern_hint=pattern_hint,
        )

    def text_value(
        self,
        value: Any,
        where: str,
        *,
        required: bool = True,
        max_len: int = 120,
        gsm: bool = True,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
    ) -> str | None:
        if value is MISSING or value is None:
            if required:
                self.problem(where, "is required")
            return None
        if not isinstance(value, str):
            self.problem(where, f"must be text (got {kind_of(value)})")
            return None
        value = value.strip()
        if not value:
            self.problem(where, "must not be empty")
            return None
        if len(value) > max_len:
            self.problem(where, f"must be at most {max_len} characters (got {len(value)})")
        if gsm:
            bad = sorted({ch for ch in value if ch not in _GSM7})
            if bad:
                shown = " ".join(repr(ch) for ch in bad)
                self.problem(where, f"contains characters that SMS cannot carry ({shown}); use plain letters")
        if pattern is not None and not pattern.match(value):
            self.problem(where, f"must be {pattern_hint} (got {value!r})")
        return value

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, options: tuple[str, ...], *, default: str | None = None
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        value = data.get(key, MISSING)
        if value is MISSING or value is None:
            if default is None:
                self.problem(where, f"is required (one of {', '.join(options)})")
            return default
        if value not in options:
            self.problem(where, f"must be one of {', '.join(options)} (got {value!r})")
            return default
        return value

    def boolean(self, data: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        where = f"{path}.{key}" if path else key
        value = data.get(key, MISSING)
        if value is MISSING or value is None:
            return default
        if not isinstance(value, bool):
            self.problem(where, f"must be true or false (got {value!r})")
            return default
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, path: str, *, minimum: int, maximum: int
    ) -> int | None:
        where = f"{path}.{key}" if path else key
        value = data.get(key, MISSING)
        if value is MISSING or value is None:
            self.problem(where, "is required (a whole number)")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"must be a whole number (got {value!r})")
            return None
        if not minimum <= value <= maximum:
            self.problem(where, f"must be between {minimum} and {maximum} (got {value})")
            return None
        return value


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__

"""A plain progress bar on stderr: counts only, never content."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    """``label [#####-----] done/total unit``, redrawn in place; a final newline on ``close()``."""

    def __init__(self, label: str, total: int, *, unit: str = "rows", stream: TextIO | None = None) -> None:
        self.label, self.total, self.unit = label, max(total, 0), unit
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._drawn_at = 0.0
        self._closed = False
        self._draw()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self._drawn_at >= 0.1 or self.done >= self.total:
            self._draw()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._draw()
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self) -> None:
        self._drawn_at = time.monotonic()
        shown = min(self.done, self.total)
        filled = WIDTH if self.total == 0 else WIDTH * shown // self.total
        bar = "#" * filled + "-" * (WIDTH - filled)
        self._stream.write(f"\r{self.label} [{bar}] {shown}/{self.total} {self.unit}")
        self._stream.flush()


class NoProgress(Progress):
    """The same interface, drawing nothing (the scheduled purge inside the service)."""

    def __init__(self, label: str = "", total: int = 0, **_: object) -> None:
        self.label, self.total, self.unit, self.done = label, total, "rows", 0

    def advance(self, count: int = 1) -> None:
        self.done += count

    def close(self) -> None:
        pass

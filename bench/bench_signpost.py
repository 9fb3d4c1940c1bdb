"""Time signpost() and the formatters over every need, nation and channel (run: python bench/bench_signpost.py)."""

from __future__ import annotations

import itertools
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from signpost import NEEDS, format_sms, format_web, load_directory, signpost

NATIONS = ("england", "wales", "scotland", "northern_ireland", None)
MOMENTS = [
    datetime(2026, 11, 22, 2, tzinfo=ZoneInfo("Europe/London")),
    datetime(2026, 11, 25, 14, tzinfo=ZoneInfo("Europe/London")),
]


def main(rounds: int = 5) -> None:
    """Print the median and worst time per call, in milliseconds."""
    directory = load_directory()
    cases = list(itertools.product(NEEDS, NATIONS, ("web", "sms"), MOMENTS))
    timings = []
    for _ in range(rounds):
        for need, nation, channel, moment in cases:
            start = time.perf_counter()
            result = signpost([need], nation, channel, now=moment, directory=directory)
            format_web(result) if channel == "web" else format_sms(result)
            timings.append((time.perf_counter() - start) * 1000)
    print(f"{len(timings)} calls: median {statistics.median(timings):.3f} ms, worst {max(timings):.3f} ms")


if __name__ == "__main__":
    main()

"""Time look-up in the institution's own policy: building each profile's index, then questions over and over.

Run from the repository root with the bot environment: `.venv-bot/bin/python bench/bench_lookup.py [--runs 5000]`.
Target: a look-up under 5 ms at the 95th percentile. Printed twice: with what the question means (the sentence
encoder of institutions/meaning.py, as the assistant runs) and by words alone (as without the model).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from institutions.loader import available_ids  # noqa: E402
from institutions.lookup import policy_index  # noqa: E402
from institutions.meaning import encoder  # noqa: E402

QUESTIONS = [
    "what does the policy say about appeals", "cn i challenge the outcome", "is there a time limit for reporting",
    "will he see my statement", "what happens if the police drop it", "can i report anonymously",
    "show me the part about interim measures", "how long do you keep my records", "who can come to a meeting",
    "what does the guidance say about banning a parent", "x " * 400,  # a long odd message
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5_000)
    args = parser.parse_args()
    folder = ROOT / "data" / "institutions"
    ids = available_ids(folder)
    started = time.perf_counter()
    if encoder() is None:
        print("the sentence encoder is not installed (make setup): look-up by words alone")
    print(f"sentence encoder loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
    for with_meaning in (True, False):
        for ident in ids:
            started = time.perf_counter()
            index = policy_index(folder, ident, with_meaning)
            built = (time.perf_counter() - started) * 1000
            sections = len(index.sections) if index else 0
            print(f"{ident:26} {sections:4} sections, index built in {built:6.1f} ms")
        rng = random.Random(1)
        times = []
        for _ in range(args.runs):
            index = policy_index(folder, rng.choice(ids), with_meaning)
            question = rng.choice(QUESTIONS)
            started = time.perf_counter()
            index.answer(question)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95, p99 = times[int(0.95 * len(times))], times[int(0.99 * len(times))]
        print(f"{args.runs} look-ups {'with meaning' if with_meaning else 'by words alone'}: median "
              f"{statistics.median(times):.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms (target p95 < 5 ms)")


if __name__ == "__main__":
    main()

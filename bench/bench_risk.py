"""Time the risk classifier: load once, then classify the labelled set over and over.

Run from the repository root: `python bench/bench_risk.py [--runs 20000]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from safety.evaluate import DEFAULT_SET, load_examples


def main() -> None:
    """Print load time, and median and p99 time per message."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20_000, help="classifications to time")
    args = parser.parse_args()

    started = time.perf_counter()
    import spacy

    imported = time.perf_counter()
    from safety.risk import RiskClassifier

    classifier = RiskClassifier.load()
    loaded = time.perf_counter()

    texts = [example.text for example in load_examples(DEFAULT_SET)]
    for text in texts:  # warm-up: first calls fill spaCy's string store
        classifier.classify(text)
    timings = []
    for i in range(args.runs):
        text = texts[i % len(texts)]
        t0 = time.perf_counter_ns()
        classifier.classify(text)
        timings.append(time.perf_counter_ns() - t0)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"python {sys.version.split()[0]}, spaCy {spacy.__version__}")
    print(f"import spaCy: {(imported - started) * 1000:.0f} ms; build classifier: {(loaded - imported) * 1000:.0f} ms")
    print(f"{args.runs} classifications over {len(texts)} messages:")
    print(f"  median {statistics.median(timings) / 1000:.1f} us, p99 {p99 / 1000:.1f} us")


if __name__ == "__main__":
    main()

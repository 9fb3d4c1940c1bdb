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
    parser.add_argument("--adversarial", type=int, default=1_000, help="adversarial messages to time")
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
    adversarial(classifier, args.adversarial)


def adversarial(classifier, count: int) -> None:
    """2,000-character messages made only of the words the patterns look for: the check's worst case."""
    import random

    rng = random.Random(7)
    vocabulary = sorted(classifier._matcher._by_word) + "not if what should i do my friend last night . ,".split()
    crisis = ["i want to kill myself", "he is outside my door", "i was raped last night", "i am in year 10"]
    texts = []
    for n in range(count):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < 2000:
            words.append(rng.choice(crisis) if n % 4 == 0 and rng.random() < 0.1 else rng.choice(vocabulary))
        texts.append(" ".join(words)[:2000])
    for text in texts[:20]:
        classifier.classify(text)
    wall, cpu = [], []
    for text in texts:
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        classifier.classify(text)
        cpu.append(time.thread_time_ns() - c0)
        wall.append(time.perf_counter_ns() - t0)
    print(f"{count} adversarial 2,000-character messages (trigger words only; target: p99 <= 5 ms):")
    for name, timings in (("elapsed", wall), ("CPU (what the check itself costs on a busy machine)", cpu)):
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"  {name}: median {statistics.median(timings) / 1e6:.2f} ms, p99 {p99 / 1e6:.2f} ms, "
              f"max {timings[-1] / 1e6:.2f} ms")


if __name__ == "__main__":
    main()

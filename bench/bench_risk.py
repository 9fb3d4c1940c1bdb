"""Time the safety check: load once, then check the labelled set over and over.

First the rules alone, then the whole check (rules, typo repair and the trained model, as the service runs
it), on ordinary messages and on 2,000-character adversarial ones, and the memory the model adds.
Run from the repository root: `python bench/bench_risk.py [--runs 20000]` (after `python -m safety.train`).
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
    texts_long = adversarial_texts(classifier, args.adversarial)
    adversarial(classifier.classify, texts_long, "rules alone")
    whole_check(classifier, texts, texts_long, args.runs)
    check_in_replies(texts, texts_long)


def rss_mb() -> float:
    """This process's resident memory in MB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def whole_check(classifier, texts: list[str], texts_long: list[str], runs: int) -> None:
    """The verdict as the service computes it: rules, typo repair and the model."""
    from safety.model import ModelMissing, RiskModel
    from safety.verdict import SafetyCheck

    before = rss_mb()
    started = time.perf_counter()
    try:
        model = RiskModel.load()
    except ModelMissing as exc:
        print(f"whole check: skipped ({exc})")
        return
    check = SafetyCheck(classifier, model)
    for text in texts:
        check.assess(text)
    loaded = time.perf_counter()
    print(f"whole check (rules + typo repair + model): model loaded in {(loaded - started) * 1000:.0f} ms, "
          f"memory it adds {rss_mb() - before:.1f} MB (target < 100 MB)")
    wall, cpu = [], []
    for i in range(runs):
        text = texts[i % len(texts)]
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        check.assess(text)
        cpu.append(time.thread_time_ns() - c0)
        wall.append(time.perf_counter_ns() - t0)
    print(f"  {runs} verdicts over {len(texts)} messages (target: p99 < 5 ms):")
    for kind, timings in (("elapsed", wall), ("CPU", cpu)):
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"    {kind}: median {statistics.median(timings) / 1000:.1f} us, p99 {p99 / 1000:.1f} us")
    adversarial(check.assess, texts_long, "whole check")
    adversarial(check.assess, near_miss_texts(len(texts_long)), "whole check, every word a new near miss")


def near_miss_texts(count: int) -> list[str]:
    """2,000 characters of never-seen words one letter from the words typo repair looks for (no cache helps)."""
    import random

    rng = random.Random(11)
    targets = ["suicide", "overdose", "killing", "stalking", "threatening", "paracetamol", "bleeding", "scared"]
    texts = []
    for _ in range(count):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < 2000:
            word = list(rng.choice(targets))
            word[rng.randrange(1, len(word))] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            words.append("".join(word) + rng.choice("qxz"))
        texts.append(" ".join(words)[:2000])
    return texts


def adversarial_texts(classifier, count: int) -> list[str]:
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
    return texts


def adversarial(check, texts: list[str], name: str) -> None:
    """Time one check over the adversarial messages: elapsed and CPU time."""
    for text in texts[:20]:
        check(text)
    wall, cpu = [], []
    for text in texts:
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        check(text)
        cpu.append(time.thread_time_ns() - c0)
        wall.append(time.perf_counter_ns() - t0)
    print(f"{name}: {len(texts)} adversarial 2,000-character messages (trigger words only; target: p99 <= 5 ms):")
    for kind, timings in (("elapsed", wall), ("CPU (what the check itself costs on a busy machine)", cpu)):
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"  {kind}: median {statistics.median(timings) / 1e6:.2f} ms, p99 {p99 / 1e6:.2f} ms, "
              f"max {timings[-1] / 1e6:.2f} ms")


def check_in_replies(texts: list[str], texts_long: list[str]) -> None:
    """The reply model (safety/replies.py), read on the turn that answers a check-in, beside the check."""
    from safety import replies

    before = rss_mb()
    model = replies.get_reply_model()
    if model is None:
        print("check-in reply model: skipped (python -m safety.replies)")
        return
    weights = (model.weights_bytes()) / 2**20
    print(f"check-in reply model: {weights:.1f} MB of weights, {rss_mb() - before:.1f} MB resident added")
    for name, chosen in (("labelled messages as replies", texts), ("2,000-character replies", texts_long)):
        timings = []
        for text in chosen:
            started = time.perf_counter_ns()
            replies.shows_risk("suicide", text)
            timings.append(time.perf_counter_ns() - started)
        timings.sort()
        p99 = timings[int(0.99 * len(timings))]
        print(f"  {name} ({len(chosen)}): median {statistics.median(timings) / 1000:.0f} us, p99 {p99 / 1000:.0f} us")


if __name__ == "__main__":
    main()

"""How well look-up finds the right section: ``python -m institutions.evaluate``.

The questions (``tests/policy_lookup/questions.yml``) were written by someone who saw neither the section
texts nor the look-up; each carries the section(s) that answer it, chosen afterwards by reading the policy.
``tune`` is what look-up was first tuned on; ``tune_2`` to ``tune_7`` were blind splits until look-up was tuned on them
(``tune_6`` and ``tune_7`` were ``blind_2`` and ``blind_3``: 138 and 143 questions written from the kind of institution
alone, with no policy, section title or earlier question in sight). Only ``welsh`` (36 questions in Welsh to the Welsh
university), ``blind_4`` (154 questions written the same way as tune_6 and tune_7) and ``blind_5`` (169 more, written
the same way) are never used to tune look-up;
``welsh_tune`` (65 more questions in Welsh, with their sections) is tuned on.
Targets: the right section in the top 3 for at least 90% and first for at least 75%.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from institutions.loader import default_directory
from institutions.lookup import MIN_SCORE, PolicyIndex, policy_index

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "policy_lookup" / "questions.yml"
TOP3_TARGET, TOP1_TARGET = 0.90, 0.75
# From tune_3 on, written without even the section titles.
SPLITS = ("tune", "tune_2", "tune_3", "tune_4", "tune_5", "tune_6", "tune_7", "welsh_tune", "welsh", "blind_4",
          "blind_5")


@dataclass(frozen=True)
class Figures:
    split: str
    answerable: int  # questions a section of the policy answers
    top1: float
    top3: float
    answered: float  # of those, the share given a section (above the threshold) rather than the honest no
    unanswerable: int  # questions the policy does not answer
    declined: float  # of those, the share given the honest "I couldn't find that"


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [item for item in items if isinstance(item, dict) and item.get("question") and "expected" in item]


def evaluate(items: list[dict], directory: Path | None = None, min_score: float = MIN_SCORE) -> list[Figures]:
    folder = directory or default_directory()
    out = []
    for split in SPLITS:
        chosen = [item for item in items if item.get("split", "tune") == split]
        if not chosen:
            continue
        top1 = top3 = answered = declined = 0
        answerable = [item for item in chosen if item["expected"]]
        for item in chosen:
            index: PolicyIndex | None = policy_index(folder, item["profile"])
            if index is None:
                continue
            # One reading of the question gives both the three best sections and the answer.
            ranked, given = index.ranked_and_answer(item["question"], 3, 2, min_score)
            if not item["expected"]:
                declined += not given
                continue
            expected = {str(e).lower() for e in item["expected"]}
            found = [m.section.number.lower() for m in ranked]
            top1 += bool(found) and found[0] in expected
            top3 += bool(expected & set(found))
            answered += bool(given)
        n, m = max(1, len(answerable)), len(chosen) - len(answerable)
        out.append(Figures(split, len(answerable), top1 / n, top3 / n, answered / n, m, declined / max(1, m)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m institutions.evaluate")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--split", choices=(*SPLITS, "both"), default="both",
                        help="while tuning, look at the tune split only")
    args = parser.parse_args(argv)
    figures = [f for f in evaluate(load_questions(args.questions)) if args.split in ("both", f.split)]
    for f in figures:
        print(f"{f.split:10} {f.answerable:3} answerable: top-1 {f.top1:.0%}, top-3 {f.top3:.0%}, given a section "
              f"{f.answered:.0%} | {f.unanswerable:2} the policy does not answer: honest no {f.declined:.0%}")
    print(f"targets: top-3 >= {TOP3_TARGET:.0%}, top-1 >= {TOP1_TARGET:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

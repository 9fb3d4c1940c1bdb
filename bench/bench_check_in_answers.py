"""What the whole system does with a student's reply to the check-in, as an SMS user would see it (counts only).

Starts Rasa, the action server and the handoff service on a fresh SQLite database (as the smoke tests do). For each
reply in the given files (YAML: `replies`, each a `question` Q1-Q4, the `text` and its `meaning`), a new phone texts a
message the safety check asks about: Q1 and Q3 are the first question (suicide; "are you safe right now?"), Q2 and Q4
the question asked again, after an answer that showed no risk and the same message once more. Then it texts the reply
and sorts what comes back:
- help: a label's answer (the suicide or danger response, or another label's);
- thanked: the reply to an answer without risk ("Thank you for answering"), or to "I'd rather not say";
- heard: the reply to an answer without risk followed by more with a sign in it ("Thank you for telling me more",
  with the numbers);
- asked: a check-in question again, straight after the student answered one;
- as usual: anything else (the assistant's ordinary answer; the check-in stays flagged for an officer).

Meanings are grouped as an officer would read them: risk (yes to suicide, no to "are you safe", unsure to either),
no risk (no to suicide, yes to "are you safe"), skip, and other (not an answer). No text is printed.
Run from the repository root after `make train`:
`.venv-handoff/bin/python bench/bench_check_in_answers.py tests/safety/check_in_answers/*.yml`
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_replies import openings, text  # noqa: E402
from processes import whole_system  # noqa: E402

from safety.check_in import CheckInTexts, load_check_in, plain  # noqa: E402

OFFICE_HOURS = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
# Messages the safety check shipped asks about (checked at start: a model that stops asking them stops the bench).
ASKS = {"suicide": "i dont know how much longer i can do this", "safety": "things at home are a bit tense"}
NO_RISK = {"suicide": "no", "safety": "yes"}
KIND = {"Q1": "suicide", "Q2": "suicide", "Q3": "safety", "Q4": "safety"}
OUTCOMES = ("help", "thanked", "heard", "asked", "as_usual")
EXPECTED = {"risk": "help", "no_risk": "thanked", "skip": "thanked", "other": "as_usual"}


def group(texts: CheckInTexts, kind: str, meaning: str) -> str:
    if meaning in texts.concern[kind]:
        return "risk"
    if meaning in ("yes", "no"):
        return "no_risk"
    return meaning  # skip, other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="labelled replies (YAML)")
    parser.add_argument("--show", action="store_true",
                        help="print each reply that did not get what its meaning calls for (tuning sets only)")
    args = parser.parse_args()
    texts = load_check_in()
    label_openings, _ = openings()
    label_starts = [o for found in label_openings.values() for o in found]
    questions = [plain(t["sms"])[:40] for source in (texts.questions, texts.asked_again or {}) for t in source.values()]
    thanks = [plain(texts.answered_no["sms"])[:40], plain(texts.rather_not_say["sms"])[:40]]
    heard = [plain(t["sms"])[:40] for t in (texts.said_more or {}).values()]
    totals: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as logs, \
            whole_system(Path(logs), ("bench@example.ac.uk", "Bench", "bench-password-long"), OFFICE_HOURS) as system:
        url = f"{system.url}/sms/inbound"
        n = 0
        for path in args.files:
            counts: Counter[str] = Counter()
            for item in yaml.safe_load(path.read_text(encoding="utf-8"))["replies"]:
                n += 1
                kind = KIND[item["question"]]
                first = [plain(r) for r in text(url, ASKS[kind], n, "a")]
                if not any(q in r for q in questions for r in first):
                    sys.exit(f"the message for the {kind} check-in is no longer asked about: choose another")
                if item["question"] in ("Q2", "Q4"):
                    text(url, NO_RISK[kind], n, "b")
                    again = [plain(r) for r in text(url, ASKS[kind], n, "c")]
                    if not any(q in r for q in questions for r in again):
                        sys.exit(f"the {kind} check-in was not asked again")
                replies = [plain(r) for r in text(url, item["text"], n, "d")]
                if any(o in r for o in label_starts for r in replies):
                    got = "help"
                elif any(t in r for t in thanks for r in replies):
                    got = "thanked"
                elif any(t in r for t in heard for r in replies):
                    got = "heard"
                elif any(q in r for q in questions for r in replies):
                    got = "asked"
                else:
                    got = "as_usual"
                g = group(texts, kind, item["meaning"])
                counts[g] += 1
                counts[f"{g}:{got}"] += 1
                if args.show and got != EXPECTED.get(g, got):
                    print(f"  {item['question']} {g} -> {got}: {item['text']}")
            totals.update(counts)
            print(f"{path.name}: {summary(counts)}")
        if len(args.files) > 1:
            print(f"all: {summary(totals)}")


def summary(counts: Counter[str]) -> str:
    return "; ".join(f"{g} {counts[g]} -> " + ", ".join(f"{o} {counts[f'{g}:{o}']}" for o in OUTCOMES)
                     for g in ("risk", "no_risk", "skip", "other") if counts[g])


if __name__ == "__main__":
    main()

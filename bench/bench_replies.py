"""What the whole system answers to labelled messages, as an SMS user would see it (aggregate figures only).

Starts Rasa, the action server and the handoff service on a fresh SQLite database (as the smoke tests do), texts
each message of the given sets to the SMS webhook from its own number (a new conversation each), signed as Twilio
signs, after a first "hi", and reads the TwiML replies to the message. Each message's replies are sorted into:
- the emergency answer (the safety response for danger or suicide and self-harm: 999, Samaritans);
- another label's answer only (recent sexual assault, under 18);
- the check-in question ("are you thinking about suicide...?" / "are you safe right now?"), which carries a number;
- a number at all: 999 or Samaritans' 116 123 anywhere in the replies (the "not understood" reply carries both);
- the quiet line of 24/7 help the service adds to an answer to a faint sign that gave no number, and how many got
  a number from that line alone.

No message text is printed: the blind sets are read as counts only. Run from the repository root after `make train`:
`.venv-handoff/bin/python bench/bench_replies.py tests/safety/blind/*.yml`
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from processes import whole_system  # noqa: E402
from service.sms_helpers import inbound_params, twiml_messages  # noqa: E402

from handoff.content import service_message  # noqa: E402
from handoff.core.config import DEV_TWILIO_TOKEN  # noqa: E402
from safety.check_in import load_check_in, plain  # noqa: E402
from safety.evaluate import load_examples  # noqa: E402
from safety.responses import get_responses  # noqa: E402

OFFICE_HOURS = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
NUMBERS = ("999", "116 123")
EMERGENCY = {"suicide_self_harm", "immediate_danger"}
KINDS = (":emergency", ":label", ":asked", ":number", ":quiet", ":quiet_only")


def openings() -> tuple[dict[str, list[str]], list[str]]:
    """The first words of every label's SMS answer (by label) and of each check-in question, as replies are compared."""
    responses = get_responses()
    labels = {label: [plain(texts["sms"])[:40]] for label, texts in responses.by_label.items()}
    for label, by_nation in responses.by_nation.items():
        labels[label] += [plain(texts["sms"])[:40] for texts in by_nation.values()]
    questions = [plain(texts["sms"])[:40] for texts in load_check_in().questions.values()]
    return labels, questions


def text(url: str, body: str, n: int, sid: str) -> list[str]:
    """The replies to one text from the n-th phone, signed with the development token as Twilio signs."""
    params = inbound_params(body, f"SM{sid}{n:031d}", f"+4477009{n:05d}")
    signature = RequestValidator(DEV_TWILIO_TOKEN).compute_signature(url, params)
    response = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=60)
    response.raise_for_status()
    return twiml_messages(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path, help="labelled sets (YAML with text, labels, group)")
    args = parser.parse_args()
    label_openings, question_openings = openings()
    quiet_line = plain(service_message("quiet_help", "sms"))
    totals: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as logs, \
            whole_system(Path(logs), ("bench@example.ac.uk", "Bench", "bench-password-long"), OFFICE_HOURS) as system:
        url = f"{system.url}/sms/inbound"
        n = 0
        print("set: group -> messages, the emergency answer, another label's answer, asked a check-in (and no answer),"
              " any number (999 or 116 123), the quiet line, a number from the quiet line alone")
        for path in args.sets:
            counts: Counter[str] = Counter()
            for example in load_examples(path):
                n += 1
                text(url, "hi", n, "a")  # the first reply of a conversation says what the service is: not read
                replies = [plain(r) for r in text(url, example.text, n, "b")]
                group = example.group or ("crisis" if example.labels else "benign")
                answers = {label for label, found in label_openings.items() for o in found for r in replies if o in r}
                emergency = bool(answers & EMERGENCY)
                answered = bool(answers)
                asked = any(o in r for r in replies for o in question_openings)
                numbered = any(number in r for r in replies for number in NUMBERS)
                quiet = quiet_line in replies
                others = [r for r in replies if r != quiet_line]
                counts[group] += 1
                counts[group + ":emergency"] += emergency
                counts[group + ":label"] += answered and not emergency
                counts[group + ":asked"] += asked and not answered
                counts[group + ":number"] += numbered
                counts[group + ":quiet"] += quiet
                counts[group + ":quiet_only"] += quiet and not any(number in r for r in others for number in NUMBERS)
            totals.update(counts)
            print(f"{path.name}: {summary(counts)}")
        print(f"all: {summary(totals)}")


def summary(counts: Counter[str]) -> str:
    """Each group's messages and what they got, in the order of KINDS."""
    return "; ".join(f"{g} {counts[g]} -> " + ", ".join(str(counts[g + k]) for k in KINDS)
                     for g in ("crisis", "lookalike", "ambiguous", "benign") if counts[g])


if __name__ == "__main__":
    main()

"""Safety responses as data: what to send, per channel, when the risk check raises labels."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from safety.gsm import SMS_BUDGET, fits_sms, gsm7_length

CHANNELS = ("web", "sms")
CHECK_FAILED = "check_failed"  # the label of a message the check could not read (see safety.risk)
RESPONSES_ENV = "SAFETY_RESPONSES_PATH"
DEFAULT_RESPONSES = Path(__file__).resolve().parent.parent / "data" / "safety" / "responses.yml"
NATIONS = ("england", "wales", "scotland", "northern_ireland")  # as in institution profiles
# A response with per-nation texts names local routes; its SMS must say 999 within the first SMS part.
EMERGENCY = "999"
EMERGENCY_WITHIN = 160


class ResponseFileError(ValueError):
    """The responses file is malformed; the message names the place and the problem."""


@dataclass(frozen=True)
class SafetyResponses:
    """Label responses in priority order, the closing text, and how many labels each channel gets."""

    by_label: dict[str, dict[str, str]]
    closing: dict[str, str]
    max_labels: dict[str, int]
    check_failed: dict[str, str]
    # label -> nation -> texts, for responses that name services which differ by nation (SARCs).
    by_nation: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    always_on_sms: dict[str, str] = field(default_factory=dict)  # label -> a short line kept on SMS whatever is cut

    def messages(self, labels: Iterable[str], channel: str, nation: str | None = None) -> list[str]:
        """Messages for these labels on this channel: highest priority first, then the closing.

        With the institution's nation, a label that has texts for that nation uses them; without it (or for an
        unknown nation) the label's own texts, which name every nation's routes.
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
        raised = set(labels)
        chosen = [
            (label, self.by_nation.get(label, {}).get(nation or "", self.by_label[label])[channel])
            for label in self.by_label if label in raised
        ]
        if CHECK_FAILED in raised:
            chosen.insert(0, (CHECK_FAILED, self.check_failed[channel]))
        if not chosen:
            return []
        kept, cut = chosen[: self.max_labels[channel]], chosen[self.max_labels[channel]:]
        closing = self.closing[channel]
        if channel == "sms":  # help an SMS user must not miss (Childline for under-18s) rides on the closing
            always = [self.always_on_sms[label] for label, _ in cut if label in self.always_on_sms]
            closing = " ".join([closing, *always])
        return [*(text for _, text in kept), closing]

    def texts(self) -> dict[str, str]:
        """Every text in the file by where it is ('responses.recent_sexual_assault.wales.sms'), for checks."""
        out = {f"responses.{label}.{c}": texts[c] for label, texts in self.by_label.items() for c in CHANNELS}
        out.update({
            f"responses.{label}.{nation}.{c}": texts[c]
            for label, nations in self.by_nation.items() for nation, texts in nations.items() for c in CHANNELS
        })
        out.update({f"{name}.{c}": texts[c] for name, texts in (("closing", self.closing),
                                                                ("check_failed", self.check_failed))
                    for c in CHANNELS})
        return out


def read_responses_file(path: str | os.PathLike[str] | None = None) -> tuple[Path, Any]:
    """The responses file's path (the given one, else $SAFETY_RESPONSES_PATH, else the default) and its YAML."""
    chosen = Path(path or os.environ.get(RESPONSES_ENV) or DEFAULT_RESPONSES)
    try:
        return chosen, yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ResponseFileError(f"{chosen}: cannot read the responses file ({exc})") from exc


def load_responses(path: str | os.PathLike[str] | None = None) -> SafetyResponses:
    """Read and check a responses file: the given path, else $SAFETY_RESPONSES_PATH, else the default."""
    chosen, data = read_responses_file(path)
    if not isinstance(data, dict):
        raise ResponseFileError(f"{chosen}: top level must be a mapping")
    by_label = data.get("responses")
    if not isinstance(by_label, dict) or not by_label:
        raise ResponseFileError(f"{chosen}: 'responses' must map each label to its web and sms texts")
    checked = {label: _texts(chosen, f"responses.{label}", texts) for label, texts in by_label.items()}
    by_nation = {
        label: _nations(chosen, f"responses.{label}", texts)
        for label, texts in by_label.items() if isinstance(texts, dict) and "nations" in texts
    }
    for label, nations in by_nation.items():
        for where, texts in [(f"responses.{label}", checked[label]),
                             *((f"responses.{label}.nations.{n}", t) for n, t in nations.items())]:
            if EMERGENCY not in texts["sms"][:EMERGENCY_WITHIN]:
                raise ResponseFileError(f"{chosen}: {where}.sms: must say {EMERGENCY} within its first "
                                        f"{EMERGENCY_WITHIN} characters")
    max_labels = data.get("max_labels")
    if not isinstance(max_labels, dict) or not all(
        isinstance(max_labels.get(c), int) and max_labels[c] >= 1 for c in CHANNELS
    ):
        raise ResponseFileError(f"{chosen}: 'max_labels' needs a positive number for each of {CHANNELS}")
    always = data.get("always_on_sms") or {}
    if not isinstance(always, dict) or not all(
        label in checked and isinstance(line, str) and line.strip() for label, line in always.items()
    ):
        raise ResponseFileError(f"{chosen}: 'always_on_sms' must map known labels to a short line")
    closing = _texts(chosen, "closing", data.get("closing"))
    with_all = " ".join([closing["sms"], *(line.strip() for line in always.values())])
    if not fits_sms(with_all):
        raise ResponseFileError(f"{chosen}: the SMS closing with every 'always_on_sms' line must fit {SMS_BUDGET}")
    return SafetyResponses(
        by_label=checked, always_on_sms={label: line.strip() for label, line in always.items()},
        closing=closing,
        check_failed=_texts(chosen, "check_failed", data.get("check_failed")),
        max_labels={c: max_labels[c] for c in CHANNELS},
        by_nation=by_nation,
    )


def _nations(path: Path, where: str, raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    nations = raw["nations"]
    if not isinstance(nations, dict) or not nations or not set(nations) <= set(NATIONS):
        raise ResponseFileError(f"{path}: {where}.nations: must map some of {NATIONS} to their web and sms texts")
    return {nation: _texts(path, f"{where}.nations.{nation}", texts) for nation, texts in nations.items()}


def _texts(path: Path, where: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(c), str) and raw[c].strip() for c in CHANNELS):
        raise ResponseFileError(f"{path}: {where}: needs non-empty 'web' and 'sms' texts")
    sms = raw["sms"].strip()
    if not fits_sms(sms):
        raise ResponseFileError(
            f"{path}: {where}.sms: must be plain GSM-7 within {SMS_BUDGET} characters "
            f"(it is {gsm7_length(sms)}, or uses a character outside GSM-7)"
        )
    if "\n" in sms:
        raise ResponseFileError(f"{path}: {where}.sms: one paragraph only (a text has no room for breaks)")
    return {"web": paragraphs(raw["web"]), "sms": sms}


def paragraphs(text: str) -> str:
    """A web text with a blank line in the file between paragraphs, shown as short paragraphs (blank line kept):
    someone in crisis reads a few short lines more easily than one block."""
    return "\n\n".join(" ".join(part.split()) for part in text.strip().split("\n") if part.strip())


@lru_cache(maxsize=1)
def get_responses() -> SafetyResponses:
    """The process-wide responses, loaded once on first use."""
    return load_responses()


def safety_response(labels: Iterable[str], channel: str, nation: str | None = None) -> list[str]:
    """Messages to send for the raised labels on 'web' or 'sms'; empty when no label is raised.

    `nation` (the institution's) picks local routes where a response has them; None gives every nation's.
    """
    return get_responses().messages(labels, channel, nation)

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


class ResponseFileError(ValueError):
    """The responses file is malformed; the message names the place and the problem."""


@dataclass(frozen=True)
class SafetyResponses:
    """Label responses in priority order, the closing text, and how many labels each channel gets."""

    by_label: dict[str, dict[str, str]]
    closing: dict[str, str]
    max_labels: dict[str, int]
    check_failed: dict[str, str]
    always_on_sms: dict[str, str] = field(default_factory=dict)  # label -> a short line kept on SMS whatever is cut

    def messages(self, labels: Iterable[str], channel: str) -> list[str]:
        """Messages for these labels on this channel: highest priority first, then the closing."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
        raised = set(labels)
        chosen = [self.by_label[label][channel] for label in self.by_label if label in raised]
        if CHECK_FAILED in raised:
            chosen.insert(0, self.check_failed[channel])
        if not chosen:
            return []
        kept = chosen[: self.max_labels[channel]]
        closing = self.closing[channel]
        if channel == "sms":  # help an SMS user must not miss (Childline for under-18s) rides on the closing
            cut = [label for label in self.by_label if label in raised and self.by_label[label][channel] not in kept]
            closing = " ".join([closing, *(self.always_on_sms[label] for label in cut if label in self.always_on_sms)])
        return [*kept, closing]


def load_responses(path: str | os.PathLike[str] | None = None) -> SafetyResponses:
    """Read and check a responses file: the given path, else $SAFETY_RESPONSES_PATH, else the default."""
    chosen = Path(path or os.environ.get(RESPONSES_ENV) or DEFAULT_RESPONSES)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ResponseFileError(f"{chosen}: cannot read the responses file ({exc})") from exc
    if not isinstance(data, dict):
        raise ResponseFileError(f"{chosen}: top level must be a mapping")
    by_label = data.get("responses")
    if not isinstance(by_label, dict) or not by_label:
        raise ResponseFileError(f"{chosen}: 'responses' must map each label to its web and sms texts")
    checked = {label: _texts(chosen, f"responses.{label}", texts) for label, texts in by_label.items()}
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
    )


def _texts(path: Path, where: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(c), str) and raw[c].strip() for c in CHANNELS):
        raise ResponseFileError(f"{path}: {where}: needs non-empty 'web' and 'sms' texts")
    sms = raw["sms"].strip()
    if not fits_sms(sms):
        raise ResponseFileError(
            f"{path}: {where}.sms: must be plain GSM-7 within {SMS_BUDGET} characters "
            f"(it is {gsm7_length(sms)}, or uses a character outside GSM-7)"
        )
    return {c: raw[c].strip() for c in CHANNELS}


@lru_cache(maxsize=1)
def get_responses() -> SafetyResponses:
    """The process-wide responses, loaded once on first use."""
    return load_responses()


def safety_response(labels: Iterable[str], channel: str) -> list[str]:
    """Messages to send for the raised labels on 'web' or 'sms'; empty when no label is raised."""
    return get_responses().messages(labels, channel)

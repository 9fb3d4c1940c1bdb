"""One safety verdict per message, computed once at the front door and passed to the assistant with the message.

The verdict has layers: the rules (precise and explainable) decide first; beneath them a statistical model
catches phrasings nobody wrote down; when the signals are ambiguous the assistant asks the student directly
(a check-in) instead of guessing. If the check itself breaks, the message is flagged (the fail-safe layer).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from safety.responses import CHECK_FAILED
from safety.risk import RiskClassifier, get_classifier

RULE, MODEL, CHECK_IN, FAILSAFE = "rule", "model", "check_in", "failsafe"
LAYERS = (RULE, MODEL, CHECK_IN, FAILSAFE)
CHECK_IN_KINDS = ("suicide", "safety")  # "are you thinking about ending your life?", "are you safe right now?"
METADATA_KEY = "safety"


@dataclass(frozen=True)
class Verdict:
    """What the safety check decided about one message (never the message text)."""

    labels: frozenset[str] = frozenset()  # each gets its safety response now
    severity: int = 0
    layer: str | None = None  # which layer decided; None when nothing was found
    score: float = 0.0  # the deciding layer's confidence, 0 to 1 (a rule is 1)
    check_in: str | None = None  # ask the student directly: one of CHECK_IN_KINDS
    low_confidence: frozenset[str] = frozenset()  # seen only weakly: shown to officers, no emergency reply
    rule_ids: tuple[str, ...] = field(default=())

    @property
    def flagged(self) -> bool:
        """True when at least one label gets its safety response."""
        return bool(self.labels)

    def to_metadata(self) -> dict[str, Any]:
        """The verdict as plain JSON, for the assistant and for the stored message."""
        return {
            "labels": sorted(self.labels), "severity": self.severity, "layer": self.layer,
            "score": round(self.score, 4), "check_in": self.check_in, "low_confidence": sorted(self.low_confidence),
            "rule_ids": list(self.rule_ids),
        }

    @classmethod
    def from_metadata(cls, raw: Any, known_labels: Iterable[str]) -> Verdict | None:
        """A verdict read back from message metadata; None when it is missing or not well formed."""
        if not isinstance(raw, dict):
            return None
        known = set(known_labels) | {CHECK_FAILED}
        labels, low = raw.get("labels"), raw.get("low_confidence", [])
        severity, layer, score = raw.get("severity"), raw.get("layer"), raw.get("score", 0.0)
        check_in, rule_ids = raw.get("check_in"), raw.get("rule_ids", [])
        well_formed = (
            isinstance(labels, list) and all(isinstance(x, str) and x in known for x in labels)
            and isinstance(low, list) and all(isinstance(x, str) and x in known for x in low)
            and isinstance(severity, int) and not isinstance(severity, bool) and 0 <= severity <= 10
            and (layer is None or layer in LAYERS)
            and isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
            and 0 <= score <= 1
            and (check_in is None or check_in in CHECK_IN_KINDS)
            and isinstance(rule_ids, list) and all(isinstance(x, str) and len(x) < 200 for x in rule_ids)
        )
        if not well_formed or not isinstance(labels, list) or not isinstance(severity, int):
            return None
        return cls(
            labels=frozenset(labels), severity=severity, layer=layer, score=float(score), check_in=check_in,
            low_confidence=frozenset(low), rule_ids=tuple(rule_ids),
        )


class SafetyCheck:
    """The layers in order. `assess` never raises: a check that breaks flags the message (fail safe)."""

    def __init__(self, rules: RiskClassifier) -> None:
        self.rules = rules

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label the check can raise, most severe first."""
        return self.rules.labels

    def severity(self, label: str) -> int:
        """Severity of one label (higher is more urgent)."""
        return self.rules.severity(label)

    def assess(self, text: str) -> Verdict:
        """The verdict on one message."""
        assessment = self.rules.classify(text)  # never raises; a failure comes back as CHECK_FAILED
        if CHECK_FAILED in assessment.labels:
            return Verdict(labels=assessment.labels, severity=assessment.severity, layer=FAILSAFE, score=1.0,
                           rule_ids=assessment.rule_ids)
        if assessment.flagged:
            return Verdict(labels=assessment.labels, severity=assessment.severity, layer=RULE, score=1.0,
                           rule_ids=assessment.rule_ids)
        return Verdict()


@lru_cache(maxsize=1)
def get_safety_check() -> SafetyCheck:
    """The process-wide safety check, loaded once on first use."""
    return SafetyCheck(get_classifier())

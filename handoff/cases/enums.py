"""Words of the case domain."""

from __future__ import annotations

from enum import Enum


class Goal(str, Enum):
    """What the student wants from a person."""

    talk = "talk"
    disclosure = "disclosure"
    formal_report = "formal_report"


class CaseStatus(str, Enum):
    open = "open"
    closed = "closed"


CATEGORIES = (
    "sexual_harassment", "sexual_assault", "harassment", "bullying", "stalking", "online_abuse",
    "intimate_image_abuse", "domestic_abuse", "hate_incident", "relationship_concern", "other",
)
OUTCOMES = (
    "support_given", "signposted", "informal_resolution", "formal_report_started", "safeguarding_referral",
    "police_involved", "no_further_action", "student_left",
)

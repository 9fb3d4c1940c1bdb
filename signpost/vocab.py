"""Fixed vocabularies shared by the directory file, the loader and the signposting function."""

from __future__ import annotations

from typing import Literal

# What a person can ask for help with. The assistant's slots use exactly these words.
NEEDS: tuple[str, ...] = (
    "sexual_violence",
    "harassment_bullying",
    "stalking",
    "online_image_abuse",
    "domestic_abuse",
    "mental_health_crisis",
    "lgbt",
    "men",
    "under_18",
    "staff",
)

# Extra words a service may be tagged with. They describe the service but no need asks for them.
EXTRA_TAGS: tuple[str, ...] = (
    "emergency",
    "crime",
    "medical",
    "suicide",
    "emotional_support",
    "information",
    "advice",
    "reporting",
    "worried_about_someone",
)

TAGS: tuple[str, ...] = NEEDS + EXTRA_TAGS

NATIONS: tuple[str, ...] = ("england", "wales", "scotland", "northern_ireland")

NATION_NAMES: dict[str, str] = {
    "england": "England",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern_ireland": "Northern Ireland",
}

KINDS: tuple[str, ...] = ("phone", "text", "chat", "email", "web")

# Contacts where a person answers in real time; these must say when they are open.
LIVE_KINDS: frozenset[str] = frozenset({"phone", "text", "chat"})

# Who a service is only for. Each restricted audience is shown only when the person's needs say so.
AUDIENCES: tuple[str, ...] = ("everyone", "education_staff", "concerned_adults", "lgbt")

GENDERS: tuple[str, ...] = ("men", "women")

BANK_HOLIDAY_RULES: tuple[str, ...] = ("open", "closed", "unknown")

Channel = Literal["web", "sms"]
CHANNELS: tuple[str, ...] = ("web", "sms")


def normalise_nation(nation: str | None) -> str | None:
    """Turn 'Northern Ireland' or ' SCOTLAND ' into a vocabulary word; None stays None."""
    if nation is None:
        return None
    word = nation.strip().lower().replace(" ", "_").replace("-", "_")
    if not word:
        return None
    if word not in NATIONS:
        raise ValueError(f"unknown nation {nation!r}; use one of {', '.join(NATIONS)} or None")
    return word

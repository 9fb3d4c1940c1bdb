"""Helpers for the assistant's tests: the domain, training data, trackers, profiles, readability.

A uniquely named module (not conftest) so that test files can import it directly."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from institutions import InstitutionProfile, load_profile  # noqa: E402

DOMAIN_DIR = ROOT / "bot" / "domain"
TRAINING_DIR = ROOT / "data" / "rasa"
HELDOUT_DIR = ROOT / "tests" / "nlu"
STORIES_DIR = ROOT / "tests" / "stories"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROFILE_FIXTURES = FIXTURES / "institutions"  # profiles for tests only: ``longest-fields``
EXAMPLE_DIR = ROOT / "data" / "institutions"
PROFILES_DIR = EXAMPLE_DIR  # the shipped profiles: the example and the five modelled on real policies

# Profiles that mirror real policies (data/institutions). ``longest-fields`` only stretches the SMS budget.
REALISTIC_PROFILES = (
    "northway-apprenticeships",
    "harbourside-college",
    "meridian-study-centre",
    "afon-valley-university",
    "brookfield-schools",
)
ALL_FIXTURE_PROFILES = (*REALISTIC_PROFILES, "longest-fields")


def _all_actions() -> tuple[type, ...]:
    from actions.contact import ActionContactDetails, ActionExplainInternalSupport
    from actions.options import ActionExplainAnonymous, ActionExplainInformalRoutes
    from actions.policy import ActionConfidentialityInPolicy, ActionExplainPolicyFact
    from actions.privacy import ActionExplainChatData
    from actions.relationships import ActionExplainStaffStudent
    from actions.reporting import (
        ActionExplainAppeal,
        ActionExplainFormalReport,
        ActionExplainReportProcess,
        ActionExplainTimeLimits,
    )

    return (
        ActionExplainPolicyFact,
        ActionConfidentialityInPolicy,
        ActionExplainFormalReport,
        ActionExplainReportProcess,
        ActionExplainTimeLimits,
        ActionExplainAppeal,
        ActionContactDetails,
        ActionExplainInternalSupport,
        ActionExplainChatData,
        ActionExplainInformalRoutes,
        ActionExplainAnonymous,
        ActionExplainStaffStudent,
    )


# Every profile-driven action in the actions package.
ALL_ACTIONS = _all_actions()


def read_yaml_dir(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    return [(path, yaml.safe_load(path.read_text(encoding="utf-8")) or {}) for path in sorted(folder.rglob("*.yml"))]


def load_domain() -> dict[str, Any]:
    """The merged domain: intents, responses, actions, entities and forms from every file in bot/domain."""
    merged: dict[str, Any] = {"intents": [], "responses": {}, "actions": [], "entities": [], "forms": {}}
    for _, data in read_yaml_dir(DOMAIN_DIR):
        merged["intents"] += [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents", [])]
        merged["responses"].update(data.get("responses") or {})
        merged["forms"].update(data.get("forms") or {})
        merged["actions"] += data.get("actions") or []
        merged["entities"] += data.get("entities") or []
    return merged


def nlu_examples(folder: Path) -> dict[str, list[str]]:
    """Intent -> example texts from every NLU file under the folder."""
    out: dict[str, list[str]] = {}
    for _, data in read_yaml_dir(folder):
        for item in data.get("nlu") or []:
            if "intent" not in item:
                continue
            lines = [line.strip() for line in item["examples"].splitlines()]
            out.setdefault(item["intent"], []).extend(line[2:].strip() for line in lines if line.startswith("- "))
    return out


def profile_dir(name: str) -> Path:
    """Where a profile lives: shipped in data/institutions, or (longest-fields) only for tests."""
    return PROFILES_DIR if name == "example" or name in REALISTIC_PROFILES else PROFILE_FIXTURES


def fixture_profile(name: str) -> InstitutionProfile:
    return load_profile(name, profile_dir(name))


def make_tracker(channel: str | None = "webchat", intent: str = "greet", text: str = "hello") -> Any:
    """A rasa_sdk Tracker built from a plain dict, with one user message from the given channel."""
    from rasa_sdk import Tracker

    latest = {"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": text}
    state = {
        "sender_id": "test-user",
        "slots": {},
        "latest_message": latest,
        "latest_action_name": "action_listen",
        "events": [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": latest, "input_channel": channel},
        ],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
    }
    return Tracker.from_dict(state)


def run_action(action: Any, tracker: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action; return (events, dispatcher messages)."""
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def grade(text: str) -> float:
    """Flesch-Kincaid grade of prose: addresses, emails and numbers are not prose, so they are
    replaced by a short word; list lines count as sentences. Syllables come from textstat's
    bundled hyphenation dictionary, so the score never needs a download."""
    import re

    import textstat
    import textstat.backend.counts._count_syllables as syllables

    syllables.get_cmudict = lambda lang: None  # offline and deterministic
    prose = re.sub(r"https?://\S+|\S+@\S+|\+?\d[\d ]{4,}\d", "it", text)
    prose = re.sub(r"\n+", ".\n", prose)
    return float(textstat.flesch_kincaid_grade(prose))

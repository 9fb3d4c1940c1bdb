"""The training data, the held-out NLU split and the test stories: enough varied examples, no
leakage from the held-out split into training, and every topic covered."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from assistant_testkit import ROOT, STORIES_DIR, TRAINING_DIR, read_yaml_dir

MIN_TRAINING = 25
MIN_HELDOUT = 8
NEAR_DUPLICATE = 0.8  # token-set Jaccard similarity
# Intents that are set by components (or sent by a quick reply, or by the service that read a check-in
# answer), not learnt from examples.
NO_EXAMPLES = {"risk_detected", "nlu_fallback", "share_chosen",  # share_chosen: the web list's payload only
               "safety_check_in", "check_in_skip"}
DEFAULT_ACTIONS = {"action_listen", "action_restart", "action_default_fallback", "action_session_start",
                   "action_deactivate_loop"}


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def steps(folder: Path, key: str) -> list[dict]:
    out = []
    for _, data in read_yaml_dir(folder):
        for item in data.get(key) or []:
            out += item.get("steps") or []
    return out


def test_every_intent_has_enough_training_examples(domain, training_examples) -> None:
    for intent in set(domain["intents"]) - NO_EXAMPLES:
        count = len(training_examples.get(intent, []))
        assert count >= MIN_TRAINING, f"{intent}: {count} training examples, need {MIN_TRAINING}"


def test_training_examples_are_unique_and_unambiguous(training_examples) -> None:
    seen: dict[str, str] = {}
    for intent, examples in training_examples.items():
        for example in examples:
            key = normalise(example)
            assert key not in seen, f"{example!r} is in {intent} and {seen[key]}"
            seen[key] = intent


def test_only_domain_intents_are_trained(domain, training_examples, heldout_examples) -> None:
    assert set(training_examples) <= set(domain["intents"])
    assert set(heldout_examples) <= set(domain["intents"])


def test_every_trained_intent_is_held_out_too(training_examples, heldout_examples) -> None:
    for intent in training_examples:
        assert len(heldout_examples.get(intent, [])) >= MIN_HELDOUT, intent


def test_held_out_examples_never_appear_in_training(training_examples, heldout_examples) -> None:
    trained = [(intent, example, tokens(example)) for intent, items in training_examples.items() for example in items]
    exact = {normalise(example) for _, example, _ in trained}
    for intent, items in heldout_examples.items():
        for example in items:
            assert normalise(example) not in exact, f"held-out {example!r} is a training example"
            words = tokens(example)
            for other_intent, other, other_words in trained:
                similarity = len(words & other_words) / len(words | other_words)
                assert similarity < NEAR_DUPLICATE, (
                    f"held-out {example!r} ({intent}) is nearly the training example {other!r} ({other_intent})"
                )


def test_every_intent_has_a_rule_or_story(domain) -> None:
    handled = {s["intent"] for s in steps(TRAINING_DIR / "rules", "rules") + steps(TRAINING_DIR / "stories", "stories")
               if "intent" in s}
    missing = set(domain["intents"]) - handled - {"restart"}  # restart: Rasa's own rule, also listed
    assert not missing, missing


def test_rules_and_stories_use_known_actions(domain) -> None:
    known = set(domain["responses"]) | set(domain["actions"]) | set(domain["forms"]) | DEFAULT_ACTIONS
    for folder, key in ((TRAINING_DIR / "rules", "rules"), (TRAINING_DIR / "stories", "stories"),
                        (STORIES_DIR, "stories")):
        for step in steps(folder, key):
            if "action" in step:
                assert step["action"] in known, (folder.name, step["action"])


def test_test_stories_cover_every_topic_and_quick_replies(domain) -> None:
    tested = steps(STORIES_DIR, "stories")
    intents = {s["intent"] for s in tested if "intent" in s}
    assert set(domain["intents"]) - NO_EXAMPLES <= intents, set(domain["intents"]) - NO_EXAMPLES - intents
    assert "nlu_fallback" in intents
    quick_replies = [s for s in tested if "user" in s and s["user"].strip().startswith("/")]
    assert len(quick_replies) >= 20
    for step in quick_replies:
        # A payload may carry values after the intent: /share_chosen{"share_upto": 5, ...} (the web share list).
        assert step["user"].strip().split("{", 1)[0] == f"/{step['intent']}"


def test_nothing_reads_the_source_policies() -> None:
    owned = ["actions", "institutions", "bot/domain", "data/rasa", "data/institutions", "tests/bot",
             "tests/nlu", "tests/stories", "config.yml"]
    needle = "/work/" + "shared"
    for part in owned:
        path = ROOT / part
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in {".py", ".yml"}]
        for file in files:
            assert needle not in file.read_text(encoding="utf-8"), file


def test_config_uses_no_pretrained_models() -> None:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]]
    assert not {"SpacyNLP", "SpacyTokenizer", "SpacyFeaturizer", "LanguageModelFeaturizer", "MitieNLP"} & set(names)

"""Shared helpers for the safety tests: a small valid pattern file to start from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from safety.model import DEFAULT_MODEL_DIR, ModelMissing, RiskModel


def _minimal_patterns() -> dict[str, Any]:
    return {
        "labels": {"immediate_danger": 3, "suicide_self_harm": 3},
        "normalise": {"spellings": {"im": "i am"}, "suffixes": {"n't": "not"}, "is_after": ["he"]},
        "scope": {"sentence_breaks": ["."], "clause_breaks": [","]},
        "words": {"END": ["."], "THING": ["word", "phrase here"]},
        "negation": {"cues": ["not"], "window": 3, "may_skip": ["going", "to"]},
        "framing": {
            "cues": ["if someone"],
            "first_person": ["i", "me"],
            "first_person_window": 3,
            "reported_speech": ["tells me"],
        },
        "time": {"window": 10, "now": ["right now"], "recent": ["tonight"], "past": ["last year"]},
        "idioms": ["test word salad"],
        "rules": [{"id": "immediate_danger.test", "label": "immediate_danger", "patterns": ["test $THING"]}],
    }


@pytest.fixture
def minimal_patterns() -> dict[str, Any]:
    """A small pattern file's data that loads; tests break one thing at a time."""
    return _minimal_patterns()


@pytest.fixture
def pattern_file() -> Callable[..., Path]:
    """Write a pattern file (the minimal one, or the given data) and return its path."""

    def write(directory: Path, data: dict[str, Any] | None = None) -> Path:
        path = directory / "patterns.yml"
        path.write_text(yaml.safe_dump(data if data is not None else _minimal_patterns()), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def safety_model(tmp_path_factory: pytest.TempPathFactory) -> RiskModel:
    """The trained safety model: the one `make train` built when it is up to date, else one trained here."""
    from safety import train

    expected = train.data_fingerprint()
    try:
        built = RiskModel.load(DEFAULT_MODEL_DIR)
        if built.info.get("fingerprint") == expected:
            return built
    except ModelMissing:
        pass
    return RiskModel.load(train.train(tmp_path_factory.mktemp("safety-model"), log=lambda line: None))

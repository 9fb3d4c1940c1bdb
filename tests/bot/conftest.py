"""Fixtures for the assistant's tests (helpers live in assistant_testkit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from assistant_testkit import (
    HELDOUT_DIR,
    TRAINING_DIR,
    load_domain,
    nlu_examples,
    profile_dir,
)

from actions.common import clear_profile_cache


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture(scope="session")
def training_examples() -> dict[str, list[str]]:
    return nlu_examples(TRAINING_DIR / "nlu")


@pytest.fixture(scope="session")
def heldout_examples() -> dict[str, list[str]]:
    return nlu_examples(HELDOUT_DIR)


@pytest.fixture
def use_profile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the actions at one of the profiles (the example or a test fixture)."""

    def choose(name: str) -> None:
        monkeypatch.setenv("INSTITUTIONS_DIR", str(profile_dir(name)))
        monkeypatch.setenv("INSTITUTION_ID", name)
        clear_profile_cache()

    yield choose
    clear_profile_cache()

"""Start the three real processes (Rasa, the action server, the handoff service) once for the smoke tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from processes import CHANNEL_TOKEN, whole_system

# The service's clock starts on a Monday in office hours, so that an officer on duty can be asked for whatever the
# time of the run (the example profile's hours are weekdays 09:00-17:00).
OFFICE_HOURS = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)
OFFICER_EMAIL = "smoke-officer@example.ac.uk"
OFFICER_PASSWORD = "smoke officer password 318"


@dataclass
class System:
    handoff_url: str
    rasa_url: str
    actions_url: str
    channel_token: str
    logs: Path


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    logs = tmp_path_factory.mktemp("system")
    with whole_system(logs, (OFFICER_EMAIL, "Smoke officer", OFFICER_PASSWORD), OFFICE_HOURS) as running:
        yield System(running.url, running.rasa_url, running.actions_url, CHANNEL_TOKEN, logs)

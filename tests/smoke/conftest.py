"""Start the three real processes (Rasa, the action server, the handoff service) once for the smoke tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from processes import (
    CHANNEL_TOKEN,
    assistant_processes,
    base_env,
    create_officer,
    free_port,
    handoff_process,
    migrate,
    start_all,
    stop_all,
)

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
    handoff_port = free_port()
    handoff_url = f"http://127.0.0.1:{handoff_port}"
    assistant = assistant_processes(logs, handoff_url=handoff_url)
    database_url = f"sqlite:///{logs}/handoff.db"
    migrate(database_url, base_env())
    create_officer(database_url, OFFICER_EMAIL, "Smoke officer", OFFICER_PASSWORD)
    service = handoff_process(handoff_port, database_url, assistant.rasa_url, logs, PUBLIC_URL=handoff_url,
                              travel_to=OFFICE_HOURS)
    processes = [*assistant.processes, service]
    start_all(processes, [*assistant.ready_urls, f"{handoff_url}/health"])
    try:
        yield System(handoff_url, assistant.rasa_url, assistant.actions_url, CHANNEL_TOKEN, logs)
    finally:
        stop_all(processes)

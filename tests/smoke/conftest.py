"""Start the three real processes (Rasa, the action server, the handoff service) once for the smoke tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from processes import (
    CHANNEL_TOKEN,
    assistant_processes,
    base_env,
    free_port,
    handoff_process,
    migrate,
    start_all,
    stop_all,
)


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
    service = handoff_process(handoff_port, database_url, assistant.rasa_url, logs, PUBLIC_URL=handoff_url)
    processes = [*assistant.processes, service]
    start_all(processes, [*assistant.ready_urls, f"{handoff_url}/health"])
    try:
        yield System(handoff_url, assistant.rasa_url, assistant.actions_url, CHANNEL_TOKEN, logs)
    finally:
        stop_all(processes)

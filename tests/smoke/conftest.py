"""Start the three real processes (Rasa, the action server, the handoff service) once for the smoke tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"
BOT_BIN = ROOT / ".venv-bot" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class System:
    handoff_url: str
    rasa_url: str
    actions_url: str
    logs: Path


def _wait(url: str, processes: list[subprocess.Popen], limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited early with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {limit:.0f} s")


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    if not MODEL.exists():
        pytest.fail("No trained model: run `make train` first (make test does).")
    work = tmp_path_factory.mktemp("system")
    rasa_port, actions_port, handoff_port = free_port(), free_port(), free_port()
    env = dict(
        os.environ,
        PYTHONWARNINGS="ignore",
        SANIC_HOST="127.0.0.1",
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
        DATABASE_URL=f"sqlite:///{work}/handoff.db",
        RASA_URL=f"http://127.0.0.1:{rasa_port}",
        RASA_CHANNEL_TOKEN="smoke-test-channel-token",
    )
    subprocess.run([sys.executable, "-m", "handoff", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    commands = {
        "rasa": [str(BOT_BIN / "rasa"), "run", "--model", str(MODEL), "--credentials", "bot/credentials.yml",
                 "--endpoints", "bot/endpoints.yml", "--interface", "127.0.0.1", "--port", str(rasa_port)],
        "actions": [str(BOT_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
        "handoff": [sys.executable, "-m", "uvicorn", "handoff.main:create_app", "--factory", "--host", "127.0.0.1",
                    "--port", str(handoff_port)],
    }
    processes = []
    logs = []
    try:
        for name, command in commands.items():
            logs.append(open(work / f"{name}.log", "w"))
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT))
        _wait(f"http://127.0.0.1:{actions_port}/health", processes)
        _wait(f"http://127.0.0.1:{rasa_port}/webhooks/webchat/", processes)
        _wait(f"http://127.0.0.1:{handoff_port}/health", processes)
        yield System(
            handoff_url=f"http://127.0.0.1:{handoff_port}",
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            actions_url=f"http://127.0.0.1:{actions_port}",
            logs=work,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()

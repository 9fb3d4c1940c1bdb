"""Start and stop the real processes tests talk to: Rasa, the action server and the handoff service.

Import it as ``processes``: pytest puts ``tests/`` on ``sys.path`` for test folders that are packages
(those with an ``__init__.py``, such as ``tests/smoke`` and ``tests/browser``).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]
# ASSISTANT_MODEL points the tests at another trained model (make test trains models/assistant.tar.gz).
MODEL = Path(os.environ.get("ASSISTANT_MODEL") or ROOT / "models" / "assistant.tar.gz")
BOT_BIN = ROOT / ".venv-bot" / "bin"
CHANNEL_TOKEN = "test-channel-token"


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out to outgoing connections (32768 when it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now, for a server started later.

    It is picked at random below the kernel's ephemeral range: a port from bind(0) lies inside that range, so in
    the time between picking it and a child process binding it, any outgoing connection (the tests beside it make
    thousands) could be given it, and the server then fails with "Address already in use".
    """
    high = _ephemeral_low()
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(max(1024, high - 12000), high)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # below the range is full: fall back to the kernel's choice
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    """One child process with its output in a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[str] | None = field(default=None, repr=False)

    def start(self) -> Process:
        self._log = open(self.log_path, "a")  # closed in stop() and kill()
        self.popen = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """Stop at once, as a crash would: no clean shutdown, connections just drop."""
        if self.running:
            assert self.popen is not None
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._close_log()

    def stop(self, timeout: float = 20) -> None:
        if self.running:
            assert self.popen is not None
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_until_ready(url: str, processes: Iterable[Process], limit: float = 240) -> None:
    """Poll ``url`` until it answers 200; fail early, with the log, if a process exits."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for process in processes:
            if not process.running:
                code = process.popen.returncode if process.popen else None
                raise RuntimeError(f"{process.name} exited early with {code}:\n{process.log_tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {limit:.0f} s")


def stop_all(processes: Iterable[Process]) -> None:
    """Ask every process to stop, then wait for each (faster than one by one)."""
    processes = list(processes)
    for process in processes:
        if process.running:
            assert process.popen is not None
            process.popen.terminate()
    for process in processes:
        process.stop()


def base_env(**extra: str) -> dict[str, str]:
    """The environment of every child: this one's, quieter, with Sanic on loopback and a shared channel token."""
    return {**os.environ, "PYTHONWARNINGS": "ignore", "SANIC_HOST": "127.0.0.1", "RASA_CHANNEL_TOKEN": CHANNEL_TOKEN,
            **extra}


@dataclass
class Assistant:
    """The Rasa server and the action server."""

    rasa_url: str
    actions_url: str
    processes: list[Process]

    @property
    def ready_urls(self) -> list[str]:
        return [f"{self.actions_url}/health", f"{self.rasa_url}/webhooks/webchat/"]


def assistant_processes(logs: Path, handoff_url: str = "") -> Assistant:
    """Rasa and the action server on free loopback ports, not started yet.

    ``handoff_url`` is where the action server reaches the handoff service's API (asking for a person).
    """
    if not MODEL.exists():
        raise RuntimeError("No trained model: run `make train` first (make test does).")
    rasa_port, actions_port = free_port(), free_port()
    env = base_env(ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook", HANDOFF_URL=handoff_url)
    processes = [
        Process("actions", [str(BOT_BIN / "rasa"), "run", "actions", "--actions", "actions",
                            "--port", str(actions_port)], env, logs / "actions.log"),
        Process("rasa", [str(BOT_BIN / "rasa"), "run", "--model", str(MODEL), "--credentials", "bot/credentials.yml",
                         "--endpoints", "bot/endpoints.yml", "--interface", "127.0.0.1", "--port", str(rasa_port)],
                env, logs / "rasa.log"),
    ]
    return Assistant(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{actions_port}", processes)


def start_all(processes: list[Process], ready_urls: list[str], limit: float = 240) -> None:
    """Start the processes together and wait until every URL answers; stop them all if one fails."""
    for process in processes:
        process.start()
    try:
        for url in ready_urls:
            wait_until_ready(url, processes, limit)
    except BaseException:
        stop_all(processes)
        raise


def migrate(database_url: str, env: dict[str, str]) -> None:
    """Create the service's tables in a fresh database."""
    subprocess.run([sys.executable, "-m", "handoff", "migrate"], cwd=ROOT, check=True, capture_output=True,
                   env=dict(env, DATABASE_URL=database_url))


# Every simulated student and officer comes from 127.0.0.1: the limits per client address would hold them back.
# (tests/service/channels/test_client_limits.py tests the limits themselves.)
LOOPBACK_LIMITS = {"NEW_CONVERSATIONS_PER_ADDRESS": "100000/minute", "MAX_SOCKETS_PER_ADDRESS": "100000",
                   "REFUSAL_AUDITS_PER_ADDRESS": "100000/minute"}

# Runs uvicorn with the clock moved to argv[1] (ISO 8601) and ticking on from there: office hours, for example.
TRAVELLING_UVICORN = (
    "import datetime, sys, time_machine, uvicorn;"
    "time_machine.travel(datetime.datetime.fromisoformat(sys.argv[1]), tick=True).start();"
    "uvicorn.run('handoff.main:create_app', factory=True, host='127.0.0.1', port=int(sys.argv[2]),"
    " server_header=False, ws_max_size=65536)"
)


def handoff_process(port: int, database_url: str, rasa_url: str, logs: Path, name: str = "handoff",
                    travel_to: datetime | None = None, **extra: str) -> Process:
    """The handoff service as ``make run`` starts it, on a loopback port (not started yet).

    With ``travel_to`` the service's clock starts at that moment and runs on from there (the tests' own
    clock, the browser's and the assistant's are not moved).
    """
    env = base_env(DATABASE_URL=database_url, RASA_URL=rasa_url, **{**LOOPBACK_LIMITS, **extra})
    if travel_to is not None:
        command = [sys.executable, "-c", TRAVELLING_UVICORN, travel_to.isoformat(), str(port)]
    else:
        command = [sys.executable, "-m", "uvicorn", "handoff.main:create_app", "--factory", "--host", "127.0.0.1",
                   "--port", str(port), "--no-server-header", "--ws-max-size", "65536"]
    return Process(name, command, env, logs / f"{name}.log")


_CREATE_OFFICER = """
import asyncio, sys
from handoff.commands import with_database
from handoff.officers import service
from handoff.officers.models import Role

email, name, role, password, on_duty = sys.argv[1:6]

async def create(db, *_):
    officer = await service.create(db_session=db, email=email, display_name=name, role=Role(role), password=password)
    officer.on_duty = on_duty == "yes"
    await db.commit()

asyncio.run(with_database(create))
"""


def create_officer(database_url: str, email: str, name: str, password: str, *, role: str = "welfare_officer",
                   on_duty: bool = False) -> None:
    """A staff account in the service's database, made as ``python -m handoff create-officer`` makes one.

    In a child process: while Playwright's sync API runs, this process may not start an event loop of its own.
    """
    subprocess.run([sys.executable, "-c", _CREATE_OFFICER, email, name, role, password, "yes" if on_duty else "no"],
                   cwd=ROOT, check=True, capture_output=True, env=base_env(DATABASE_URL=database_url))


@dataclass
class System:
    """The whole system as the smoke tests start it: its address, its processes and where their output goes."""

    url: str
    rasa_url: str
    actions_url: str
    processes: list[Process]
    logs: Path


@contextmanager
def whole_system(logs: Path, officer: tuple[str, str, str], travel_to: datetime, *, on_duty: bool = False,
                 database_dir: Path | None = None) -> Iterator[System]:
    """Rasa, the action server and the handoff service on a fresh SQLite database with one welfare officer
    (email, name, password), each writing its output to a file in `logs`; all stopped afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    assistant = assistant_processes(logs, handoff_url=url)
    database_dir = database_dir or logs
    database_dir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{database_dir}/handoff.db"
    migrate(database_url, base_env())
    create_officer(database_url, *officer, on_duty=on_duty)
    service = handoff_process(port, database_url, assistant.rasa_url, logs, PUBLIC_URL=url, travel_to=travel_to)
    processes = [*assistant.processes, service]
    start_all(processes, [*assistant.ready_urls, f"{url}/health"])
    try:
        yield System(url, assistant.rasa_url, assistant.actions_url, processes, logs)
    finally:
        stop_all(processes)

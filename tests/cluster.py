"""Run the assistant as production does, on loopback: several service workers and Rasa servers sharing state.

One action server, N Rasa servers with the production endpoints (Redis lock and tracker stores), N handoff
workers (worker i talks to Rasa server i) with fan-out through Redis, a fresh migrated PostgreSQL database
and a Redis of its own. Import it as ``cluster`` from test folders that are packages (like ``processes``)::

    with running_cluster(tmp_path) as cluster:
        httpx.get(cluster.worker_urls[0] + "/health")
        cluster.workers[0].kill()

``PrivatePostgres`` and ``PrivateRedis`` are servers that only one test run uses, so fault tests can
restart them without disturbing anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from processes import (
    BOT_BIN,
    CHANNEL_TOKEN,
    MODEL,
    ROOT,
    Process,
    base_env,
    free_port,
    handoff_process,
    migrate,
    start_all,
    stop_all,
)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
API_TOKEN = "cluster-test-api-token"  # shared by the action server and the service
PRODUCTION_ENDPOINTS = "bot/endpoints.production.yml"
HANDOFF_REDIS_DB = 2  # Rasa's trackers and locks use databases 0 and 1 (bot/endpoints.production.yml)


def _wait_for_port(port: int, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {limit:.0f} s")


class PrivateRedis:
    """A redis-server on a free loopback port, with an append-only file so a restart keeps its data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> PrivateRedis:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
                   "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no",
                   "--logfile", str(self.folder / "redis.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Stop as an operator's restart would (SIGTERM: Redis finishes writing, then exits)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb, trust auth on loopback), run as the postgres user.

    Its folder is a fresh one under the system's temporary folder (the postgres user must be able to reach it);
    ``remove()`` stops the server and deletes it.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path(tempfile.mkdtemp(prefix="private-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
        self.bin = bins[-1]
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        """The admin URL (database ``postgres``)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_postgres, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> PrivatePostgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N",
                      "--no-instructions")
        self._pg_ctl("start", "-w", "-l", str(self.folder / "postgres.log"), "-o",
                     f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                     "-c max_connections=200")
        _wait_for_port(self.port)
        return self

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), *args)

    def stop(self, mode: str = "fast") -> None:
        """``fast`` disconnects clients and shuts down cleanly; ``immediate`` is a crash."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-w", "-m", mode)

    def restart(self, mode: str = "fast", down_for: float = 0.0) -> None:
        self.stop(mode)
        time.sleep(down_for)
        self.start()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def _admin_sql(server_url: str, statement: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def _delete_keys(url: str, pattern: str) -> None:
    """Remove what the cluster left in someone else's Redis (Rasa's trackers live for 30 days otherwise)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)
    finally:
        client.close()


class Balancer:
    """A TCP front door on loopback that sends each new connection to the next worker that accepts it.

    The action server reaches the service through it (as it would through a load balancer), so killing one
    worker does not cut the assistant off from the service.
    """

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._next = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        for _ in range(len(self.ports)):
            port = self.ports[self._next % len(self.ports)]
            self._next += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                continue
            upstream.settimeout(None)
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
            self._pipe(client, upstream)
            return
        client.close()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()


@dataclass
class Cluster:
    """What a test needs to talk to the cluster and to break parts of it."""

    worker_urls: list[str]
    rasa_urls: list[str]
    actions_url: str
    balancer_url: str  # one address for every worker, as a load balancer gives
    workers: list[Process]
    rasa: list[Process]
    actions: Process
    database_url: str
    redis_url: str
    channel_token: str
    api_token: str
    logs: Path
    env: dict[str, str] = field(repr=False)
    postgres: PrivatePostgres | None = None  # set when the cluster runs on a private server (restartable)
    redis: PrivateRedis | None = None

    @property
    def processes(self) -> list[Process]:
        return [self.actions, *self.rasa, *self.workers]

    def socket_url(self, index: int) -> str:
        """A worker's address as ws:// for the chat and console sockets."""
        return self.worker_urls[index].replace("http://", "ws://")


@contextlib.contextmanager
def running_cluster(logs: Path, *, workers: int = 2, rasa_servers: int = 2,
                    postgres: str | PrivatePostgres | None = None, redis: str | PrivateRedis | None = None,
                    travel_to: datetime | None = None, **extra_env: str) -> Iterator[Cluster]:
    """Start the cluster, yield it, stop everything and drop its database.

    ``postgres``: a server's admin URL (default TEST_DATABASE_URL, else the local server on 5432) or a started
    ``PrivatePostgres``; a fresh database is created there and migrated. ``redis``: a Redis URL whose database is
    flushed, or a started ``PrivateRedis``; by default a private redis-server is started for the cluster.
    ``travel_to`` starts the workers' clocks at that moment (office hours, say; see processes.handoff_process).
    ``extra_env`` is added to the environment of every worker (for example RATE_LIMIT_MESSAGES="5").
    """
    if not MODEL.exists():
        raise RuntimeError("No trained model: run `make train` first (make test does).")
    logs.mkdir(parents=True, exist_ok=True)
    private_redis: PrivateRedis | None = None
    own_redis = redis is None
    if redis is None:
        redis = private_redis = PrivateRedis(logs / "redis").start()
    elif isinstance(redis, PrivateRedis):
        private_redis = redis
    redis_server = redis.url if isinstance(redis, PrivateRedis) else redis
    server = postgres.url if isinstance(postgres, PrivatePostgres) else (
        postgres or os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES)
    server = server.replace("postgresql+asyncpg://", "postgresql://")
    name = f"cluster_{secrets.token_hex(4)}"
    prefix = f"cluster{secrets.token_hex(4)}"
    processes: list[Process] = []
    balancer: Balancer | None = None
    rasa_redis = ""
    try:
        _admin_sql(server, f'CREATE DATABASE "{name}"')
        database_url = server.rsplit("/", 1)[0] + f"/{name}"
        migrate(database_url, base_env())

        address = redis_server.removeprefix("redis://").split("/", 1)[0]  # [user:password@]host:port
        host, _, port = address.rpartition("@")[2].partition(":")
        rasa_redis = f"redis://{address}"  # Rasa's trackers and locks: databases 0 and 1, under the prefix
        if private_redis is None:  # someone else's server: start from an empty database
            _flush_redis(redis_server)
            handoff_redis = redis_server
        else:
            handoff_redis = f"{redis_server}/{HANDOFF_REDIS_DB}"
            for db in (0, 1, HANDOFF_REDIS_DB):
                _flush_redis(f"{redis_server}/{db}")

        worker_ports = [free_port() for _ in range(workers)]
        balancer = Balancer(worker_ports)
        actions_port = free_port()
        actions_url = f"http://127.0.0.1:{actions_port}"
        rasa_ports = [free_port() for _ in range(rasa_servers)]
        bot_env = base_env(ACTION_SERVER_URL=f"{actions_url}/webhook", HANDOFF_URL=balancer.url,
                           HANDOFF_API_TOKEN=API_TOKEN, RASA_REDIS_HOST=host or "127.0.0.1",
                           RASA_REDIS_PORT=port or "6379", RASA_REDIS_PREFIX=prefix,
                           RASA_REDIS_PASSWORD=address.rpartition("@")[0].partition(":")[2])
        actions = Process("actions", [str(BOT_BIN / "rasa"), "run", "actions", "--actions", "actions",
                                      "--port", str(actions_port)], bot_env, logs / "actions.log")
        rasa = [
            Process(f"rasa-{i}", [str(BOT_BIN / "rasa"), "run", "--model", str(MODEL), "--credentials",
                                  "bot/credentials.yml", "--endpoints", PRODUCTION_ENDPOINTS, "--interface",
                                  "127.0.0.1", "--port", str(port)], bot_env, logs / f"rasa-{i}.log")
            for i, port in enumerate(rasa_ports)
        ]
        rasa_urls = [f"http://127.0.0.1:{p}" for p in rasa_ports]
        # RASA_TRACKER_*: where the service's retention jobs find Rasa's copies of conversations.
        worker_env = {"REDIS_URL": handoff_redis, "REDIS_PREFIX": f"{prefix}:", "HANDOFF_API_TOKEN": API_TOKEN,
                      "RASA_TRACKER_STORE_URL": f"{rasa_redis}/0", "RASA_TRACKER_KEY_PREFIX": prefix, **extra_env}
        handoff_workers = [
            handoff_process(port, database_url, rasa_urls[i % rasa_servers], logs, name=f"worker-{i}",
                            travel_to=travel_to, PUBLIC_URL=f"http://127.0.0.1:{port}", **worker_env)
            for i, port in enumerate(worker_ports)
        ]
        worker_urls = [f"http://127.0.0.1:{p}" for p in worker_ports]
        processes = [actions, *rasa, *handoff_workers]
        ready = [f"{actions_url}/health", *(f"{u}/webhooks/webchat/" for u in rasa_urls),
                 *(f"{u}/health" for u in worker_urls)]
        start_all(processes, ready)
        yield Cluster(
            worker_urls=worker_urls, rasa_urls=rasa_urls, actions_url=actions_url, balancer_url=balancer.url,
            workers=handoff_workers, rasa=rasa, actions=actions, database_url=database_url,
            redis_url=handoff_redis, channel_token=CHANNEL_TOKEN, api_token=API_TOKEN, logs=logs,
            env=dict(worker_env, DATABASE_URL=database_url),
            postgres=postgres if isinstance(postgres, PrivatePostgres) else None, redis=private_redis,
        )
    finally:
        stop_all(processes)
        if balancer is not None:
            balancer.close()
        with contextlib.suppress(Exception):
            _admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if private_redis is None and rasa_redis:
            for db in (0, 1):
                with contextlib.suppress(Exception):
                    _delete_keys(f"{rasa_redis}/{db}", f"{prefix}:*")
        if own_redis and private_redis is not None:
            private_redis.stop()


__all__ = ["ROOT", "Balancer", "Cluster", "PrivatePostgres", "PrivateRedis", "running_cluster"]

"""Load on loopback: many web chat students and officers against two workers, two Rasa servers, one action server.

One cluster (tests/cluster.py: two handoff workers on a fresh PostgreSQL database, each with its own Rasa
server; Redis lock and tracker stores; one action server), then for each number of concurrent conversations
N (``--conversations 50 200``, after a first round with one conversation per worker as a baseline):

1. assistant: N clients send the same few messages straight to Rasa's webchat REST webhook, spread over the
   Rasa servers, and N students on ``/ws/chat`` (half on each worker) send them through the service and wait
   for the assistant's reply. The two take turns in passes, ABBA ABBA... (``--passes`` each way), so a drift
   in the machine's speed weighs on both alike. Both are reported (p50/p95/p99) with the difference and the
   ratio. The service's own time per message is measured apart from Rasa's: the service publishes ``typing
   on`` just before its call to Rasa and ``typing off`` just after it, so (reply on screen - send) - (typing
   off - typing on) is the time the student waits on the service itself (store, safety check, fan-out).
2. relay: every student asks for a person through the handoff API the action server uses; officers signed
   in on the OTHER worker take the cases one at a time each, watch them on the console socket, and messages
   go officer -> student (console API -> student's socket) and student -> officer (socket -> console socket).
3. errors, lost (acknowledged but never delivered, and any stored message the student's socket never got)
   and duplicated messages (the same seq twice on one socket); memory (VmRSS) of every process, and the CPU
   each used in each phase, per message.

People pause about ``--think`` seconds between messages: 10 by default, a brisk human pace in a chat (people
read the answer and type). ``--think 1`` is a stress test: on a small machine Rasa's CPU then runs out first
(about 20 to 40 ms of CPU per turn), and the figures measure the queue in front of Rasa more than the service.
Bounded: N students, ``--messages`` each per pass (fewer at 200), ``--relay-messages`` each way; each round
stops its phases when its share of ``--time-limit`` is used, and an alarm ends the run at the limit. Loopback
only; the database is dropped and the private redis-server stopped at the end.
Usage: .venv-handoff/bin/python bench/bench_load.py [--conversations 50 200] [--messages 2 1] [--passes 4]
       [--think 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg
import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import chat_client  # noqa: E402
from chat_client import Event, is_ack, is_assistant_message  # noqa: E402

from handoff.content import service_message  # noqa: E402
from handoff.core.security import token_hash  # noqa: E402

T = TypeVar("T")
PASSWORD = "bench officer password 123"
# What students ask: a greeting, then questions the assistant answers without starting a form.
QUESTIONS = [
    "hello",
    "what does consent mean",
    "is a disclosure the same as a report",
    "is this confidential",
    "what happens after I report",
    "what counts as harassment",
]
FALLBACK = service_message("assistant_unavailable", "webchat")
DEFAULT_RASA_TIMEOUT = 8.0  # the service's default: slower replies would get the fallback in production
WAIT = 60.0  # longest wait for any one event before it counts as lost


def run(coro: Awaitable[T]) -> T:
    """Run the clients on uvloop when it is installed (as uvicorn runs the service): the benchmark's own
    overhead per frame is then smaller than the differences it measures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Tally:
    """Figures for one N."""

    n: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    duplicated: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)  # wall time per phase
    cpu: dict[str, Counter[str]] = field(default_factory=dict)  # CPU seconds per phase, per process

    def add(self, name: str, ms: float) -> None:
        self.latencies.setdefault(name, []).append(ms)


class Inbox:
    """Arrival times of frames on one socket, by key; waiters are woken as frames come in."""

    def __init__(self) -> None:
        self.arrived: dict[Any, tuple[float, dict[str, Any]]] = {}
        self.waiters: dict[Any, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.seen: Counter[Any] = Counter()

    def put(self, key: Any, at: float, frame: dict[str, Any]) -> None:
        self.seen[key] += 1
        if key in self.arrived:
            return
        self.arrived[key] = (at, frame)
        waiter = self.waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result((at, frame))

    async def wait(self, key: Any, timeout: float = WAIT) -> tuple[float, dict[str, Any]] | None:
        if key in self.arrived:
            return self.arrived[key]
        waiter = self.waiters.setdefault(key, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except asyncio.TimeoutError:
            return None

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.seen.values() if count > 1)


@dataclass
class Turn:
    """One message to the assistant: when it was sent, and when the typing on/off and the reply arrived."""

    started: float = 0.0
    client_id: str = ""
    seq: int | None = None  # the student's message, from its ack: what comes before it belongs to earlier turns
    typing_on: float | None = None
    typing_off: float | None = None
    reply: tuple[float, dict[str, Any]] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Student(chat_client.Student):
    """One web chat (tests/chat_client.py) that counts its socket's errors and times the turn under way."""

    def __init__(self, number: int, worker: str, tally: Tally) -> None:
        super().__init__()
        self.number, self.worker, self.tally = number, worker, tally
        self.public_id = ""
        self.timed: Turn | None = None
        self.next_client_id = 0

    async def open(self) -> None:
        await self.connect(self.worker)

    def received(self, event: Event, at: float) -> None:
        """Every frame as it arrives: an error is counted; the timed turn takes its ack, typing and reply."""
        kind = event.get("type")
        if kind == "error":
            self.tally.errors[f"socket error {event.get('code')}"] += 1
        turn = self.timed
        if turn is None or turn.done.is_set():
            return
        if is_ack(event, turn.client_id):
            turn.seq = event["seq"]
        if turn.seq is None:
            return
        if kind == "typing" and event.get("on") is True and turn.typing_on is None:
            turn.typing_on = at
        elif kind == "typing" and event.get("on") is False and turn.typing_off is None:
            turn.typing_off = at
        elif is_assistant_message(event) and event["seq"] > turn.seq:
            turn.reply = (at, event)
            turn.done.set()

    async def send_timed(self, text: str, turn: Turn | None = None, payload: str | None = None) -> tuple[str, float]:
        """Send a message; with ``turn``, the reader times that turn's typing and reply from its ack on."""
        self.next_client_id += 1
        client_id = f"c{self.next_client_id}"
        if turn is not None:  # before sending, so the reader knows the ack when it comes
            turn.client_id = client_id
            self.timed = turn
        started = time.perf_counter()
        await self.send_without_waiting(text, payload=payload, client_id=client_id)
        return client_id, started

    async def ask_for_person(self) -> None:
        """Ask for a person as a student does: say so, share the chat, just talk (each answer waits its reply)."""
        for text, payload in (("talk to a person", None), ("Yes, share it", "/affirm"), ("Just talk", "/goal_talk")):
            turn = Turn()
            await self.send_timed(text, turn, payload)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(turn.done.wait(), WAIT)

    async def counted_ack(self, client_id: str) -> Event | None:
        """The ack, with a first send answered as a duplicate counted (the service stored it twice)."""
        ack = await self.ack(client_id, WAIT)
        if ack is not None and ack.get("duplicate"):
            self.tally.duplicated["a first send answered as a duplicate"] += 1
        return ack

    async def assistant_turn(self, text: str) -> None:
        """Send one message and time the assistant's reply; typing on/off bracket the service's call to Rasa."""
        tally = self.tally
        turn = Turn()
        client_id, turn.started = await self.send_timed(text, turn)
        tally.sent["student -> assistant"] += 1
        if await self.counted_ack(client_id) is None:
            tally.errors["no ack"] += 1
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(turn.done.wait(), WAIT)
        if turn.reply is None:
            tally.lost["assistant reply never arrived"] += 1
            return
        if turn.reply[1].get("text") == FALLBACK:
            tally.errors["assistant timed out (fallback sent)"] += 1
            return
        total = (turn.reply[0] - turn.started) * 1000
        tally.add("assistant reply, through the service", total)
        if turn.typing_on is not None and turn.typing_off is not None:
            rasa = (turn.typing_off - turn.typing_on) * 1000
            tally.add("time spent in the service's Rasa call", rasa)
            tally.add("service's own time per message", total - rasa)
            tally.add("  of which: send -> Rasa call starts", (turn.typing_on - turn.started) * 1000)
            tally.add("  of which: Rasa answered -> reply shown", (turn.reply[0] - turn.typing_off) * 1000)
        else:
            tally.errors["typing events missing"] += 1


class Officer:
    """A welfare officer signed in on one worker, with the console's live socket open."""

    def __init__(self, email: str, worker: str, tally: Tally) -> None:
        self.email, self.worker, self.tally = email, worker, tally
        self.http = httpx.AsyncClient(base_url=worker, timeout=WAIT)
        self.headers: dict[str, str] = {}
        self.ws: websockets.ClientConnection | None = None
        self.inbox = Inbox()
        self.reader: asyncio.Task[None] | None = None
        self.pong = asyncio.Event()
        self.watching = asyncio.Lock()
        self.taking = asyncio.Lock()

    async def open(self) -> None:
        page = await self.http.get("/console", follow_redirects=True)  # the sign-in form carries a CSRF token
        form = re.search(r'name="csrf" value="([^"]+)"', page.text)
        r = await self.http.post("/console/login", data={
            "email": self.email, "password": PASSWORD, "csrf": form.group(1) if form else ""})
        assert r.status_code in (200, 303), f"sign-in refused: {r.status_code}"
        me = (await self.http.get("/api/console/me")).json()
        self.headers = {"X-CSRF-Token": me["csrf_token"]}
        cookie = f"officer_session={self.http.cookies['officer_session']}"
        self.ws = await websockets.connect(self.worker.replace("http", "ws", 1) + "/ws/console",
                                           additional_headers={"Cookie": cookie}, max_queue=None,
                                           ping_interval=None)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                at = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") == "message" and frame.get("conversation"):
                    self.inbox.put((frame["conversation"], frame["seq"]), at, frame)
                elif frame.get("type") == "pong":
                    self.pong.set()

    async def watch(self, public_id: str) -> None:
        """Ask the console socket for the conversation's live messages; a ping's answer says it was read."""
        assert self.ws is not None
        async with self.watching:  # one at a time, so each pong answers this watch's ping
            self.pong.clear()
            await self.ws.send(json.dumps({"type": "watch", "conversation": public_id}))
            await self.ws.send(json.dumps({"type": "ping"}))
            await asyncio.wait_for(self.pong.wait(), WAIT)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(f"/api/console{path}", json=body or {}, headers=self.headers)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        await self.http.aclose()


# The run --------------------------------------------------------------------------------------------


@dataclass
class Target:
    """What the bench talks to: the cluster's addresses, secrets and processes."""

    workers: list[str]
    rasa: list[str]
    database_url: str
    channel_token: str
    api_token: str
    processes: list[Any]  # tests/processes.Process


async def gather_counted(tally: Tally, coros: list[Awaitable[None]]) -> None:
    """Run every person's part at once; one that fails is counted, and the others carry on."""
    for result in await asyncio.gather(*coros, return_exceptions=True):
        if isinstance(result, Exception):
            tally.errors[f"{type(result).__name__}: {str(result)[:80]}"] += 1
        elif isinstance(result, BaseException):
            raise result


async def think(mean: float) -> None:
    if mean > 0:
        await asyncio.sleep(random.uniform(0.5 * mean, 1.5 * mean))


def questions(start: int, count: int) -> list[str]:
    """``count`` questions from the list, from ``start`` on (round the list again if need be)."""
    return [QUESTIONS[(start + i) % len(QUESTIONS)] for i in range(count)]


async def assistant_phase(target: Target, tally: Tally, students: list[Student], texts: list[str],
                          pause: float) -> None:
    async def one(student: Student) -> None:
        await think(pause)  # students arrive spread out, not all in the same millisecond
        for text in texts:
            await student.assistant_turn(text)
            await think(pause)

    await gather_counted(tally, [one(s) for s in students])


async def direct_phase(target: Target, tally: Tally, n: int, texts: list[str], pause: float, run: str) -> None:
    """The same messages, the same concurrency, straight to Rasa's webchat REST webhook (``run`` names the
    senders, so a round's second pass continues its conversations as the service's second pass does)."""
    headers = {"x-channel-token": target.channel_token} if target.channel_token else {}
    session = aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=WAIT),
                                    connector=aiohttp.TCPConnector(limit=n))

    async def one(i: int) -> None:
        url = target.rasa[i % len(target.rasa)] + "/webhooks/webchat/webhook"
        await think(pause)
        for text in texts:
            tally.sent["direct -> Rasa"] += 1
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": f"direct-{run}-{i}", "message": text,
                                                   "metadata": {"institution_id": "bench"}}) as r:
                    r.raise_for_status()
                    body = await r.json()
                if not body:
                    tally.errors["Rasa answered with no message"] += 1
                    continue
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                tally.errors[f"direct Rasa call failed ({type(exc).__name__})"] += 1
                continue
            tally.add("assistant reply, Rasa webhook directly", (time.perf_counter() - started) * 1000)
            await think(pause)

    try:
        await gather_counted(tally, [one(i) for i in range(n)])
    finally:
        await session.close()


async def relay_phase(target: Target, tally: Tally, students: list[Student], officers: list[Officer],
                      rounds: int, pause: float, takes_at_once: bool = False) -> None:
    """Each student asks for a person; an officer on the other worker takes the case; messages both ways."""
    workers = target.workers
    by_worker = {w: [o for o in officers if o.worker == w] for w in workers}

    async def one(student: Student) -> None:
        other = workers[(workers.index(student.worker) + 1) % len(workers)]
        pool = by_worker[other] or officers
        officer = pool[student.number // len(workers) % len(pool)]
        await think(pause)
        await student.ask_for_person()  # through the assistant, which asks the service for a case in its turn
        # A person takes one conversation at a time; --takes-at-once sends all of an officer's takes together.
        async with contextlib.nullcontext() if takes_at_once else officer.taking:
            deadline = time.monotonic() + WAIT
            while True:  # the case joins the queue at the end of the assistant's last turn
                r = await officer.post(f"/conversations/{student.public_id}/take")
                if r.status_code == 200 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            if r.status_code != 200:
                tally.errors[f"take refused ({r.status_code} {r.text[:60]})"] += 1
                return
            await officer.watch(student.public_id)
        for _ in range(rounds):
            await think(pause)
            started = time.perf_counter()
            tally.sent["officer -> student"] += 1
            r = await officer.post(f"/conversations/{student.public_id}/messages", {"text": "I am here to listen."})
            if r.status_code != 200:
                tally.errors[f"officer message refused ({r.status_code})"] += 1
                continue
            seq = r.json()["seq"]
            if await student.first(lambda m, seq=seq: m["seq"] == seq, WAIT) is None:
                tally.lost["officer -> student"] += 1
            else:
                tally.add("relay officer -> student", (student.arrived[seq] - started) * 1000)
            if await officer.inbox.wait((student.public_id, seq)) is None:
                tally.lost["officer's own message on the console"] += 1
            await think(pause)
            tally.sent["student -> officer"] += 1
            client_id, started = await student.send_timed("Thank you, that helps.")
            ack = await student.counted_ack(client_id)
            if ack is None:
                tally.errors["no ack"] += 1
                continue
            got = await officer.inbox.wait((student.public_id, ack["seq"]))
            if got is None:
                tally.lost["student -> officer"] += 1
            else:
                tally.add("relay student -> officer", (got[0] - started) * 1000)

    await gather_counted(tally, [one(s) for s in students])
    tally.latencies["relay, both directions"] = [
        *tally.latencies.get("relay officer -> student", []), *tally.latencies.get("relay student -> officer", [])]


async def find_public_ids(database_url: str, students: list[Student]) -> None:
    """The web chat never shows its public id; the service's database maps the resume token to it."""
    db = await asyncpg.connect(database_url)
    try:
        rows = await db.fetch("SELECT token_hash, public_id FROM conversations WHERE token_hash = ANY($1::text[])",
                              [token_hash(s.token) for s in students])
    finally:
        await db.close()
    ids = {row["token_hash"]: row["public_id"] for row in rows}
    for student in students:
        student.public_id = ids[token_hash(student.token)]


async def check_delivery(database_url: str, tally: Tally, students: list[Student]) -> None:
    """Every message the service stored for a conversation reached the student's socket exactly once."""
    await asyncio.sleep(2)
    db = await asyncpg.connect(database_url)
    try:
        rows = await db.fetch("SELECT public_id, last_seq FROM conversations WHERE public_id = ANY($1::text[])",
                              [s.public_id for s in students])
    finally:
        await db.close()
    last = {row["public_id"]: row["last_seq"] for row in rows}
    for student in students:
        missing = set(range(1, last.get(student.public_id, 0) + 1)) - set(student.messages)
        if missing:
            tally.lost["stored but never shown to the student"] += len(missing)
        if student.duplicates_on_a_socket:
            tally.duplicated["same seq twice on a student's socket"] += len(student.duplicates_on_a_socket)


async def warm_up(target: Target) -> None:
    """A few unmeasured turns on every Rasa server and every worker: the first messages load lazily."""
    tally = Tally(0)
    await direct_phase(target, tally, 2 * len(target.rasa), questions(0, 2), 0, "warm-up")
    students = [Student(i, worker, tally) for i, worker in enumerate(target.workers)]
    try:
        for student in students:
            await student.open()
        await assistant_phase(target, tally, students, questions(0, 2), 0)
    finally:
        for student in students:
            await student.disconnect()
    if tally.errors or tally.lost:
        raise RuntimeError(f"the cluster does not answer properly: {dict(tally.errors)} {dict(tally.lost)}")


async def run_round(target: Target, n: int, messages: int, passes: int, rounds: int, officers_count: int,
                    pause: float, officer_emails: list[str], until: float, takes_at_once: bool = False) -> Tally:
    """One N: straight to Rasa, through the service, relay, delivery check; stops a phase at ``until``."""
    tally = Tally(n)
    workers = target.workers
    students = [Student(i, workers[i % len(workers)], tally) for i in range(n)]
    officers = [Officer(email, workers[i % len(workers)], tally)
                for i, email in enumerate(officer_emails[:officers_count])]
    started = time.perf_counter()

    def progress(what: str) -> None:
        print(f"  [{n} conversations, {time.perf_counter() - started:4.0f} s] {what}")

    async def within(coro: Awaitable[None], what: str) -> None:
        try:
            await asyncio.wait_for(coro, max(1.0, until - time.perf_counter()))
        except asyncio.TimeoutError:
            tally.errors[f"{what} stopped: out of time"] += 1

    try:
        for batch in range(0, n, 50):
            await gather_counted(tally, [s.open() for s in students[batch:batch + 50]])
        students = [s for s in students if s.token]
        await find_public_ids(target.database_url, students)
        progress(f"{len(students)} chats open")
        # The two ways to the assistant take turns, ABBA ABBA..., so that a drift in the machine's speed over the
        # run (Rasa's trackers growing, other work) weighs on both alike; each pass has all N conversations, and
        # the k-th pass of each way sends the same questions.
        direct_run = secrets.token_hex(3)
        done = {"straight to Rasa": 0, "through the service": 0}
        for k in range(2 * passes):
            name = "straight to Rasa" if k % 4 in (0, 3) else "through the service"
            texts = questions(done[name] * messages, messages)
            done[name] += 1
            progress(f"the assistant, {name}")
            phase = (direct_phase(target, tally, n, texts, pause, direct_run) if name == "straight to Rasa"
                     else assistant_phase(target, tally, students, texts, pause))
            with measured(target, tally, f"assistant, {name}"):
                await within(phase, name)
        progress("officers sign in on the other worker; relay")
        for officer in officers:
            await officer.open()
        with measured(target, tally, "relay"):
            await within(relay_phase(target, tally, students, officers, rounds, pause, takes_at_once), "relay")
        progress("checking that every stored message reached its student")
        await check_delivery(target.database_url, tally, students)
        for officer in officers:
            if officer.inbox.duplicates:
                tally.duplicated["same message twice on a console"] += officer.inbox.duplicates
    finally:
        for student in students:
            with contextlib.suppress(Exception):
                await student.disconnect()
        for officer in officers:
            with contextlib.suppress(Exception):
                await officer.close()
    return tally


# Starting and stopping ----------------------------------------------------------------------------


def rss(pid: int) -> int:
    """Resident memory of one process, in MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids(target: Target) -> list[tuple[str, int]]:
    rows = [(p.name, p.popen.pid) for p in target.processes if p.popen is not None]
    return [*rows, ("bench client", os.getpid())]


@contextlib.contextmanager
def measured(target: Target, tally: Tally, phase: str) -> Iterator[None]:
    """Add the wall time and every process's CPU time of the block to the phase's totals."""
    before = {name: cpu_seconds(pid) for name, pid in pids(target)}
    started = time.perf_counter()
    try:
        yield
    finally:
        tally.seconds[phase] += time.perf_counter() - started
        used = tally.cpu.setdefault(phase, Counter())
        for name, pid in pids(target):
            used[name] += cpu_seconds(pid) - before[name]


def usage(target: Target, tally: Tally) -> None:
    """Memory now; CPU per process and per message in each phase."""
    print("  memory (VmRSS) at the end: " + ", ".join(f"{name} {rss(pid)} MiB" for name, pid in pids(target)))
    messages = {"assistant, straight to Rasa": tally.sent["direct -> Rasa"],
                "assistant, through the service": tally.sent["student -> assistant"],
                "relay": tally.sent["officer -> student"] + tally.sent["student -> officer"]}
    for phase, used in tally.cpu.items():
        count = messages.get(phase, 0)
        wall = tally.seconds[phase]
        rasa = sum(v for k, v in used.items() if k.startswith("rasa"))
        workers = sum(v for k, v in used.items() if k.startswith("worker"))
        busy = sum(used.values()) / wall if wall else 0.0
        per = f"; per message: Rasa {1000 * rasa / count:.1f} ms, workers {1000 * workers / count:.1f} ms" \
            if count else ""
        print(f"  CPU, {phase} ({count} messages in {wall:.0f} s; {busy:.2f} of {os.cpu_count()} cores busy with "
              f"these processes){per}")
        print("    " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in used.items()))


def bench_profile(folder: Path) -> None:
    """The example institution, open every hour of every day, so a person can be asked for at any time."""
    import yaml

    profile = yaml.safe_load((ROOT / "data" / "institutions" / "example.yml").read_text())
    profile["id"] = "bench"
    profile["office_hours"] = {day: "00:00-24:00" for day in
                               ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    profile["office_hours"]["closed_on_bank_holidays"] = False
    (folder / "bench.yml").write_text(yaml.safe_dump(profile))


@contextlib.contextmanager
def started(logs: Path, args: argparse.Namespace, env: dict[str, str]) -> Iterator[Target]:
    """Two workers, two Rasa servers and one action server (tests/cluster.py), on a fresh database."""
    from cluster import running_cluster

    with running_cluster(logs, workers=2, rasa_servers=2, postgres=args.admin_database_url,
                         redis=args.redis_url or None, **env) as cluster:
        yield Target(workers=list(cluster.worker_urls), rasa=list(cluster.rasa_urls),
                     database_url=cluster.database_url, channel_token=cluster.channel_token,
                     api_token=cluster.api_token, processes=list(cluster.processes))


async def create_officers(database_url: str, count: int, prefix: str) -> list[str]:
    """Welfare officers on duty, made with the service's own account functions.

    Each round has officers of its own: an officer whose console closed at the end of an earlier round is
    treated as disconnected 45 seconds later, which would move their conversations back to the queue.
    """
    from handoff.core.config import Settings
    from handoff.core.db import create_engine, create_sessionmaker
    from handoff.officers import service
    from handoff.officers.models import Role

    engine = create_engine(Settings(database_url=database_url, _env_file=None).async_database_url)
    emails = [f"{prefix}-officer{i}@bench.example.ac.uk" for i in range(count)]
    try:
        async with create_sessionmaker(engine)() as db:
            for email in emails:
                officer = await service.create(db_session=db, email=email, display_name=email.split("@")[0].title(),
                                               role=Role.welfare_officer, password=PASSWORD)
                officer.on_duty = True
            await db.commit()
    finally:
        await engine.dispose()
    return emails


def report(tally: Tally, messages: int, rounds: int, officers: int, pause: float) -> None:
    print(f"\n== {tally.n} concurrent conversations: {messages} messages each to the assistant per pass, passes taking "
          f"turns straight to Rasa and through the service; {rounds} each way with {officers} officers on the other "
          f"worker; think time {pause:.1f} s on average ==")
    print(f"  {'':44s} {'count':>6s} {'p50':>8s} {'p95':>8s} {'p99':>8s} {'max':>8s}  (ms)")
    for name, values in tally.latencies.items():
        if values:
            print(f"  {name:44s} {len(values):6d} {statistics.median(values):8.1f} {pct(values, 95):8.1f}"
                  f" {pct(values, 99):8.1f} {max(values):8.1f}")
    service = tally.latencies.get("assistant reply, through the service", [])
    direct = tally.latencies.get("assistant reply, Rasa webhook directly", [])
    if service and direct:
        for label, p in (("p50", 50.0), ("p95", 95.0), ("p99", 99.0)):
            print(f"  service vs Rasa directly at {label}: {pct(service, p) - pct(direct, p):+.1f} ms, "
                  f"ratio {pct(service, p) / pct(direct, p):.2f}")
    slow = [v for v in service if v > DEFAULT_RASA_TIMEOUT * 1000]
    if slow:
        print(f"  {len(slow)} replies took longer than the default RASA_TIMEOUT ({DEFAULT_RASA_TIMEOUT:.0f} s)")
    print("  sent: " + ", ".join(f"{k} {v}" for k, v in tally.sent.items()))
    print(f"  errors: {sum(tally.errors.values())} " + (str(dict(tally.errors)) if tally.errors else ""))
    print(f"  lost: {sum(tally.lost.values())} " + (str(dict(tally.lost)) if tally.lost else ""))
    print(f"  duplicated: {sum(tally.duplicated.values())} "
          + (str(dict(tally.duplicated)) if tally.duplicated else ""))
    print("  phase durations: " + ", ".join(f"{k} {v:.0f} s" for k, v in tally.seconds.items()))


def targets(tallies: list[Tally]) -> None:
    """The targets the service is held to, against what this run measured."""
    print("\n== targets ==")
    for tally in tallies:
        service = tally.latencies.get("assistant reply, through the service", [])
        direct = tally.latencies.get("assistant reply, Rasa webhook directly", [])
        own = tally.latencies.get("service's own time per message", [])
        relay = tally.latencies.get("relay, both directions", [])
        lost, duplicated = sum(tally.lost.values()), sum(tally.duplicated.values())
        print(f"  {tally.n} conversations: lost {lost}, duplicated {duplicated} (target 0, 0): "
              f"{'met' if not lost and not duplicated else 'NOT met'}")
        if tally.n == 50 and service and direct and own:
            over = pct(service, 95) - pct(direct, 95)
            print(f"  {tally.n} conversations: service over Rasa alone at p95 {over:+.1f} ms; the service's own time "
                  f"per message at p95 {pct(own, 95):.1f} ms (target at most 10): "
                  f"{'met' if over <= 10 and pct(own, 95) <= 10 else 'NOT met'}")
        if tally.n == 200 and relay:
            print(f"  {tally.n} conversations: officer <-> student relay p95 {pct(relay, 95):.1f} ms across the two "
                  f"workers (target at most 50): {'met' if pct(relay, 95) <= 50 else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--messages", type=int, nargs="+", default=[2, 1],
                        help="messages each student sends to the assistant in each pass, per --conversations value "
                             "(the last repeats)")
    parser.add_argument("--passes", type=int, default=4,
                        help="passes each way (straight to Rasa, through the service), in the order ABBA ABBA...")
    parser.add_argument("--relay-messages", type=int, default=3, help="officer <-> student messages, each way")
    parser.add_argument("--officers", type=int, default=0, help="officers (default: one per 10 conversations)")
    parser.add_argument("--think", type=float, default=10.0, help="mean pause between a person's messages (s)")
    parser.add_argument("--takes-at-once", action="store_true",
                        help="each officer takes all their conversations at the same moment (a burst)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false",
                        help="skip the first round with one conversation per worker")
    parser.add_argument("--time-limit", type=float, default=1800, help="hard limit for the whole run (s)")
    parser.add_argument("--admin-database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="",
                        help="a Redis database to flush and use, e.g. redis://127.0.0.1:6379/13 (default: a private "
                             "redis-server on a free loopback port, so no one else's data or channels are touched)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    def out_of_time(*_: object) -> None:
        raise TimeoutError(f"the benchmark passed its {args.time_limit:.0f} s limit")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(args.time_limit))
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    bench_profile(work)
    env = {"INSTITUTIONS_DIR": str(work), "INSTITUTION_ID": "bench", "RASA_TIMEOUT": "60"}
    started_at = time.perf_counter()
    tallies = []
    try:
        with started(work, args, env) as target:
            print(f"cluster up in {time.perf_counter() - started_at:.0f} s: workers {target.workers}, "
                  f"Rasa {target.rasa}")
            run(warm_up(target))
            rounds = [(n, args.messages[min(i, len(args.messages) - 1)], args.officers or max(2, n // 10))
                      for i, n in enumerate(args.conversations)]
            if args.baseline:  # one conversation per worker at a time: the service's cost without contention
                rounds.insert(0, (len(target.workers), 2, len(target.workers)))
            # People's pauses set how long a round takes: about (messages + 1) pauses a pass, two a relay message.
            pauses = [2 * args.passes * (messages + 1) + 2 * args.relay_messages + 4 for _, messages, _ in rounds]
            for i, (n, messages, officers) in enumerate(rounds):
                emails = run(create_officers(target.database_url, officers, f"n{n}"))
                # Each round may use its share of what is left, keeping a minute for stopping the cluster.
                left = args.time_limit - 60 - (time.perf_counter() - started_at)
                share = left * pauses[i] / sum(pauses[i:])
                tally = run(run_round(target, n, messages, args.passes, args.relay_messages, officers, args.think,
                                      emails, time.perf_counter() + share, args.takes_at_once))
                tallies.append(tally)
                report(tally, messages, args.relay_messages, officers, args.think)
                usage(target, tally)
                print("  load average while it ran (1 min, this machine, everything on it): "
                      f"{os.getloadavg()[0]:.1f}")
    finally:
        signal.alarm(0)
        shutil.rmtree(work, ignore_errors=True)
    targets(tallies)
    print(f"\ntotal {time.perf_counter() - started_at:.0f} s on {os.cpu_count()} CPUs (loopback)")
    return 0 if all(not t.lost and not t.duplicated for t in tallies) else 1


if __name__ == "__main__":
    sys.exit(main())

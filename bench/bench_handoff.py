"""Handoff latency on loopback: request -> case in an open console; officer's send -> student's screen.

Starts the handoff service (uvicorn, SQLite file) on a free port, signs an officer in, keeps a console
socket open, and runs N handoffs: each student opens a web chat and asks for a person,
the officer takes the conversation and sends messages. Bounded: N handoffs, a few messages each.
Usage: .venv-handoff/bin/python bench/bench_handoff.py [N]
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from chat_client import Student, open_chat, ws_url  # noqa: E402

PASSWORD = "bench password 123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(base: str, n: int) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(base_url=base, timeout=20) as officer:
        page = (await officer.get("/console")).text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token, "the sign-in page has no form token"
        r = await officer.post("/console/login", data={"email": "bench@example.ac.uk", "password": PASSWORD,
                                                       "csrf": token.group(1)}, headers={"Origin": base})
        assert r.status_code in (200, 303), r.status_code
        me = (await officer.get("/api/console/me")).json()
        headers = {"X-CSRF-Token": me["csrf_token"]}
        await officer.post("/api/console/duty", json={"on_duty": True}, headers=headers)
        cookie = f"officer_session={officer.cookies['officer_session']}"
        to_console, to_student = [], []
        async with websockets.connect(f"{ws_url(base)}/ws/console", additional_headers={"Cookie": cookie}) as console:
            for _ in range(n):
                async with open_chat(base) as student:
                    sender = await _sender_id(student)
                    started = time.perf_counter()
                    # As a student asks (the assistant is down here, so the service opens the case itself).
                    await student.send_without_waiting("talk to a person")
                    while True:
                        event = json.loads(await console.recv())
                        if event.get("type") == "joined" and event.get("conversation") == sender:
                            to_console.append((time.perf_counter() - started) * 1000)
                            break
                    await officer.post(f"/api/console/conversations/{sender}/take", headers=headers)
                    for k in range(5):
                        sent = time.perf_counter()
                        r = await officer.post(f"/api/console/conversations/{sender}/messages",
                                               json={"text": f"message {k}"}, headers=headers)
                        seq = r.json()["seq"]
                        await student.wait_for(lambda m, seq=seq: m["seq"] == seq)
                        # the moment the student's socket had it, whenever this loop got to look
                        to_student.append((student.arrived[seq] - sent) * 1000)
                    await officer.post(f"/api/console/conversations/{sender}/close",
                                       json={"outcome": "support_given", "category": "other"}, headers=headers)
        return to_console, to_student


async def _sender_id(student: Student) -> str:
    await student.send("hello")  # once it is acknowledged, the conversation is in the database
    # The web chat never shows its public id; the service's database is the only place that has it.
    import sqlite3

    db = sqlite3.connect(os.environ["BENCH_DB"])
    try:
        return db.execute("SELECT public_id FROM conversations ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        db.close()


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    work = Path(tempfile.mkdtemp())
    port = free_port()
    db_file = work / "bench.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db_file}", RASA_URL="http://127.0.0.1:9", RASA_TIMEOUT="1",
               PUBLIC_URL=f"http://127.0.0.1:{port}",
               # every simulated student comes from 127.0.0.1: no limit per client address
               NEW_CONVERSATIONS_PER_ADDRESS="100000/minute", MAX_SOCKETS_PER_ADDRESS="100000")
    os.environ["BENCH_DB"] = str(db_file)
    py = sys.executable
    subprocess.run([py, "-m", "handoff", "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([py, "-c", (
        "import asyncio; from handoff.commands import with_database; from handoff.officers import service as s;"
        "from handoff.officers.models import Role;"
        f"asyncio.run(with_database(lambda db, *_: s.create(db_session=db, email='bench@example.ac.uk',"
        f" display_name='Bench', role=Role.welfare_officer, password='{PASSWORD}')))")],
        env=env, check=True, cwd=ROOT)
    # Office hours come from the institution profile: run the service at a time the team is in.
    server = subprocess.Popen(
        [py, "-c", (
            "import time_machine, datetime, uvicorn, zoneinfo;"
            "t = datetime.datetime(2026, 11, 24, 11, 0, tzinfo=zoneinfo.ZoneInfo('Europe/London'));"
            "time_machine.travel(t, tick=True).start();"
            f"uvicorn.run('handoff.main:create_app', factory=True, host='127.0.0.1', port={port},"
            " log_level='warning')")],
        env=env, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        to_console, to_student = asyncio.run(run(f"http://127.0.0.1:{port}", n))
    finally:
        server.terminate()
        server.wait(10)
    print(f"handoffs: {n}; officer messages: {len(to_student)} (SQLite, one worker, loopback)")
    for name, values in (("request -> case in open console", to_console),
                         ("officer send -> student's screen", to_student)):
        print(f"  {name:34s} p50 {statistics.median(values):6.1f} ms   p95 {pct(values, 95):6.1f} ms"
              f"   max {max(values):6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

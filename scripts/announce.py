"""Wait until every process answers, then say where to go. Runs beside the others under honcho."""

from __future__ import annotations

import os
import signal
import sys
import time

import httpx

BASE = f"http://127.0.0.1:{os.environ.get('HANDOFF_PORT', '8000')}"
ACTIONS = f"http://127.0.0.1:{os.environ.get('ACTIONS_PORT', '5055')}/health"
LIMIT = float(os.environ.get("READY_TIMEOUT", "300"))


def ready() -> bool:
    try:
        health = httpx.get(f"{BASE}/health", timeout=2).json()
        actions = httpx.get(ACTIONS, timeout=2).status_code == 200
    except (httpx.HTTPError, ValueError):
        return False
    return health.get("database") == "ok" and health.get("rasa") == "ok" and actions


def main() -> int:
    started = time.monotonic()
    while not ready():
        if time.monotonic() - started > LIMIT:
            print(f"Not ready after {LIMIT:.0f} s: see the other processes' output above.", flush=True)
            return 1
        time.sleep(0.5)
    print(
        f"\nReady in {time.monotonic() - started:.1f} s.\n"
        f"  Web chat:        {BASE}/\n"
        f"  Officer console: {BASE}/console\n"
        f"  API docs:        {BASE}/docs\n"
        f"  Health:          {BASE}/health\n"
        "Press Ctrl-C to stop everything.\n",
        flush=True,
    )
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    sys.exit(main())

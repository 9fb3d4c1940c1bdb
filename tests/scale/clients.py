"""Clients for the cluster tests: a student on the web chat socket (the shared ``chat_client.Student``, taken from
here with the officer) and an officer on the console, each able to move to another worker when theirs goes away, as
the browser pages do."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from chat_client import Event, ws_url
from chat_client import Student as Student

PASSWORD = "a long enough password for tests"


class Officer:
    """A signed-in officer: the console API over HTTP and the console socket, on any worker.

    ``events`` is what arrived live on the console socket(s); ``reloaded`` what the transcript gave after a
    reconnection, as the console page loads it.
    """

    def __init__(self, email: str) -> None:
        self.email = email
        self.cookies = httpx.Cookies()
        self.csrf = ""
        self.url = ""
        self.events: list[Event] = []
        self.closes: list[int] = []
        self.reloaded: list[Event] = []  # messages from transcripts loaded after a reconnection
        self.duplicates_on_a_socket: list[tuple[str, int]] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnect: asyncio.Task[None] | None = None
        self._keep_open = False
        self._watching: set[str] = set()
        self._changed = asyncio.Event()

    def _client(self, url: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=url or self.url, cookies=self.cookies, timeout=30)

    async def sign_in(self, url: str) -> None:
        self.url = url
        async with self._client() as client:
            page = await client.get("/console")
            match = re.search(r'name="csrf" value="([^"]+)"', page.text)
            form = {"email": self.email, "password": PASSWORD, **({"csrf": match.group(1)} if match else {})}
            response = await client.post("/console/login", data=form, follow_redirects=False)
            assert response.status_code == 303, response.text[:500]
            self.cookies.update(client.cookies)
            me = await client.get("/api/console/me")
            assert me.status_code == 200, me.text
            self.csrf = me.json()["csrf_token"]
            self.cookies.update(client.cookies)

    async def get(self, path: str, url: str | None = None) -> httpx.Response:
        async with self._client(url) as client:
            return await client.get(f"/api/console{path}")

    async def post(self, path: str, body: Event | None = None, url: str | None = None) -> httpx.Response:
        async with self._client(url) as client:
            return await client.post(f"/api/console{path}", json=body or {}, headers={"X-CSRF-Token": self.csrf})

    async def take(self, public_id: str) -> None:
        response = await self.post(f"/conversations/{public_id}/take")
        assert response.status_code == 200, response.text

    async def reply(self, public_id: str, text: str) -> int:
        """An acknowledged reply (the service answered 200 with the stored message)."""
        response = await self.post(f"/conversations/{public_id}/messages", {"text": text})
        assert response.status_code == 200, response.text
        return response.json()["seq"]

    async def transcript(self, public_id: str) -> list[Event]:
        response = await self.get(f"/conversations/{public_id}")
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    async def queue(self) -> list[Event]:
        response = await self.get("/queue")
        assert response.status_code == 200, response.text
        return response.json()

    # the console socket -------------------------------------------------------------------------------
    async def open_console(self, url: str | None = None) -> None:
        """Open the console socket. Like the console page, reconnect when it closes (unless signed out) and
        reload the watched conversations' transcripts to fill any gap."""
        await self.close_console()
        self._keep_open = True
        await self._connect(url or self.url)
        # On duty counts only while a console is open, and a duty left on with no console lapses: switch it on.
        response = await self.post("/duty", {"on_duty": True})
        assert response.status_code == 200, response.text

    async def _connect(self, url: str) -> None:
        self.url = url
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        ws = await websockets.connect(ws_url(self.url) + "/ws/console", open_timeout=10, ping_interval=None,
                                      additional_headers={"Cookie": cookie}, origin=self.url)
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws))
        for public_id in self._watching:
            await ws.send(json.dumps({"type": "watch", "conversation": public_id}))
            for message in await self.transcript(public_id):
                self.reloaded.append({**message, "conversation": public_id})
        self._changed.set()

    async def _read(self, ws: Any) -> None:
        seen_here: set[tuple[str, int]] = set()
        try:
            async for raw in ws:
                event = json.loads(raw)
                if event.get("type") == "message":
                    key = (event.get("conversation", ""), event["seq"])
                    if key in seen_here:
                        self.duplicates_on_a_socket.append(key)
                    seen_here.add(key)
                self.events.append(event)
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        self.closes.append(ws.close_code or 0)
        self._changed.set()
        if self._keep_open and ws.close_code != 4401:
            self._reconnect = asyncio.create_task(self._reconnect_soon())

    async def _reconnect_soon(self) -> None:
        for delay in (0.4, 0.8, 1.6, 3.2, 6.4, 8, 8, 8):
            await asyncio.sleep(delay)
            try:
                await self._connect(self.url)
                return
            except (OSError, websockets.WebSocketException, httpx.HTTPError, AssertionError):
                continue

    @property
    def console_open(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def watch(self, public_id: str) -> None:
        self._watching.add(public_id)
        await self._ws.send(json.dumps({"type": "watch", "conversation": public_id}))
        await asyncio.sleep(0.3)  # the subscription is made on the worker before the next event

    async def close_console(self) -> None:
        self._keep_open = False
        if self._reconnect is not None:
            self._reconnect.cancel()
            self._reconnect = None
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 5)
        self._ws = self._reader = None

    async def wait_for_event(self, predicate: Callable[[Event], bool], limit: float = 30) -> Event:
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            for event in self.events + self.reloaded:
                if predicate(event):
                    return event
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no matching console event in {self.events[-20:]}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1))

    def live_messages(self, public_id: str) -> Counter[int]:
        """How often each seq of the conversation arrived live on the console socket(s)."""
        return Counter(e["seq"] for e in self.events
                       if e.get("type") == "message" and e.get("conversation") == public_id)

"""The web chat protocol (docs/webchat-protocol.md) as the tests and the benchmarks speak it, written once.

The frames a student sends, how the server's events are told apart, reading an in-process socket until an event
comes, and ``Student``: a student on a real socket (``websockets``) with the chat page's bookkeeping.

Import it as ``chat_client``: pytest puts ``tests/`` on ``sys.path`` for test folders that are packages (as for
``processes``), and the benchmarks put it there themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import websockets

Event = dict[str, Any]
T = TypeVar("T")


def ws_url(url: str) -> str:
    """The socket address on the same server as an http:// address."""
    return url.replace("http://", "ws://", 1)


# Frames and events ---------------------------------------------------------------------------------------


def hello_frame(token: str | None = None, after: int = 0) -> Event:
    """The first frame on a socket: resume ``token``'s conversation after message ``after``, or (no token) start
    a new one."""
    return {"type": "hello", "token": token, "after": after}


def message_frame(text: str, *, client_id: str | None = None, payload: str | None = None) -> Event:
    """A student's message. A quick reply also carries its button's ``payload``: the assistant receives that, while
    ``text`` is what is stored and shown. The client id is new unless given (a resend keeps the original's)."""
    frame: Event = {"type": "message", "client_id": client_id or uuid.uuid4().hex, "text": text}
    if payload:
        frame["payload"] = payload
    return frame


def welcomed(event: Event) -> Event:
    """The server's answer to ``hello``; anything else fails the test here rather than somewhere later."""
    assert event["type"] == "welcome", event
    return event


def is_assistant_message(event: Event) -> bool:
    return event.get("type") == "message" and event.get("from") == "assistant"


def is_ack(event: Event, client_id: str | None = None) -> bool:
    """The server stored a message (the one sent with ``client_id``, if given)."""
    return event.get("type") == "ack" and (client_id is None or event.get("client_id") == client_id)


def receive_until(ws: Any, predicate: Callable[[Event], bool], limit: int = 20) -> list[Event]:
    """Read events from an in-process socket (Starlette's TestClient) until one matches; returns everything read.

    Gives up after ``limit`` events, so that a reply that never comes fails the test instead of blocking it.
    """
    seen = []
    for _ in range(limit):
        event = ws.receive_json()
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(f"no matching event in {seen}")


# A student on a real socket ------------------------------------------------------------------------------


class Student:
    """The web chat page's bookkeeping: acks by client id, messages by seq, resume with the token.

    One task reads the socket all the time, as the page does, so nothing waits on anyone reading. ``messages`` is
    what the page shows (the first copy of each seq), ``arrived`` when each seq first came (``time.perf_counter``,
    for the benchmarks' timings) and ``duplicates_on_a_socket`` every seq that came twice on one socket: the
    service must never send a seq twice on the same socket. ``received`` sees every frame as it arrives.
    """

    def __init__(self) -> None:
        self.token: str | None = None
        self.url = ""
        self.messages: dict[int, Event] = {}
        self.arrived: dict[int, float] = {}
        self.acks: dict[str, Event] = {}
        self.errors: list[Event] = []
        self.duplicates_on_a_socket: list[int] = []
        self.welcomes: list[Event] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: list[asyncio.Future[None]] = []

    @property
    def contiguous(self) -> int:
        """The highest seq up to which every message is here: the page's ``after`` when it resumes."""
        seq = 0
        while seq + 1 in self.messages:
            seq += 1
        return seq

    async def connect(self, url: str, *, origin: str | None = None) -> Event:
        """Open a socket to the service at ``url`` (http://...) and say hello, resuming the conversation if there
        is one; returns the welcome. ``origin`` is the page's, as a browser would send it."""
        await self.disconnect()
        self.url = url
        # No queue limit: the reader takes each frame as it comes, and a limit would only hold frames back in the
        # network buffers while the benchmarks' many students share one busy event loop.
        self._ws = await websockets.connect(ws_url(url) + "/ws/chat", open_timeout=10, ping_interval=None,
                                            max_queue=None, origin=origin)
        await self._ws.send(json.dumps(hello_frame(self.token, self.contiguous)))
        welcome = welcomed(json.loads(await asyncio.wait_for(self._ws.recv(), 10)))
        self.token = welcome["token"]
        self.welcomes.append(welcome)
        self._reader = asyncio.create_task(self._read(self._ws))
        return welcome

    async def _read(self, ws: Any) -> None:
        seen_here: set[int] = set()
        try:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for raw in ws:
                    at = time.perf_counter()
                    event = json.loads(raw)
                    if event.get("type") == "message":
                        if event["seq"] in seen_here:
                            self.duplicates_on_a_socket.append(event["seq"])
                        seen_here.add(event["seq"])
                        self.messages.setdefault(event["seq"], event)
                        self.arrived.setdefault(event["seq"], at)
                    elif is_ack(event):
                        self.acks[event["client_id"]] = event
                    elif event.get("type") == "error":
                        self.errors.append(event)
                    self.received(event, at)
                    self._wake()
        finally:
            self._wake()

    def received(self, event: Event, at: float) -> None:
        """Called with every frame and the moment it arrived, after the bookkeeping; does nothing here."""

    def _wake(self) -> None:
        """Something arrived (or the socket ended): everyone waiting looks again."""
        for future in self._waiting:
            if not future.done():
                future.set_result(None)
        self._waiting.clear()

    async def _until(self, found: Callable[[], T | None], limit: float) -> T | None:
        """What ``found`` finds, looking again whenever a frame arrives; None after ``limit`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while (result := found()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            arrival = loop.create_future()
            self._waiting.append(arrival)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(arrival, remaining)
        return result

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._reader is not None and not self._reader.done()

    async def disconnect(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._ws = self._reader = None

    async def send(self, text: str, *, payload: str | None = None, client_id: str | None = None,
                   urls: list[str] | None = None, limit: float = 60) -> int:
        """Send until acknowledged, as the page does: on a dropped socket, reconnect (to the next of ``urls``)
        with the token and send again with the same client id. Returns the stored seq."""
        frame = message_frame(text, client_id=client_id, payload=payload)
        urls = urls or [self.url]
        deadline = asyncio.get_running_loop().time() + limit
        attempt = 0
        while True:
            try:
                if not self.connected:
                    await self.connect(urls[attempt % len(urls)])
                self.acks.pop(frame["client_id"], None)  # only the answer to this send will do
                await self._ws.send(json.dumps(frame))
                ack = await self.ack(frame["client_id"], 8)
                if ack is None:
                    raise TimeoutError(f"no ack for {frame['client_id']}")
                return ack["seq"]
            except (OSError, TimeoutError, websockets.WebSocketException, asyncio.TimeoutError):
                attempt += 1
                await self.disconnect()
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def send_without_waiting(self, text: str, *, payload: str | None = None,
                                   client_id: str | None = None) -> str:
        """Put a message on the wire and return its client id, without waiting for the ack."""
        frame = message_frame(text, client_id=client_id, payload=payload)
        await self._ws.send(json.dumps(frame))
        return frame["client_id"]

    async def ack(self, client_id: str, limit: float = 60) -> Event | None:
        """The ack for ``client_id``, waiting up to ``limit`` seconds for it; None if it never came."""
        return await self._until(lambda: self.acks.get(client_id), limit)

    async def first(self, predicate: Callable[[Event], bool], limit: float = 60) -> Event | None:
        """The first message (in seq order) that matches, waiting up to ``limit`` seconds for it; None if none."""
        def found() -> Event | None:
            return next((self.messages[seq] for seq in sorted(self.messages) if predicate(self.messages[seq])), None)

        return await self._until(found, limit)

    async def wait_for(self, predicate: Callable[[Event], bool], limit: float = 60) -> Event:
        """The first message (in seq order) that matches, waiting for it to arrive; fails the test if none does."""
        message = await self.first(predicate, limit)
        if message is None:
            raise AssertionError("no matching message; have "
                                 f"{[(m.get('seq'), m.get('from'), m.get('text', '')[:60]) for m in self.texts()]}")
        return message

    async def turn(self, text: str, payload: str | None = None, quiet: float = 1.5, limit: float = 60,
                   expect_reply: bool = True) -> list[Event]:
        """Send and collect the replies that follow it (until none arrives for ``quiet`` seconds).

        With ``expect_reply=False``, a turn that nobody answers within ``limit`` gives no replies instead of failing
        the test (while an officer has the conversation, the assistant must say nothing).
        """
        seq = await self.send(text, payload=payload)

        def reply(message: Event) -> bool:
            return message["seq"] > seq and message["from"] != "user"

        if expect_reply:
            await self.wait_for(reply, limit)
        elif await self.first(reply, limit) is None:
            return []
        while True:
            count = len(self.messages)
            await asyncio.sleep(quiet)
            if len(self.messages) == count:
                return [m for s, m in sorted(self.messages.items()) if s > seq]

    def texts(self) -> list[Event]:
        return [self.messages[seq] for seq in sorted(self.messages)]

    def count(self, text: str) -> int:
        return sum(1 for m in self.messages.values() if m["text"] == text)


@contextlib.asynccontextmanager
async def open_chat(url: str, *, origin: str | None = None) -> AsyncIterator[Student]:
    """A new conversation with the service at ``url`` for the length of the block; the socket closes after."""
    student = Student()
    try:
        await student.connect(url, origin=origin)
        yield student
    finally:
        await student.disconnect()

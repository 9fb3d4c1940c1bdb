"""The officer console's live socket: queue changes for everyone signed in, and the live messages of the
conversations an officer has. One ``ConsoleSession`` per open socket, as ``ChatSession`` is for a student's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from handoff.cases import flows
from handoff.cases import service as cases
from handoff.cases.permissions import may_read
from handoff.context import AppContext
from handoff.conversations import service as conversations
from handoff.conversations.events import QUEUE_TOPIC
from handoff.core.db import utcnow
from handoff.officers import audit
from handoff.officers import service as officers
from handoff.officers.csrf import own_origins
from handoff.officers.models import Officer
from handoff.realtime import conversation_topic

logger = logging.getLogger(__name__)
socket_router = APIRouter()
SESSION_RECHECK_SECONDS = 30.0


@socket_router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    """Queue changes for everyone signed in, and the live messages of the conversations an officer has."""
    ctx: AppContext = websocket.app.state.ctx
    async with ctx.sessions() as db:
        token = websocket.cookies.get("__Host-officer_session" if ctx.settings.production else "officer_session")
        officer = await officers.officer_for_session(db_session=db, token=token)
    origin = websocket.headers.get("origin")
    if origin is not None and origin.lower() not in own_origins(websocket):  # another site's page, in any mode
        await audit.record_refusal(websocket, audit.SOCKET_REFUSED, officer_id=officer.id if officer else None)
        await websocket.close(code=4403)
        return
    if officer is None:
        await audit.record_refusal(websocket, audit.UNAUTHENTICATED)
        await websocket.close(code=4401)
        return
    await websocket.accept()
    # Presence is shared by every worker (Redis): expiring entries, refreshed while this socket is open.
    presence = await ctx.presence.connected(officer.id)
    try:
        await ConsoleSession(ctx, websocket, officer, token, presence).run()
    finally:
        # Spawned, not awaited, and reached whatever happened: this handler may be cancelled at any await (a
        # server shutting connections down, a test client closing mid-send), and the console's going must still
        # be recorded and duty still end.
        ctx.spawn(_console_closed(ctx, officer.id, presence))


class ConsoleSession:
    """One open console socket: the duty frame, then queue and conversation events until it closes."""

    def __init__(self, ctx: AppContext, websocket: WebSocket, officer: Officer, token: str | None,
                 presence: str) -> None:
        self.ctx = ctx
        self.ws = websocket
        self.officer = officer
        self.token = token
        self.presence = presence
        self.watchers: dict[str, asyncio.Task[None]] = {}
        self.send_lock = asyncio.Lock()

    async def send(self, event: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_json(event)

    async def run(self) -> None:
        async with self.ctx.sessions() as db:  # duty may have lapsed while no console was open: the console says so
            current = await db.get(Officer, self.officer.id)
            await self.ws.send_json({"type": "duty", "on_duty": bool(current and current.on_duty),
                                     "grace_seconds": self.ctx.settings.officer_grace_seconds})
        background = [asyncio.create_task(self.forward(QUEUE_TOPIC)), asyncio.create_task(self.session_alive()),
                      asyncio.create_task(self.heartbeat())]
        try:
            while True:
                frame = await _read_frame(self.ws)
                if frame is None:
                    await self.send({"type": "error", "code": "bad_frame",
                                     "message": "Each frame is a JSON object with a 'type'."})
                elif frame.get("type") == "watch" and isinstance(frame.get("conversation"), str):
                    await self.watch(frame["conversation"][:32])
                elif frame.get("type") == "ping":
                    await self.send({"type": "pong", "at": utcnow().isoformat()})
        except (WebSocketDisconnect, ValueError, RuntimeError):
            pass
        finally:
            for task in (*background, *self.watchers.values()):
                task.cancel()

    async def watch(self, public_id: str) -> None:
        """Follow one conversation's live messages, if the officer may read its case (and is not already)."""
        if public_id in self.watchers or not await self.still_allowed(public_id):
            return
        self.watchers[public_id] = asyncio.create_task(self.forward(conversation_topic(public_id), public_id))

    async def still_allowed(self, public_id: str) -> bool:
        """Need to know is checked again for every event: a case may have passed to another officer."""
        async with self.ctx.sessions() as db:
            conversation = await conversations.get_by_public_id(db_session=db, public_id=public_id)
            case = None
            if conversation is not None:
                case = await cases.open_case_for(db_session=db, conversation_id=conversation.id)
        return case is not None and may_read(self.officer, case)

    async def forward(self, topic: str, tag: str | None = None) -> None:
        async with self.ctx.hub.subscribe(topic) as queue:
            while True:
                event = await queue.get()
                if event.get("type") == "resync":  # events may have been missed while Redis was away
                    if tag is None:  # the console reconnects, reloads the queue and fills any gap
                        with contextlib.suppress(Exception):
                            await self.ws.close(code=1012)
                        return
                    continue
                if tag is not None and not await self.still_allowed(tag):
                    await self.send({"type": "unwatched", "conversation": tag})
                    self.watchers.pop(tag, None)
                    return
                await self.send({**event, "conversation": tag} if tag else event)

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.ctx.presence.heartbeat_every)
            await self.ctx.presence.heartbeat(self.officer.id, self.presence)

    async def session_alive(self) -> None:
        """Signing out elsewhere, an idle time-out or a disabled account closes the socket.

        Checked every SESSION_RECHECK_SECONDS, and at once when an administrator ends the account's sessions.
        """
        async with self.ctx.hub.subscribe(officers.sessions_topic(self.officer.id)) as ended:
            while True:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(ended.get(), SESSION_RECHECK_SECONDS)
                async with self.ctx.sessions() as db:
                    current = await officers.officer_for_session(db_session=db, token=self.token)
                if current is None:
                    with contextlib.suppress(Exception):
                        await self.ws.close(code=4401)
                    return


async def _read_frame(websocket: WebSocket) -> dict[str, Any] | None:
    """The next frame as a JSON object, or None for anything else (binary, not JSON, a list, a number)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    raw = message.get("text")
    try:
        frame = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


async def _console_closed(ctx: AppContext, officer_id: int, presence: str) -> None:
    """One console socket closed: record it; if it was the officer's last, their duty ends after the grace period
    unless a console of theirs comes back (a reload, a blip)."""
    await ctx.presence.disconnected(officer_id, presence)
    if not await ctx.presence.online(officer_id):
        await _after_grace(ctx, officer_id)


async def _after_grace(ctx: AppContext, officer_id: int) -> None:
    await asyncio.sleep(ctx.settings.officer_grace_seconds)
    if not await ctx.presence.online(officer_id):  # on any worker
        try:
            await flows.officer_disconnected(ctx, officer_id)
        except Exception:
            logger.exception("putting an absent officer's conversations back failed")
        try:  # whatever happened above, duty ends: nobody may be promised an officer who is not there
            await flows.duty_lapsed(ctx, officer_id)
        except Exception:
            logger.exception("ending an absent officer's duty failed")
            await ctx.presence.forget(officer_id)

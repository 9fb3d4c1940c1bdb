"""The web chat WebSocket: the protocol is documented in docs/webchat-protocol.md."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import re
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from handoff.cases.waiting import queue_event
from handoff.channels import intake as flows
from handoff.clientlimits import CLOSE_NO_HELLO, CLOSE_TOO_MANY_CONVERSATIONS, CLOSE_TRY_LATER, Refusal
from handoff.content import service_message
from handoff.context import AppContext
from handoff.conversations import service
from handoff.conversations.enums import Channel, Owner
from handoff.conversations.events import message_event
from handoff.conversations.models import Conversation
from handoff.officers import audit
from handoff.officers.csrf import own_origins
from handoff.realtime import conversation_topic

logger = logging.getLogger(__name__)
router = APIRouter()

MAX_FRAME_BYTES = 64 * 1024
MAX_CLIENT_ID = 64
RESEND_AFTER = 5  # seconds before the page sends a message again that could not be taken in
PAYLOAD = re.compile(r"/[A-Za-z_]{1,64}(\{[^{}]{0,200}\})?")


def _origin_allowed(websocket: WebSocket, origin: str | None) -> bool:
    """No Origin (an app or script, not a browser page), this service's own pages (the widget's frame is served
    from here, so it sends this origin too), ALLOWED_ORIGINS, and the EMBED_SITES (``*.`` for subdomains)."""
    if origin is None:
        return True
    settings = websocket.app.state.ctx.settings
    origin = origin.lower()
    if origin in own_origins(websocket) or origin in settings.allowed_origins:
        return True
    for site in settings.embed_sites:
        scheme, _, host = site.partition("://")
        if origin == site or (host.startswith("*.") and origin.startswith(scheme + "://")
                              and origin.endswith(host[1:])):
            return True
    return False


@router.websocket("/ws/chat")
async def chat_socket(websocket: WebSocket) -> None:
    """One student's live chat."""
    ctx: AppContext = websocket.app.state.ctx
    if not _origin_allowed(websocket, websocket.headers.get("origin")):
        await audit.record_refusal(websocket, audit.SOCKET_REFUSED)
        await websocket.close(code=4403)
        return
    address = audit.client_address(websocket)
    refusal = ctx.client_limits.open_socket(address)
    if refusal is not None:  # accepted only to say why, kindly: a browser cannot read a refused handshake
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.accept()
            await refuse(websocket, refusal, CLOSE_TRY_LATER)
        return
    try:
        await websocket.accept()
        session = ChatSession(ctx, websocket)
        try:
            await session.run()
        except WebSocketDisconnect:
            pass
        except Exception as exc:
            # Whatever broke (the database away at hello, a fault), the student is told where to get help now and to
            # come back, not left with a dropped connection; a message not yet acknowledged stays on the page.
            logger.error("a chat ended on a fault (%s)", type(exc).__name__)
            await refuse(websocket, Refusal("server_busy", RESEND_AFTER), CLOSE_TRY_LATER)
        finally:
            await session.stop()
    finally:
        ctx.client_limits.close_socket(address)  # however the socket ended, even before it was accepted


async def refuse(websocket: WebSocket, refusal: Refusal, close_code: int) -> None:
    """Tell the student why (with where to get help now) and when to try again, then close."""
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_json({"type": "error", "code": refusal.code, "retry_after": refusal.retry_after,
                                   "message": service_message(refusal.code, "webchat")})
        await websocket.close(code=close_code)


def client_network(websocket: WebSocket) -> str:
    """The client's address; for IPv6 its /64, since one home or phone is given a whole /64 to choose from."""
    host = websocket.client.host if websocket.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and not address.ipv4_mapped:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)


class ChatSession:
    """State of one open socket: the conversation, what was sent, the pending assistant turns."""

    def __init__(self, ctx: AppContext, websocket: WebSocket) -> None:
        self.ctx = ctx
        self.ws = websocket
        self.conversation: Conversation | None = None
        # Messages this socket has shown: every seq up to `shown_upto`, and the ones in `shown_above` beyond it
        # (events may arrive out of order). A watermark, so a resume costs nothing whatever `after` says.
        self.shown_upto = 0
        self.shown_above: set[int] = set()
        self.send_lock = asyncio.Lock()
        self.tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self._history_sent = asyncio.Event()
        # Who is on the other end, as a keyed hash of their address (behind a proxy: uvicorn --proxy-headers).
        self.client = "web:" + ctx.vault.lookup_hash("web:" + client_network(websocket))

    async def send(self, event: dict[str, Any]) -> None:
        if event.get("type") == "message" and not self._first_showing(event["seq"]):
            return  # this socket already sent it
        async with self.send_lock:
            await self.ws.send_json(event)

    def _first_showing(self, seq: int) -> bool:
        if seq <= self.shown_upto or seq in self.shown_above:
            return False
        self.shown_above.add(seq)
        while self.shown_upto + 1 in self.shown_above:
            self.shown_upto += 1
            self.shown_above.discard(self.shown_upto)
        return True

    async def error(self, code: str, message: str, **extra: Any) -> None:
        async with self.send_lock:
            await self.ws.send_json({"type": "error", "code": code, "message": message, **extra})

    async def run(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.ctx.settings.hello_timeout
        while self.conversation is None:
            try:
                async with asyncio.timeout_at(deadline):  # a socket that never says hello is not kept open
                    frame = await self._read_frame()
            except TimeoutError:
                await self.error("hello_timeout", "No hello arrived in time; connect again to chat.")
                await self.ws.close(code=CLOSE_NO_HELLO)
                raise WebSocketDisconnect(CLOSE_NO_HELLO) from None
            if frame is None:
                continue
            if frame.get("type") != "hello":
                await self.error("hello_first", "Start with a hello frame.")
                continue
            await self._hello(frame)
        while True:
            frame = await self._read_frame()
            if frame is not None:
                await self._dispatch(frame)

    async def _read_frame(self) -> dict[str, Any] | None:
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        raw = message.get("text")
        if raw is None:
            await self.error("binary_not_supported", "Send text frames containing JSON.")
            return None
        if len(raw) > MAX_FRAME_BYTES:
            await self.error("frame_too_large", "That frame is too large.")
            return None
        try:
            frame = json.loads(raw, strict=False)  # a raw control character inside a string is kept, then judged
        except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
            await self.error("bad_json", "That frame was not valid JSON.")
            return None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.error("bad_frame", "Each frame is a JSON object with a 'type'.")
            return None
        # PostgreSQL text cannot hold NUL. In a student's words it is dropped and the message kept (whatever a
        # message contains, it is stored and answered); anywhere else in a frame no honest client puts one.
        if isinstance(frame.get("text"), str):
            frame["text"] = frame["text"].replace("\x00", "")
        if _holds_nul(frame):
            await self.error("bad_frame", "Frames may not contain NUL characters.")
            return None
        return frame

    async def _hello(self, frame: dict[str, Any]) -> None:
        token = frame.get("token")
        after = frame.get("after", 0)
        after = after if isinstance(after, int) and not isinstance(after, bool) and after >= 0 else 0
        resumed = False
        async with self.ctx.sessions() as db:
            conversation = None
            if isinstance(token, str) and token:
                conversation = await service.get_by_token(db_session=db, token=token)
                resumed = conversation is not None
            if conversation is None:
                await self._may_start()
                conversation, token = await service.create(
                    db_session=db, channel=Channel.webchat, institution_id=self.ctx.settings.institution_id
                )
        self.conversation = conversation
        # An unknown token starts a new conversation (nothing of it was seen yet); no client has seen past the end.
        self.shown_upto = min(after, conversation.last_seq or 0) if resumed else 0
        self.tasks.append(asyncio.create_task(self._forward_events()))
        await self.send({
            "type": "welcome", "token": token, "resumed": resumed, "owner": conversation.owner.value,
            "max_chars": flows.MAX_STORED_CHARS,
        })
        await self._subscribed.wait()
        async with self.ctx.sessions() as db:
            history = await service.messages_after(
                db_session=db, conversation_id=conversation.id, after_seq=self.shown_upto
            )
        for message in history:
            await self.send(message_event(message))
        if conversation.owner == Owner.waiting:  # the waiting line comes back with a reloaded page
            await self.send(await self._queue_event(conversation))
        self._history_sent.set()

    async def _may_start(self) -> None:
        """Count a new conversation against this address's limit; over it, say so kindly and close."""
        refusal = await self.ctx.client_limits.new_conversation(address=audit.client_address(self.ws))
        if refusal is not None:
            async with self.send_lock:
                await refuse(self.ws, refusal, CLOSE_TOO_MANY_CONVERSATIONS)
            raise WebSocketDisconnect(CLOSE_TOO_MANY_CONVERSATIONS)

    async def _queue_event(self, conversation: Conversation) -> dict[str, Any]:

        async with self.ctx.sessions() as db:
            return await queue_event(self.ctx, db, conversation)

    async def _forward_events(self) -> None:
        assert self.conversation is not None
        async with self.ctx.hub.subscribe(conversation_topic(self.conversation.public_id)) as queue:
            self._subscribed.set()
            # Live events wait in the queue until the history is out, so order is kept on resume.
            await self._history_sent.wait()
            while True:
                event = await queue.get()
                with contextlib.suppress(RuntimeError):
                    if event.get("type") == "resync":
                        try:
                            await self._catch_up()
                        except Exception as exc:  # the client's own gap check asks again if this failed
                            logger.warning("catching up after a Redis gap failed: %s", type(exc).__name__)
                    else:
                        await self.send(event)

    async def _catch_up(self) -> None:
        """Events may have been missed while Redis was away: send what is stored and not yet sent."""
        assert self.conversation is not None
        async with self.ctx.sessions() as db:
            missed = await service.messages_after(
                db_session=db, conversation_id=self.conversation.id, after_seq=self.shown_upto
            )
        for message in missed:
            await self.send(message_event(message))

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "message":
            await self._message(frame)
        elif kind == "hello":
            await self.error("already_started", "This conversation has already started.")
        else:
            await self.error("unknown_type", f"Unknown frame type {kind[:32]!r}.")

    async def _message(self, frame: dict[str, Any]) -> None:
        assert self.conversation is not None
        client_id = frame.get("client_id")
        text = frame.get("text")
        payload = frame.get("payload")
        if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID:
            await self.error("bad_client_id", "Each message needs a client_id of 1 to 64 characters.")
            return
        if not isinstance(text, str) or not text.strip():
            await self.error("empty", service_message("message_empty", "webchat"), client_id=client_id)
            return
        if payload is not None and (not isinstance(payload, str) or not PAYLOAD.fullmatch(payload)):
            await self.error("bad_payload", "A quick reply's payload looks like /intent.", client_id=client_id)
            return
        if len(text) > flows.MAX_STORED_CHARS:  # only a client other than ours can send this much
            await self.error(
                "too_long", service_message("message_too_long", "webchat", limit=flows.MAX_STORED_CHARS),
                client_id=client_id,
            )
            return
        wait = await self.ctx.rate_limiter.acquire(self.conversation.public_id)  # shared by every worker
        if wait and not await self._stored(client_id):
            await self.error(
                "rate_limited", service_message("rate_limited", "webchat"), client_id=client_id,
                retry_after=round(wait, 1),
            )
            return
        try:
            received = await flows.receive(
                self.ctx, self.conversation, text.strip(), client_message_id=client_id, payload=payload
            )
        except Exception as exc:
            # Not acknowledged, so the page keeps the message and sends it again; meanwhile the student sees where to
            # get help now. The error's name only: its message could carry the student's words.
            logger.error("a chat message could not be taken in (%s): the page will send it again", type(exc).__name__)
            await self.error("not_taken_in", service_message("not_taken_in", "webchat"), client_id=client_id,
                             retry_after=RESEND_AFTER)
            return
        await self.send({"type": "ack", "client_id": client_id, "seq": received.message.seq,
                         "duplicate": received.duplicate})
        if not received.duplicate or await self._unanswered(received.message.seq):
            # The turn outlives this socket: a student who drops off gets the reply on reconnecting.
            self.ctx.spawn(flows.respond(self.ctx, self.conversation, received, client=self.client))

    async def _stored(self, client_id: str) -> bool:
        """A resend of a message already accepted is never refused by the rate limit."""
        assert self.conversation is not None
        async with self.ctx.sessions() as db:
            stored = await service.get_by_client_message_id(
                db_session=db, conversation_id=self.conversation.id, client_message_id=client_id
            )
        return stored is not None

    async def _unanswered(self, seq: int) -> bool:
        """A resent message that nothing followed (the service stopped mid-turn) is answered now."""
        assert self.conversation is not None
        async with self.ctx.sessions() as db:
            later = await service.messages_after(db_session=db, conversation_id=self.conversation.id, after_seq=seq)
        return not later

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _holds_nul(value: Any) -> bool:
    """True when a NUL character is anywhere in a parsed frame (keys, strings, nested values, however deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False

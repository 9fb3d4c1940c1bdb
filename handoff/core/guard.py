"""A first check on every HTTP request: bounded bodies and no NUL characters anywhere.

PostgreSQL text cannot hold NUL, and no honest client sends one; refusing them here gives a clear 400 instead
of a database error deep inside a handler. Bodies are bounded so a client cannot make a worker buffer megabytes.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
# Signed webhooks carry a student's own words: a NUL in a text must not cost the student their message (Twilio
# does not send a refused webhook again). Their handler checks the signature on the body as sent, then drops
# the NUL characters from what it keeps.
CLEANS_ITS_OWN = frozenset({"/sms/inbound", "/sms/status"})
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
_FORM_NUL = re.compile(rb"%00")


class RequestGuard:
    """Pure ASGI middleware (it does not touch WebSocket connections, which check their own frames)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if b"\x00" in unquote_to_bytes(raw_path) or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            await _refuse(send, 400, "The address may not contain NUL characters.")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _refuse(send, 413, "That request is too large.")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        form = dict(scope.get("headers", [])).get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded")
        nul = b"\x00" in body or _JSON_NUL.search(body) or (form and _FORM_NUL.search(body))
        if nul and scope["path"] not in CLEANS_ITS_OWN:
            await _refuse(send, 400, "The request may not contain NUL characters.")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
    ]})
    await send({"type": "http.response.body", "body": body})


# The service-wide Content Security Policy: everything from this service only, nothing inline, framed by nobody
# (the widget's /embed page widens frame-ancestors to the configured sites: pages.embed_csp).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set its own (pure ASGI: no body copying)."""

    def __init__(self, app: ASGIApp, *, csp: str, hsts: bool) -> None:
        self.app = app
        self.headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                        (b"cache-control", b"no-store")]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.csp = (b"content-security-policy", csp.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [self.csp, *self.headers]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""The security audit trail: failed and refused access, throttled sign-ins, changes to staff accounts, and officers
going on and off duty.

Rows hold who (an officer id, or none), when, what, where (a path or case reference) and the client address.
Never message text, and never an email typed at a failed sign-in: a keyed hash of it relates attempts instead.

A change of duty names the officer whose duty changed as its target (``officer:<id>``); its officer id is who
changed it: the officer themself, an administrator who disabled the account, or none (the service, when no
console of theirs came back, or an operator's command).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, WebSocket
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from handoff.context import AppContext
from handoff.officers.models import AuditEvent

logger = logging.getLogger(__name__)

SIGNIN_FAILED = "signin_failed"
SIGNIN_THROTTLED = "signin_throttled"
FORBIDDEN = "forbidden"
UNAUTHENTICATED = "unauthenticated"
CSRF_REFUSED = "csrf_refused"
SOCKET_REFUSED = "socket_refused"
ACCOUNT_CREATED = "account_created"
ACCOUNT_DISABLED = "account_disabled"
ACCOUNT_ENABLED = "account_enabled"
TOTP_RESET = "totp_reset"
TOTP_ENROLLED = "totp_enrolled"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an audit action, not a password
DUTY_ON = "duty_on"
DUTY_OFF = "duty_off"
DUTY_LAPSED = "duty_lapsed"  # no console of theirs came back within the grace period


def duty_target(officer_id: int) -> str:
    """The target of a duty row: the officer whose duty changed."""
    return f"officer:{officer_id}"


def client_address(connection: Request | WebSocket) -> str | None:
    """The address the request came from (the proxy's, unless uvicorn runs with --proxy-headers)."""
    return connection.client.host[:64] if connection.client else None


def subject_hash(ctx: AppContext, email: str) -> str:
    """A keyed hash of an email as typed at sign-in, so attempts on one account can be counted."""
    return ctx.vault.lookup_hash("signin:" + email.strip().lower())


async def record(
    *, db_session: AsyncSession, action: str, officer_id: int | None = None, target: str | None = None,
    client: str | None = None, subject: str | None = None,
) -> None:
    """Add an audit row and commit."""
    db_session.add(AuditEvent(
        action=action, officer_id=officer_id, target=(target or "")[:200] or None, client=client,
        subject_hash=subject,
    ))
    await db_session.commit()


async def record_refusal(
    connection: Request | WebSocket, action: str, *, officer_id: int | None = None, target: str | None = None
) -> None:
    """Audit a refused request or socket in a session of its own; a failure to write is logged, not raised.

    Refusals of anonymous callers are written up to REFUSAL_AUDITS_PER_ADDRESS per address; beyond that they are
    counted, and the next row written from that address says how many were not (so a flood of 401s cannot fill
    the table, and the flood still shows).
    """
    ctx: AppContext = connection.app.state.ctx
    client = client_address(connection)
    target = target or connection.url.path
    if officer_id is None:
        if not await ctx.client_limits.audit_refusal(client):
            return
        skipped = ctx.client_limits.audits_skipped.pop(client or "unknown", 0)
        if skipped:
            target = f"{target[:150]} (+{skipped} not recorded)"
    try:
        async with ctx.sessions() as db:
            await record(db_session=db, action=action, officer_id=officer_id, target=target, client=client)
    except Exception:  # the refusal stands even if the audit row cannot be written
        logger.exception("could not write the audit row for a refused request (%s)", action)


class AuditedRoute(APIRoute):
    """A route that writes an audit row whenever it answers 401 or 403 (missing sign-in, no right, bad token)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def audited(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as exc:
                if exc.status_code in (401, 403):
                    await _refused(request, exc.status_code)
                raise
            if response.status_code in (401, 403) and not getattr(request.state, "audited", False):
                await _refused(request, response.status_code)
            return response

        return audited


async def _refused(request: Request, status_code: int) -> None:
    action = UNAUTHENTICATED if status_code == 401 else FORBIDDEN
    await record_refusal(request, action, officer_id=getattr(request.state, "officer_id", None))

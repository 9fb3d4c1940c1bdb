"""Staff accounts page for administrators: ``/console/admin``.

Lists accounts; creates one (with a one-time initial password shown once, or one the administrator gives);
disables and enables accounts (disabling ends every session of the account at once); resets two-step sign-in.
Every change needs the form token, comes from this service's own page, and is audited.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from handoff.api.deps import SessionDep, cookie_name
from handoff.officers import audit, csrf
from handoff.officers import service as officers
from handoff.officers.audit import AuditedRoute
from handoff.officers.models import Officer, Role
from handoff.officers.web import page, refuse_forged

router = APIRouter(prefix="/console/admin", include_in_schema=False, route_class=AuditedRoute)

ROLE_WORDS = {Role.welfare_officer: "Welfare officer", Role.safeguarding_lead: "Safeguarding lead",
              Role.admin: "Administrator"}
DONE = {
    "disabled": "The account is disabled and every session it had has ended.",
    "enabled": "The account is enabled again. Its owner can sign in with their password.",
    "totp_reset": "Two-step sign-in is reset and the account's sessions have ended. It sets two-step sign-in up "
                  "again at its next sign-in.",
}
CsrfField = Annotated[str, Form(alias=csrf.FIELD, max_length=128)]


async def _admin(request: Request, db: SessionDep) -> tuple[Officer | None, Response | None]:
    """The signed-in administrator, or the refusal to send: 401 when not signed in, 403 for other roles."""
    officer = await officers.officer_for_session(db_session=db, token=request.cookies.get(cookie_name(request)))
    if officer is None:
        return None, page(request, "console/refused.html", {
            "title": "Please sign in", "message": "This page is for signed-in administrators.", "sign_in": True,
        }, status_code=401)
    request.state.officer_id = officer.id
    if officer.role != Role.admin:
        return officer, page(request, "console/refused.html", {
            "title": "Administrators only",
            "message": "Staff accounts are managed by administrators. If something about your account needs to "
                       "change, please ask one of them.",
            "sign_in": False,
        }, status_code=403)
    return officer, None


def _rows(accounts: list[Officer]) -> list[dict[str, Any]]:
    return [{
        "id": a.id, "email": a.email, "name": a.display_name, "role": ROLE_WORDS.get(a.role, a.role.value),
        "active": a.is_active, "totp": a.totp_secret is not None,
        "last_signin": a.last_signin_at.strftime("%d %b %Y %H:%M UTC") if a.last_signin_at else "Never",
    } for a in accounts]


async def _page(request: Request, db: SessionDep, admin: Officer, *, status_code: int = 200,
                **context: Any) -> HTMLResponse:
    accounts = await officers.all_officers(db_session=db)
    return page(request, "console/admin.html", {
        "officer": admin, "accounts": _rows(accounts), "roles": ROLE_WORDS, "error": None, "done": None,
        "created": None, "form": {}, **context,
    }, status_code=status_code)


@router.get("", response_class=HTMLResponse)
async def admin_page(request: Request, db: SessionDep, done: str = "") -> Response:
    """Every staff account, and the forms to change them."""
    admin, refused = await _admin(request, db)
    if refused is not None or admin is None:
        return refused or Response(status_code=401)
    return await _page(request, db, admin, done=DONE.get(done))


@router.post("/officers")
async def create_officer(
    request: Request, db: SessionDep,
    email: Annotated[str, Form(max_length=254)], name: Annotated[str, Form(max_length=120)],
    role: Annotated[str, Form(max_length=32)], password: Annotated[str, Form(max_length=1024)] = "",
    token: CsrfField = "",
) -> Response:
    """A new account; without a password given, a one-time initial password is made and shown once."""
    admin, refused = await _admin(request, db)
    if refused is not None or admin is None:
        return refused or Response(status_code=401)
    if not csrf.allowed(request, token):
        return await refuse_forged(request, admin, "console/refused.html", {"title": "Not changed"})
    form = {"email": email, "name": name, "role": role}
    generated = not password
    initial = password or secrets.token_urlsafe(12)
    try:
        account = await officers.create(
            db_session=db, email=email, display_name=name, role=Role(role), password=initial, initial=True
        )
    except ValueError as exc:
        await db.rollback()
        problem = str(exc) if "valid Role" not in str(exc) else "choose a role from the list"
        return await _page(request, db, admin, status_code=422, form=form,
                           error=f"The account was not created: {problem}.")
    await audit.record(db_session=db, action=audit.ACCOUNT_CREATED, officer_id=admin.id,
                       target=f"officer:{account.id}", client=audit.client_address(request))
    return await _page(request, db, admin, created={
        "email": account.email, "password": initial if generated else None,
    })


async def _change(request: Request, db: SessionDep, officer_id: int, token: str, action: str) -> Response:
    admin, refused = await _admin(request, db)
    if refused is not None or admin is None:
        return refused or Response(status_code=401)
    if not csrf.allowed(request, token):
        return await refuse_forged(request, admin, "console/refused.html", {"title": "Not changed"})
    account = await db.get(Officer, officer_id)
    if account is None:
        return await _page(request, db, admin, status_code=404, error="There is no such account; nothing changed.")
    if action == audit.ACCOUNT_DISABLED:
        if account.id == admin.id:
            return await _page(request, db, admin, status_code=409, error=(
                "You cannot disable your own account, so that there is always an administrator who can sign in. "
                "Another administrator can disable it if needed."))
        await officers.set_active(db_session=db, officer=account, active=False, by=admin.id)
        done = "disabled"
    elif action == audit.ACCOUNT_ENABLED:
        await officers.set_active(db_session=db, officer=account, active=True)
        done = "enabled"
    else:
        await officers.reset_totp(db_session=db, officer=account)
        done = "totp_reset"
    await audit.record(db_session=db, action=action, officer_id=admin.id, target=f"officer:{account.id}",
                       client=audit.client_address(request))
    if action != audit.ACCOUNT_ENABLED:  # its open consoles close now, on every worker
        await request.app.state.ctx.hub.publish(officers.sessions_topic(account.id), {"type": "sessions_ended"})
    return RedirectResponse(f"/console/admin?done={done}", status_code=303)


@router.post("/officers/{officer_id}/disable")
async def disable(request: Request, db: SessionDep, officer_id: int, token: CsrfField = "") -> Response:
    """Disable an account and end all its sessions (an open console closes)."""
    return await _change(request, db, officer_id, token, audit.ACCOUNT_DISABLED)


@router.post("/officers/{officer_id}/enable")
async def enable(request: Request, db: SessionDep, officer_id: int, token: CsrfField = "") -> Response:
    return await _change(request, db, officer_id, token, audit.ACCOUNT_ENABLED)


@router.post("/officers/{officer_id}/reset-totp")
async def reset_totp(request: Request, db: SessionDep, officer_id: int, token: CsrfField = "") -> Response:
    """Forget the account's authenticator key: it sets up two-step sign-in again."""
    return await _change(request, db, officer_id, token, audit.TOTP_RESET)

"""Console pages: sign in (password, then a code when two-step sign-in is set up), setting up two-step sign-in,
sign out, and the console itself (the live queue, conversations, cases).

The page arrives with the queue as it is now, as data that the console's script (ES modules in
``handoff/static/console/``, entry ``main.js``) draws and keeps live from ``/api/console`` and ``/ws/console``, and
does everything else (docs/console.md, docs/staff-access.md).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from handoff.api.deps import CtxDep, SessionDep, cookie_name
from handoff.channels.checkin import LOW_PREFIX  # a weak sighting: low confidence, never urgent
from handoff.console.api import queue as queue_rows
from handoff.conversations.enums import CHANNEL_NAMES
from handoff.core.db import utcnow
from handoff.core.security import grouped, totp_uri, verify_password
from handoff.officers import audit, csrf, throttle
from handoff.officers import service as officers
from handoff.officers.audit import AuditedRoute
from handoff.officers.deps import OptionalOfficer
from handoff.officers.models import Officer
from handoff.officers.web import page, refuse_forged, session_cookie
from handoff.officers.web import templates as templates  # other console pages render with it
from safety.check_in import FLAG
from safety.gsm import browser_rules

router = APIRouter(prefix="/console", include_in_schema=False, route_class=AuditedRoute)
ISSUER = "Welfare console"


# The words the console shows for flags, goals and channels: the page hands them to its script (one vocabulary).
RISK_WORDS = {
    "immediate_danger": "immediate danger", "suicide_self_harm": "suicide or self-harm",
    "recent_sexual_assault": "recent sexual assault", "under_18": "under 18",
}
URGENT = ("immediate_danger", "suicide_self_harm", "recent_sexual_assault")
CHECK_IN_WORDS = {FLAG.format(kind="suicide"): "asked about suicide", FLAG.format(kind="safety"): "asked if safe now"}
GOAL_WORDS = {"talk": "Just talk", "disclosure": "Tell what happened", "formal_report": "Formal report"}
CHANNEL_WORDS = {**CHANNEL_NAMES, "web": CHANNEL_NAMES["webchat"]}  # "web" too, as the console always read it
# How a student's reply to a check-in was read (the message's `check_in_answer`), per question: officers see it under
# the reply, so they know what the assistant did with it. "yes" to "are you safe right now?" is safe.
ANSWER_WORDS = {
    "suicide": {"yes": "yes (risk)", "no": "no", "fine": "no (fine)", "unsure": "not sure (risk)",
                "skip": "rather not say", "said_more": "an answer, then more with a sign of risk (given the numbers)",
                "none": "not read as an answer"},
    "safety": {"yes": "yes, safe", "no": "not safe (risk)", "fine": "safe (fine)", "unsure": "not sure (risk)",
               "skip": "rather not say", "said_more": "an answer, then more with a sign of risk (given the numbers)",
               "none": "not read as an answer"},
}
WORDS = {"risk": RISK_WORDS, "urgent": URGENT, "check_in": CHECK_IN_WORDS, "low": LOW_PREFIX, "goals": GOAL_WORDS,
         "channels": CHANNEL_WORDS, "answers": ANSWER_WORDS}


CsrfField = Annotated[str, Form(alias=csrf.FIELD, max_length=128)]
CodeField = Annotated[str, Form(max_length=32)]
WRONG_CODE = "That code did not match. Codes change every 30 seconds: type the one your app shows now."
EXPIRED = "Your sign-in has ended, perhaps because it took more than 10 minutes. Please sign in again."
THROTTLED = ("There have been too many sign-in attempts, so sign-in is paused for a while to keep the account "
             "safe. Please try again in about {minutes}. If you have forgotten your password or lost the "
             "device with your authenticator app, an administrator can help.")


def _token(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request))


def _next_step(officer: Officer) -> str:
    """Where a pending sign-in goes next: a new password first (an initial one), then the code or its set-up."""
    if officer.password_must_change:
        return "/console/password"
    return "/console/code" if officer.totp_secret else "/console/two-step"


def _must_enrol(request: Request, officer: Officer) -> bool:
    return officer.totp_secret is None and request.app.state.ctx.settings.production


@router.get("", response_class=HTMLResponse)
async def console_page(request: Request, db: SessionDep, officer: OptionalOfficer) -> Response:
    """The console with the queue as it is now, the next step of a sign-in, or the sign-in form."""
    if officer is None:
        pending = await officers.pending_sign_in(db_session=db, token=_token(request))
        if pending is not None:
            return RedirectResponse(_next_step(pending[1]), 303)
        return page(request, "console/login.html", {"error": None})
    if _must_enrol(request, officer):  # a full session from before two-step sign-in became required
        await officers.end_session(db_session=db, token=_token(request))
        return page(request, "console/login.html", {"error": None})
    # The queue as it is now, drawn by static/console/queue.js from this data as it draws every refresh (one renderer).
    data = {"queue": await queue_rows(officer, db), "officer_id": officer.id, "now": utcnow().isoformat(),
            "words": WORDS}
    return page(request, "console/console.html", {
        "officer": officer, "console_data": data, "is_admin": officer.role.value == "admin",
        "offer_two_step": officer.totp_secret is None, "sms_rules": browser_rules(),
    })


async def _throttled(request: Request, db: SessionDep, subject: str, officer_id: int | None,
                     name: str, context: dict[str, Any]) -> Response | None:
    """A 429 page (audited) while this account or address is paused, or None."""
    client = audit.client_address(request)
    wait = await throttle.retry_after(db_session=db, subject=subject, client=client)
    if wait is None:
        return None
    await audit.record(db_session=db, action=audit.SIGNIN_THROTTLED, officer_id=officer_id,
                       target=request.url.path, client=client, subject=subject)
    minutes = max(1, -(-wait // 60))
    words = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return page(request, name, {**context, "error": THROTTLED.format(minutes=words)}, status_code=429,
                headers={"Retry-After": str(wait)})


async def _failed(request: Request, db: SessionDep, subject: str, officer_id: int | None) -> None:
    request.state.audited = True
    await audit.record(db_session=db, action=audit.SIGNIN_FAILED, officer_id=officer_id, target=request.url.path,
                       client=audit.client_address(request), subject=subject)


@router.post("/login")
async def login(
    request: Request, db: SessionDep, ctx: CtxDep, email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)], token: CsrfField = "",
) -> Response:
    """Check the credentials; then a full session, or a pending one that waits for the code."""
    if not csrf.allowed(request, token):
        return await refuse_forged(request, None, "console/login.html", {})
    subject = audit.subject_hash(ctx, email)
    throttled = await _throttled(request, db, subject, None, "console/login.html", {})
    if throttled is not None:
        return throttled
    officer = await officers.authenticate(db_session=db, email=email, password=password)
    if officer is None:
        await _failed(request, db, subject, None)
        return page(request, "console/login.html",
                    {"error": "That email and password did not match an active account."}, status_code=401)
    await officers.end_session(db_session=db, token=_token(request))
    two_step = officer.totp_secret is not None or ctx.settings.production
    pending = two_step or officer.password_must_change  # an initial password opens only the password page
    session_token = await officers.start_session(db_session=db, officer=officer, pending=pending)
    target = _next_step(officer) if pending else "/console"
    response = RedirectResponse(target, status_code=303)
    session_cookie(request, response, session_token)
    return response


@router.get("/code", response_class=HTMLResponse)
async def code_page(request: Request, db: SessionDep) -> Response:
    """The second step: the six-digit code from the authenticator app."""
    pending = await officers.pending_sign_in(db_session=db, token=_token(request))
    if pending is None or pending[1].totp_secret is None or pending[1].password_must_change:
        return RedirectResponse("/console", status_code=303)
    return page(request, "console/code.html", {"error": None})


@router.post("/code")
async def code_submit(
    request: Request, db: SessionDep, ctx: CtxDep, code: CodeField, token: CsrfField = "",
) -> Response:
    """A right code turns the pending sign-in into a full session with a new id."""
    pending = await officers.pending_sign_in(db_session=db, token=_token(request))
    if not csrf.allowed(request, token):
        return await refuse_forged(request, pending[1] if pending else None, "console/code.html", {})
    if pending is None or pending[1].totp_secret is None or pending[1].password_must_change:
        return page(request, "console/login.html", {"error": EXPIRED}, status_code=401)
    officer = pending[1]
    subject = audit.subject_hash(ctx, officer.email)
    throttled = await _throttled(request, db, subject, officer.id, "console/code.html", {})
    if throttled is not None:
        return throttled
    if not officers.check_code(officer, code, at=time.time()):
        await _failed(request, db, subject, officer.id)
        return page(request, "console/code.html", {"error": WRONG_CODE}, status_code=401)
    await db.commit()
    session_token = await officers.complete_sign_in(db_session=db, token=_token(request) or "", officer=officer)
    response = RedirectResponse("/console", status_code=303)
    session_cookie(request, response, session_token)
    return response


async def _enrolling(request: Request, db: SessionDep) -> tuple[Any, Officer] | None:
    """The session and account setting up two-step sign-in: a pending sign-in without a key, or (in
    development, where it is optional) a signed-in officer without one."""
    pending = await officers.pending_sign_in(db_session=db, token=_token(request))
    if pending is not None:
        return pending if pending[1].totp_secret is None and not pending[1].password_must_change else None
    officer = await officers.officer_for_session(db_session=db, token=_token(request))
    if officer is None or officer.totp_secret is not None:
        return None
    request.state.officer_id = officer.id
    staff_session = await officers.session_for(db_session=db, token=_token(request))
    return (staff_session, officer) if staff_session is not None else None


async def _enrol_page(request: Request, db: SessionDep, enrolling: tuple[Any, Officer], *, error: str | None = None,
                      status_code: int = 200) -> Response:
    staff_session, officer = enrolling
    secret = await officers.begin_enrolment(db_session=db, staff_session=staff_session)
    return page(request, "console/two_step.html", {
        "error": error, "key": grouped(secret), "uri": totp_uri(secret, account=officer.email, issuer=ISSUER),
        "required": staff_session.pending, "officer": officer,
    }, status_code=status_code)


@router.get("/two-step", response_class=HTMLResponse)
async def two_step_page(request: Request, db: SessionDep) -> Response:
    """Set up two-step sign-in: the key to add to an authenticator app, then a code to confirm it."""
    enrolling = await _enrolling(request, db)
    if enrolling is None:
        return RedirectResponse("/console", status_code=303)
    return await _enrol_page(request, db, enrolling)


@router.post("/two-step")
async def two_step_submit(request: Request, db: SessionDep, code: CodeField, token: CsrfField = "") -> Response:
    """A code that matches the new key keeps it; a pending sign-in then becomes a full session."""
    enrolling = await _enrolling(request, db)
    if not csrf.allowed(request, token):
        return await refuse_forged(request, enrolling[1] if enrolling else None, "console/login.html", {})
    if enrolling is None:
        return page(request, "console/login.html", {"error": EXPIRED}, status_code=401)
    staff_session, officer = enrolling
    if not await officers.confirm_enrolment(
        db_session=db, staff_session=staff_session, officer=officer, code=code, at=time.time()
    ):
        return await _enrol_page(request, db, enrolling, error=WRONG_CODE, status_code=422)
    await audit.record(db_session=db, action=audit.TOTP_ENROLLED, officer_id=officer.id,
                       target=f"officer:{officer.id}", client=audit.client_address(request))
    response = RedirectResponse("/console", status_code=303)
    if staff_session.pending:
        session_cookie(request, response,
                       await officers.complete_sign_in(db_session=db, token=_token(request) or "", officer=officer))
    return response


PasswordField = Annotated[str, Form(max_length=1024)]


async def _password_page(request: Request, required: bool, *, error: str | None = None,
                         status_code: int = 200) -> Response:
    return page(request, "console/password.html", {"error": error, "required": required}, status_code=status_code)


@router.get("/password", response_class=HTMLResponse)
async def password_page(request: Request, db: SessionDep, officer: OptionalOfficer) -> Response:
    """Choose a new password: required after signing in with an initial one, or whenever an officer wants to."""
    pending = await officers.pending_sign_in(db_session=db, token=_token(request))
    if pending is not None and pending[1].password_must_change:
        return await _password_page(request, True)
    if officer is None:
        return RedirectResponse("/console", status_code=303)
    return await _password_page(request, False)


@router.post("/password")
async def password_submit(
    request: Request, db: SessionDep, ctx: CtxDep, officer: OptionalOfficer, new: PasswordField,
    again: PasswordField, current: PasswordField = "", token: CsrfField = "",
) -> Response:
    """Save a new password (Argon2id) and sign this browser in again; every other session of the account ends."""
    pending = await officers.pending_sign_in(db_session=db, token=_token(request))
    required = pending is not None and pending[1].password_must_change
    account = pending[1] if required and pending is not None else officer
    if not csrf.allowed(request, token):
        return await refuse_forged(request, account, "console/login.html", {})
    if account is None:
        return page(request, "console/login.html", {"error": EXPIRED}, status_code=401)
    request.state.officer_id = account.id
    if not required:  # a signed-in officer proves it is them: the current password, throttled like sign-in
        subject = audit.subject_hash(ctx, account.email)
        throttled = await _throttled(request, db, subject, account.id, "console/password.html", {"required": False})
        if throttled is not None:
            return throttled
        if not verify_password(account.password_hash, current):
            await _failed(request, db, subject, account.id)
            return await _password_page(request, False, error="Your current password was not right.",
                                        status_code=401)
    problem = officers.password_problem(account, new, again)
    if problem is not None:
        return await _password_page(request, required, error=problem, status_code=422)
    two_step = account.totp_secret is not None or ctx.settings.production
    await officers.change_password(db_session=db, officer=account, new=new)
    await audit.record(db_session=db, action=audit.PASSWORD_CHANGED, officer_id=account.id,
                       target=f"officer:{account.id}", client=audit.client_address(request))
    # After an initial password the sign-in goes on to its second step; otherwise this browser stays signed in.
    keep_pending = required and two_step
    session_token = await officers.start_session(db_session=db, officer=account, pending=keep_pending)
    response = RedirectResponse(_next_step(account) if keep_pending else "/console", status_code=303)
    session_cookie(request, response, session_token)
    return response


@router.post("/logout")
async def logout(request: Request, db: SessionDep, officer: OptionalOfficer, token: CsrfField = "") -> Response:
    """End the session on the server and forget the cookie."""
    if not csrf.allowed(request, token):
        return await refuse_forged(request, officer, "console/login.html", {})
    await officers.end_session(db_session=db, token=_token(request))
    response = RedirectResponse("/console", status_code=303)
    response.delete_cookie(cookie_name(request), path="/")
    return response

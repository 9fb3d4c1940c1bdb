"""CSRF protection, one scheme for the console's HTML forms (sign in, code, set-up, sign out, staff accounts) and its
API (every change under /api/console).

A signed double-submit token: a random value in a cookie of its own, and in each form (or, for the API, in the
X-CSRF-Token header) an HMAC under SECRET_KEY of that value and of the sign-in session cookie, when there is one. A
forged request cannot read the cookies, so cannot give the token; a token from before signing in or out does not fit
after. The browser's Origin (or Referer) and Sec-Fetch-Site must also say the request came from this service.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request, WebSocket
from starlette.responses import Response

from handoff.api.deps import cookie_name as session_cookie_name
from handoff.core.config import Settings
from handoff.core.security import new_token

FIELD = "csrf"
HEADER = "x-csrf-token"


def cookie_name(request: Request) -> str:
    return "__Host-console_csrf" if request.app.state.ctx.settings.production else "console_csrf"


def _sign(settings: Settings, value: str, session: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"csrf:{value}:{session}".encode(), hashlib.sha256).hexdigest()


def origin_of(url: str) -> str:
    """'https://example.ac.uk:8443' from a URL (empty if it has none)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def own_origins(connection: Request | WebSocket) -> set[str]:
    """PUBLIC_URL's origin; in development also the origin of the Host the request came to."""
    settings: Settings = connection.app.state.ctx.settings
    origins = {origin_of(settings.public_url)}
    host = connection.headers.get("host")
    if not settings.production and host:
        scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
        origins.add(f"{scheme}://{host}".lower())
    return origins


def token(request: Request) -> str:
    """The token for this browser's forms and API calls; a new cookie value is kept on the request for
    ``remember``."""
    settings: Settings = request.app.state.ctx.settings
    value = getattr(request.state, "csrf_cookie", None) or request.cookies.get(cookie_name(request), "")
    if not (16 <= len(value) <= 128):
        value = new_token()
        request.state.csrf_cookie = value
    return _sign(settings, value, request.cookies.get(session_cookie_name(request), ""))


def remember(request: Request, response: Response) -> None:
    """Set the cookie that ``token`` made, if it made one."""
    value = getattr(request.state, "csrf_cookie", None)
    if value:
        response.set_cookie(
            cookie_name(request), value, httponly=True, samesite="strict", path="/",
            secure=request.app.state.ctx.settings.production,
        )


def allowed(request: Request, submitted: str | None) -> bool:
    """True for a form or an API call this service's page sent from this browser; False for a forged one."""
    settings: Settings = request.app.state.ctx.settings
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    fetch_site = request.headers.get("sec-fetch-site")
    own = own_origins(request)
    if origin is not None:
        if origin.lower() not in own:  # includes "null", sent by sandboxed frames and privacy modes
            return False
    elif referer and origin_of(referer) not in own:
        return False
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    cookie = request.cookies.get(cookie_name(request), "")
    expected = _sign(settings, cookie, request.cookies.get(session_cookie_name(request), ""))
    return bool(cookie and submitted) and hmac.compare_digest(str(submitted), expected)

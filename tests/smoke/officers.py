"""A welfare officer on duty against the real service: signed in, console socket open, duty switched on."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import websockets
from chat_client import ws_url


async def signed_in(url: str, email: str, password: str) -> httpx.AsyncClient:
    """An officer's HTTP client after the console's own sign-in form, with the form token the API asks for."""
    client = httpx.AsyncClient(base_url=url, timeout=30, headers={"Origin": url})
    page = await client.get("/console")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, "the sign-in page has no form token"
    response = await client.post("/console/login", data={"email": email, "password": password,
                                                          "csrf": token.group(1)})
    assert response.status_code in (200, 303), response.text
    me = (await client.get("/api/console/me")).json()
    client.headers["X-CSRF-Token"] = me["csrf_token"]
    return client


@asynccontextmanager
async def on_duty(url: str, email: str, password: str) -> AsyncIterator[httpx.AsyncClient]:
    """On duty counts only while the officer's console is open: the socket is held for the whole block."""
    officer = await signed_in(url, email, password)
    cookie = "; ".join(f"{name}={value}" for name, value in officer.cookies.items())
    try:
        async with websockets.connect(ws_url(url) + "/ws/console", origin=url,
                                      additional_headers={"Cookie": cookie}) as console:
            first = await console.recv()
            assert '"duty"' in first, first  # the socket is registered before duty is switched on
            # Switched on as the console does (a duty switched on before the service started lapses unattended).
            assert (await officer.post("/api/console/duty", json={"on_duty": True})).status_code == 200
            yield officer
    finally:
        await officer.aclose()

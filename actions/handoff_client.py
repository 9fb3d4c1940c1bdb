"""A small client for the handoff service's assistant API."""

from __future__ import annotations

import os
from typing import Any

import httpx


class HandoffUnavailable(Exception):
    """The handoff service did not answer, or refused."""


class HandoffClient:
    """Calls the handoff service (HANDOFF_URL) with the shared HANDOFF_API_TOKEN."""

    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 8.0) -> None:
        self.base_url = (base_url or os.environ.get("HANDOFF_URL", "http://127.0.0.1:8000")).rstrip("/")
        token = token if token is not None else os.environ.get("HANDOFF_API_TOKEN", "")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, headers=self.headers) as c:
                response = await c.post(path, json=body)
                response.raise_for_status()
                return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise HandoffUnavailable(type(exc).__name__) from exc

"""A small client for the assistant's REST channels."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """The assistant did not answer in time, or answered with an error."""


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None


class RasaClient:
    """Posts a user's message to the assistant and returns its replies."""

    def __init__(self, base_url: str, *, token: str = "", timeout: float = 8.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {"x-channel-token": token} if token else {}
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers=headers, transport=transport,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def send(self, *, channel: str, sender: str, text: str,
                   metadata: dict[str, Any] | None = None) -> list[Reply]:
        """The assistant's replies to one message; raises RasaUnavailable on any failure."""
        try:
            response = await self._client.post(
                f"/webhooks/{channel}/webhook",
                json={"sender": sender, "message": text, "metadata": metadata or {}},
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("assistant unavailable: %s", type(exc).__name__)
            raise RasaUnavailable(type(exc).__name__) from exc
        if not isinstance(body, list):
            raise RasaUnavailable("unexpected reply shape")
        return [_reply(item) for item in body if isinstance(item, dict)]

    async def healthy(self) -> bool:
        """True when the assistant's server answers."""
        try:
            response = await self._client.get("/webhooks/webchat/", timeout=2.0)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._client.aclose()


def _reply(item: dict[str, Any]) -> Reply:
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in item.get("buttons") or []
        if isinstance(b, dict)
    ]
    text = item.get("text") or ""
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else None
    return Reply(text=str(text), buttons=buttons, custom=custom)

"""The whole system, for real: web chat -> handoff service -> Rasa (-> action server) -> back."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

from safety.gsm import fits_sms


async def _exchange(url: str, text: str) -> list[dict]:
    events = []
    async with websockets.connect(url.replace("http", "ws") + "/ws/chat") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        events.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"type": "message", "client_id": "smoke-1", "text": text}))
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 60))
            events.append(event)
            if event.get("type") == "message" and event.get("from") == "assistant":
                return events


def test_a_greeting_on_the_web_chat_gets_the_assistants_reply(system):
    events = asyncio.run(_exchange(system.handoff_url, "hello"))
    assert events[0]["type"] == "welcome"
    assert any(e["type"] == "ack" and e["client_id"] == "smoke-1" for e in events)
    reply = events[-1]["text"]
    assert "automated assistant" in reply and "not a person" in reply
    assert "999" in reply


def test_the_health_endpoint_sees_the_database_and_the_assistant(system):
    assert httpx.get(f"{system.handoff_url}/health").json() == {"status": "ok", "database": "ok", "rasa": "ok"}


def test_the_assistant_refuses_callers_without_the_channel_token(system):
    response = httpx.post(f"{system.rasa_url}/webhooks/webchat/webhook", json={"sender": "x", "message": "hi"})
    assert response.status_code == 403


def test_sms_users_get_the_sms_wording_that_fits_one_budget(system):
    headers = {"x-channel-token": "smoke-test-channel-token"}
    web = httpx.post(f"{system.rasa_url}/webhooks/webchat/webhook", headers=headers,
                     json={"sender": "smoke-web", "message": "hello"}, timeout=30).json()
    sms = httpx.post(f"{system.rasa_url}/webhooks/sms/webhook", headers=headers,
                     json={"sender": "smoke-sms", "message": "hello"}, timeout=30).json()
    assert web and sms
    assert all(fits_sms(message["text"]) for message in sms)
    assert "Exit" in " ".join(m["text"] for m in web)
    assert "Exit" not in " ".join(m["text"] for m in sms)

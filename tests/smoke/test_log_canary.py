"""Nothing a student writes, and no phone number or email address, reaches any log of any process.

Starts the real processes (Rasa, the action server, the handoff service) with their output in files, has a
web-chat student and an SMS student send a fake phone number, an email address and a unique sentence, asks for
a person, lets a welfare officer reply, and then searches every log file for them.
"""

from __future__ import annotations

import asyncio
import secrets
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest
from chat_client import open_chat
from processes import System, stop_all, whole_system
from twilio.request_validator import RequestValidator

from handoff.core.config import DEV_TWILIO_TOKEN

from .officers import on_duty

PHONE = "+447700900461"
EMAIL = "canary.student.461@example.ac.uk"
OFFICER_EMAIL = "canary-officer@example.ac.uk"
OFFICER_PASSWORD = "canary officer password 461"
CANARY = f"Zebra lanterns hum quietly {secrets.token_hex(4)}"
OFFICE_HOURS = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)
OFFICER_CANARY = f"Officer kestrel reply {secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    logs = tmp_path_factory.mktemp("canary")
    # In office hours (a Monday morning), so that the officer on duty can take the chat. The database sits in its
    # own folder, which the search of the logs leaves out.
    with whole_system(logs, (OFFICER_EMAIL, "Canary officer", OFFICER_PASSWORD), OFFICE_HOURS, on_duty=True,
                      database_dir=logs / "db") as system:
        yield system


async def _web_chat(url: str) -> None:
    async with on_duty(url, OFFICER_EMAIL, OFFICER_PASSWORD) as officer, open_chat(url, origin=url) as student:
        # the assistant may answer with several messages: each turn takes them all
        await student.turn(f"{CANARY}. You can reach me on {PHONE} or {EMAIL}")
        await student.turn("I want to talk to a person")
        await student.turn("Yes, share it", "/affirm")
        replies = await student.turn("Just talk", "/goal_talk")
        assert any("reference" in (e.get("text") or "") for e in replies), replies
        queue = (await officer.get("/api/console/queue")).json()
        assert queue, "the student is not in the queue"
        public_id = queue[0]["conversation"]
        assert (await officer.post(f"/api/console/conversations/{public_id}/take")).status_code == 200
        sent = await officer.post(f"/api/console/conversations/{public_id}/messages",
                                  json={"text": f"{OFFICER_CANARY}, I will call {PHONE}"})
        assert sent.status_code == 200, sent.text
        await student.send(f"thanks, my email is {EMAIL}. {CANARY}")  # stored (acknowledged) before the search
        # An officer pastes contact details into the case search box: the query string must not be logged.
        for typed in (EMAIL, PHONE):
            assert (await officer.get("/api/console/cases", params={"reference": typed})).status_code == 200
        detail = (await officer.get(f"/api/console/conversations/{public_id}")).json()
        assert any(CANARY in (m.get("text") or "") for m in detail["messages"])


def _text(url: str, body: str) -> None:
    inbound = f"{url}/sms/inbound"
    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32, "From": PHONE,
              "To": "+447700900000", "Body": body, "NumMedia": "0"}
    signature = RequestValidator(DEV_TWILIO_TOKEN).compute_signature(inbound, params)
    response = httpx.post(inbound, data=params, headers={"X-Twilio-Signature": signature}, timeout=60)
    assert response.status_code == 200, response.text


def _forms(value: str) -> set[str]:
    """The value as written, and as it would look in a URL or with the number's digits only."""
    forms = {value, urllib.parse.quote(value), urllib.parse.quote_plus(value)}
    if value.startswith("+44"):
        forms |= {value[1:], "0" + value[3:], "0" + value[3:7] + " " + value[7:]}
    return forms


def test_no_log_holds_what_students_wrote_or_their_contact_details(running):
    asyncio.run(_web_chat(running.url))
    _text(running.url, f"hello {CANARY} email me at {EMAIL}")
    _text(running.url, "I want to talk to a person")

    stop_all(running.processes)  # so that everything, shutdown messages too, is in the files
    files = [p for p in running.logs.rglob("*") if p.is_file() and "db" not in p.relative_to(running.logs).parts]
    assert {p.name for p in files} >= {"rasa.log", "actions.log", "handoff.log"}
    secrets_ = set().union(*(_forms(v) for v in (PHONE, EMAIL, CANARY, OFFICER_CANARY)))
    secrets_ |= {CANARY.split()[-1], OFFICER_CANARY.split()[-1]}  # the unique token alone
    leaks = {}
    for path in files:
        content = path.read_text(errors="replace")
        found = sorted(s for s in secrets_ if s in content)
        if found:
            leaks[path.name] = found
    assert leaks == {}, f"found in the logs: {leaks}"
    assert (running.logs / "handoff.log").read_text().strip(), "the service wrote no log at all: the test saw nothing"

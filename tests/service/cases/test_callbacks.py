"""A call-back request as the team sees it: how, when, where, and whether a message may say who it is from."""

from __future__ import annotations

import time_machine
from sqlalchemy import select, text

from handoff.cases.models import CaseEvent
from handoff.officers.models import Role

from ..chat_helpers import assistant_turn
from ..console_helpers import Console, create_officer
from ..db_helpers import run_db
from .test_cases import SATURDAY_2AM, _open_chat, _sender


def _ask(client, settings, request_id: str, **extra):
    with time_machine.travel(SATURDAY_2AM, tick=True):
        ws_cm, _ = _open_chat(client)
        try:
            sender = _sender(settings)
            with assistant_turn(client, sender):  # the action server asks during the assistant's turn
                return client.post("/api/callback-requests", json={
                    "sender_id": sender, "request_id": request_id, "preferred_channel": "phone",
                    "safe_time": "evenings after 6", "contact": "+447700900123", **extra,
                })
        finally:
            ws_cm.__exit__(None, None, None)


def test_the_voicemail_answer_reaches_the_call_back_list_and_the_case(client, settings):
    create_officer(settings, "sam@example.ac.uk", role=Role.safeguarding_lead)  # reads every case
    response = _ask(client, settings, "cb-no-voicemail", leave_message=False)
    assert response.status_code == 200
    console = Console(client, "sam@example.ac.uk")
    [listed] = console.get("/callbacks").json()
    assert listed["leave_message"] is False and listed["safe_time"] == "evenings after 6"
    case = console.get(f"/cases/{response.json()['reference']}").json()
    assert case["callbacks"][0]["leave_message"] is False
    assert any(e["kind"] == "callback_requested" and "leave_message=no" in e["detail"] for e in case["events"])

    async def stored(db):
        return str((await db.execute(text("SELECT * FROM callback_requests"))).all())

    assert "900123" not in run_db(settings, stored)  # the number is stored encrypted, as before


def test_a_request_from_before_the_question_existed_reads_as_not_asked(client, settings):
    create_officer(settings, "sam@example.ac.uk")
    assert _ask(client, settings, "cb-old").status_code == 200
    [listed] = Console(client, "sam@example.ac.uk").get("/callbacks").json()
    assert listed["leave_message"] is None
    details = run_db(settings, lambda db: db.scalars(select(CaseEvent.detail)))
    assert any("leave_message=not asked" in d for d in details)


def test_a_voicemail_answer_that_is_not_yes_or_no_is_refused(client, settings):
    assert _ask(client, settings, "cb-odd", leave_message="maybe").status_code == 422

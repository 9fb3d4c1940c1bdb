"""Trimming what is shared: a message the student leaves out never reaches the console, its socket or the case."""

from __future__ import annotations

import json

from ..chat_helpers import assistant_turn, is_assistant_message, receive_until
from ..console_helpers import Console, OnDuty, create_officer
from .test_cases import _open_chat, _sender, in_hours  # noqa: F401  (in_hours is a fixture)

SECRET = "something I wrote and now regret"
KEPT = "it happened at a party last month"


def _say(ws, client_id: str, text: str) -> int:
    ws.send_json({"type": "message", "client_id": client_id, "text": text})
    seen = receive_until(ws, is_assistant_message)
    return next(e["seq"] for e in seen if e["type"] == "ack")


def test_a_message_left_out_is_absent_from_every_console_answer_and_socket_event(client, settings, in_hours):  # noqa: F811
    create_officer(settings, "sam@example.ac.uk")
    ws_cm, student = _open_chat(client)
    answers: list[object] = []
    try:
        secret_seq = _say(student, "s1", SECRET)
        kept_seq = _say(student, "s2", KEPT)
        public_id = _sender(settings)
        with assistant_turn(client, public_id):
            preview = client.post("/api/share-preview", json={"sender_id": public_id}).json()
        assert [m["text"] for m in preview["messages"]] == [SECRET, KEPT]  # what the student is shown

        officer = Console(client, "sam@example.ac.uk")
        officer._use()
        with client.websocket_connect("/ws/console") as socket:
            with assistant_turn(client, public_id):
                response = client.post("/api/handoff-requests", json={
                    "sender_id": public_id, "request_id": "trim-1", "goal": "disclosure", "share_transcript": True,
                    "share_choice": {"from_seq": 0, "upto_seq": kept_seq, "withheld_seqs": [secret_seq]},
                })
            reference = response.json()["reference"]
            answers.append(response.json())
            answers.append(officer.get("/queue").json())
            answers.append(officer.post(f"/conversations/{public_id}/take").json())
            officer._use()
            socket.send_json({"type": "watch", "conversation": public_id})
            detail = officer.get(f"/conversations/{public_id}").json()
            answers.append(detail)
            answers.append(officer.get("/cases").json())
            answers.append(officer.get(f"/cases/{reference}").json())
            answers.append(officer.get("/callbacks").json())
            officer._use()
            student.send_json({"type": "message", "client_id": "s3", "text": "are you there?"})
            events = receive_until(socket, lambda e: e.get("text") == "are you there?", limit=50)
    finally:
        ws_cm.__exit__(None, None, None)
    texts = [m["text"] for m in detail["messages"]]
    assert KEPT in texts and detail["trimmed"] is True
    everything = json.dumps([answers, events])
    assert SECRET not in everything and "regret" not in everything
    case = answers[5]
    assert any(e["kind"] == "transcript_chosen" and e["detail"] == "shared=1 left_out=1" for e in case["events"])


def test_leaving_everything_out_shows_only_what_came_after(client, settings, in_hours):  # noqa: F811
    ws_cm, student = _open_chat(client)
    try:
        with OnDuty(client, settings, "sam@example.ac.uk") as officer:  # someone is there to come
            first = _say(student, "n1", SECRET)
            public_id = _sender(settings)
            with assistant_turn(client, public_id):
                client.post("/api/handoff-requests", json={
                    "sender_id": public_id, "request_id": "trim-2", "goal": "talk", "share_transcript": True,
                    "share_choice": {"upto_seq": first, "withheld_seqs": [first]},
                })
            officer._use()
            officer.post(f"/conversations/{public_id}/take")
            detail = officer.get(f"/conversations/{public_id}").json()
    finally:
        ws_cm.__exit__(None, None, None)
    assert SECRET not in json.dumps(detail) and detail["share_transcript"] is False

"""Erasure: `python -m handoff erase --case/--phone` removes every copy, and leaves only a count-only stub."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from handoff.channels.sms.standin import TwilioStandIn
from handoff.core.crypto import Vault
from handoff.core.twilio import SmsSender
from handoff.main import create_app
from handoff.records.erase import subject_hash
from handoff.records.models import RecordsAudit

from ..chat_helpers import assistant_turn
from .test_records_support import (
    all_counts,
    case_for,
    command_env,
    conversation_with,
    dump,
    run,
    run_command,
    sms_conversation,
)

PHONE = "+447700900123"
SECRET_WORDS = "erasure-canary words about what happened"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")


def _seed(settings, *, twilio_sids: tuple[str, ...] = ()):
    async def go(db):
        from handoff.core import crypto

        vault = crypto.active_vault()
        web = await case_for(db, await conversation_with(db, [SECRET_WORDS, "and more"]), note="a note",
                             callback_contact="someone@example.ac.uk")
        text = await case_for(db, await sms_conversation(db, vault, PHONE, [SECRET_WORDS], provider_sids=twilio_sids,
                                                         inbound_sid="SM" + "a" * 32), note="sms note")
        other = await case_for(db, await conversation_with(db, ["someone else"]), note="someone else's note")
        bystander = await sms_conversation(db, vault, "+447700900999", ["another number"])
        return web, text, other, bystander

    return run(settings, go)


def _references(settings) -> set[str]:
    from handoff.cases.models import Case

    return set(run(settings, lambda db: db.scalars(select(Case.reference))))


def _audit(settings) -> list[RecordsAudit]:
    return list(run(settings, lambda db: db.scalars(select(RecordsAudit))))


def test_erasing_a_case_removes_its_conversation_notes_and_history_and_keeps_the_rest(settings, monkeypatch):
    web, _text, other, _ = _seed(settings)
    before = run(settings, all_counts)
    with command_env(monkeypatch, settings):
        code, out, err = run_command(["erase", "--case", web.reference.lower().replace("-", " "), "--yes"])
    assert code == 0, err
    assert _references(settings) == {_text.reference, other.reference}
    after = run(settings, all_counts)
    assert after["conversations"] == before["conversations"] - 1
    assert after["messages"] == before["messages"] - 2
    assert after["case_notes"] == before["case_notes"] - 1 and after["callback_requests"] == 0
    assert "Deleted from the service's database: 1 case, 1 case note" in out and "2 messages" in out
    assert "in-memory tracker store" in out and "until it restarts" in out  # development: said plainly
    assert SECRET_WORDS not in out + err

    [stub] = _audit(settings)
    assert stub.kind == "erasure" and stub.actor.startswith("erase --case by ")
    assert stub.counts["cases"] == 1 and stub.counts["messages"] == 2
    assert stub.subject_kind == "case"
    assert stub.subject_hash == subject_hash(Vault.from_settings(settings), "case", web.reference)
    raw = run(settings, lambda db: dump(db, "records_audit"))
    assert web.reference not in raw and SECRET_WORDS not in raw


def test_erasing_a_phone_number_removes_its_contact_conversations_cases_and_twilio_copies(settings, monkeypatch):
    standin = TwilioStandIn(account_sid="AC" + "3" * 32, auth_token="standin-token-erase-123456").start()
    try:
        sender = SmsSender(account_sid=standin.account_sid, auth_token=standin.auth_token,
                           from_number="+447700900000", api_base=standin.base_url)
        sent = asyncio.run(sender.send(to=PHONE, body=SECRET_WORDS))
        web, text, other, bystander = _seed(settings, twilio_sids=(sent,))
        env = dict(TWILIO_ACCOUNT_SID=standin.account_sid, TWILIO_AUTH_TOKEN=standin.auth_token,
                   TWILIO_API_BASE=standin.base_url)
        with command_env(monkeypatch, settings, **env):
            code, out, err = run_command(["erase", "--phone", "07700 900123", "--yes"])
        assert code == 0, err
        assert [s.sid for s in standin.sent] == []  # Twilio's copy of the text is gone too
    finally:
        standin.stop()
    assert "Twilio: deleted 1 message; 1 no longer there." in out
    assert _references(settings) == {web.reference, other.reference}
    assert text.reference not in _references(settings)
    from handoff.conversations.models import Conversation

    kept = set(run(settings, lambda db: db.scalars(select(Conversation.id))))
    assert bystander.conversation_id in kept and text.conversation_id not in kept
    counts = run(settings, all_counts)
    assert counts["sms_contacts"] == 1 and counts["sms_outbound"] == 0  # only the other number is left
    assert PHONE not in out + err and "900123" not in out + err
    [stub] = _audit(settings)
    assert stub.subject_kind == "phone" and stub.counts["sms_contacts"] == 1
    assert stub.subject_hash == subject_hash(Vault.from_settings(settings), "phone", PHONE)
    assert "900123" not in run(settings, lambda db: dump(db, "records_audit"))


def test_a_number_given_only_as_a_call_back_contact_is_found_too(settings, monkeypatch):
    async def go(db):
        return await case_for(db, await conversation_with(db, ["web chat"]), callback_contact="+44 7700 900555")

    stored = run(settings, go)
    with command_env(monkeypatch, settings):
        code, out, _ = run_command(["erase", "--phone", "+447700900555", "--yes"])
    assert code == 0 and "1 call-back request" in out
    assert stored.reference not in _references(settings)


def test_without_twilio_credentials_it_says_what_twilio_still_holds(settings, monkeypatch):
    _seed(settings, twilio_sids=("SM" + "b" * 32,))
    with command_env(monkeypatch, settings):
        _, out, _ = run_command(["erase", "--phone", PHONE, "--yes"])
    assert "Twilio: credentials are not configured here, so Twilio still holds 2 messages" in out
    assert "SM" + "b" * 32 in out and "SM" + "a" * 32 in out


def test_it_asks_first_and_no_means_nothing_is_deleted(settings, monkeypatch):
    web, *_ = _seed(settings)
    before = run(settings, all_counts)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with command_env(monkeypatch, settings):
        code, out, _ = run_command(["erase", "--case", web.reference])
    assert code == 1 and "Nothing was deleted." in out
    assert run(settings, all_counts) == before


def test_bad_input_gets_a_clear_answer_and_unknown_cases_delete_nothing(settings, monkeypatch):
    _seed(settings)
    before = run(settings, all_counts)
    with command_env(monkeypatch, settings):
        code, _, err = run_command(["erase", "--phone", "call me maybe", "--yes"])
        assert code == 2 and "not a phone number" in err
        code, _, err = run_command(["erase", "--case", "K7M", "--yes"])
        assert code == 2 and "not a case reference" in err
        code, out, _ = run_command(["erase", "--case", "KKK-KKK", "--yes"])
        assert code == 0 and "Nothing is stored for case KKK-KKK" in out
    assert run(settings, all_counts) == before


@needs_redis
def test_a_redis_tracker_store_loses_the_conversations_tracker(settings, monkeypatch):
    import redis

    web, *_ = _seed(settings)
    store = redis.Redis.from_url(REDIS_URL)
    key, bystander = f"erasetest:tracker:{web.public_id}", "erasetest:tracker:someone-else"
    store.set(key, '{"events": ["what the student wrote"]}')
    store.set(bystander, "{}")
    try:
        with command_env(monkeypatch, settings, RASA_TRACKER_STORE_URL=REDIS_URL, RASA_TRACKER_KEY_PREFIX="erasetest"):
            _, out, _ = run_command(["erase", "--case", web.reference, "--yes"])
        assert "Rasa: deleted 1 tracker from its Redis tracker store." in out
        assert store.get(key) is None and store.get(bystander) == b"{}"
    finally:
        store.delete(key, bystander)
        store.close()


def test_a_sql_tracker_store_loses_the_conversations_events(settings, monkeypatch, tmp_path):
    web, *_ = _seed(settings)
    path = tmp_path / "rasa.db"
    with sqlite3.connect(path) as db:  # the table Rasa's SQLTrackerStore writes
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, data TEXT)")
        db.executemany("INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
                       [(web.public_id, SECRET_WORDS), (web.public_id, "more"), ("someone-else", "theirs")])
    with command_env(monkeypatch, settings, RASA_TRACKER_STORE_URL=f"sqlite:///{path}"):
        _, out, _ = run_command(["erase", "--case", web.reference, "--yes"])
    assert "Rasa: deleted 2 trackers from its SQL tracker store." in out
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [("someone-else",)]


@needs_redis
def test_the_students_own_delete_my_chat_removes_the_assistants_copy_too(settings):
    import redis

    stored = run(settings, lambda db: conversation_with(db, [SECRET_WORDS]))
    store = redis.Redis.from_url(REDIS_URL)
    key = f"tracker:{stored.public_id}"
    store.set(key, '{"events": []}')
    configured = settings.model_copy(update={"rasa_tracker_store_url": REDIS_URL})
    try:
        with TestClient(create_app(configured)) as client:
            with assistant_turn(client, stored.public_id):
                response = client.post("/api/conversations/erase", json={"sender_id": stored.public_id})
            assert response.json() == {"erased": 1, "kept_for_case": False}
            deadline = time.monotonic() + 5
            while store.exists(key) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not store.exists(key)
            store.set(key, '{"events": ["saved again at the end of the turn"]}')  # as Rasa does
        assert not store.exists(key)  # deleted again once the turn is surely over
    finally:
        store.delete(key)
        store.close()

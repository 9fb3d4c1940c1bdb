"""Field encryption: authenticated, randomised, rotatable; lookups through a keyed hash."""

import pytest
from cryptography.fernet import Fernet

from handoff.core.config import Settings
from handoff.core.crypto import DecryptionFailed, Vault


def _vault(*keys: bytes) -> Vault:
    return Vault(list(keys), hash_key=b"k" * 32)


def test_the_same_plaintext_twice_gives_different_ciphertexts_that_both_decrypt():
    vault = _vault(Fernet.generate_key())
    a, b = vault.encrypt("+447700900123"), vault.encrypt("+447700900123")
    assert a != b and "7700900123" not in a
    assert vault.decrypt(a) == vault.decrypt(b) == "+447700900123"


def test_tampering_is_detected():
    vault = _vault(Fernet.generate_key())
    token = vault.encrypt("secret")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(DecryptionFailed):
        vault.decrypt(tampered)


def test_rotation_keeps_old_rows_readable_and_moves_them_to_the_new_key():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    stored = _vault(old).encrypt("note")
    rotated_vault = _vault(new, old)
    assert rotated_vault.decrypt(stored) == "note"
    moved = rotated_vault.rotate(stored)
    assert _vault(new).decrypt(moved) == "note"
    with pytest.raises(DecryptionFailed):
        _vault(old).decrypt(moved)


def test_lookup_hashes_are_stable_keyed_and_not_the_value():
    settings = Settings(_env_file=None)
    vault = Vault.from_settings(settings)
    assert vault.lookup_hash("+447700900123") == Vault.from_settings(settings).lookup_hash("+447700900123")
    other = Vault.from_settings(Settings(secret_key="another-secret-key-for-this-test-only", _env_file=None))
    assert other.lookup_hash("+447700900123") != vault.lookup_hash("+447700900123")


def test_the_raw_database_holds_no_message_or_note_text(client, settings):
    from sqlalchemy import text as sql

    from ..chat_helpers import hello, is_assistant_message, receive_until
    from ..db_helpers import run_db

    canary = "canary-words-7431 about what happened"
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "c", "text": canary})
        reply = receive_until(ws, is_assistant_message)[-1]["text"]

    async def dump(db):
        rows = []
        for table in ("messages", "conversations", "conversation_events", "case_notes"):
            rows += [str(tuple(r)) for r in (await db.execute(sql(f"SELECT * FROM {table}"))).all()]
        return " ".join(rows)

    raw = run_db(settings, dump)
    # Neither the student's words nor the assistant's reply (its longest line, so a timestamp's digits never match)
    longest = max(reply.splitlines(), key=len)
    assert len(longest) > 20 and "canary-words-7431" not in raw and longest not in raw
    from ..db_helpers import messages

    assert messages(settings)[0].text == canary  # and the service still reads it back


def test_a_safe_time_and_a_quick_reply_payload_never_reach_the_database_in_plain_text(client, settings):
    """The student's own words for when to call ("after 6, Flat 3 Elm Road") and a quick reply's payload."""
    from sqlalchemy import select
    from sqlalchemy import text as sql

    from handoff.cases import service as cases
    from handoff.cases.enums import Goal
    from handoff.cases.models import CallbackRequest
    from handoff.conversations.models import Conversation
    from handoff.core import crypto

    from ..chat_helpers import hello, is_assistant_message, receive_until
    from ..db_helpers import messages, run_db

    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "q1", "text": "Just talk",
                      "payload": '/goal_talk{"where":"canary-payload-5521"}'})
        receive_until(ws, is_assistant_message)

    async def add_callback(db):
        conversation = await db.scalar(select(Conversation))
        case, _ = await cases.create_for_request(
            db_session=db, conversation=conversation, request_id="r1", goal=Goal.talk, share_transcript=False,
            anonymous=True, out_of_hours=True,
        )
        await cases.add_callback(db_session=db, case=case, preferred_channel="phone",
                                 safe_time="after 6 at canary-flat-3 Elm Road, ask for Priya",
                                 contact_encrypted=crypto.active_vault().encrypt("07700 900456"))

    run_db(settings, add_callback)

    async def dump(db):
        rows = []
        for table in ("messages", "callback_requests"):
            rows += [str(tuple(r)) for r in (await db.execute(sql(f"SELECT * FROM {table}"))).all()]
        return " ".join(rows)

    raw = run_db(settings, dump)
    assert "canary-payload-5521" not in raw and "goal_talk" not in raw
    assert "canary-flat-3" not in raw and "Priya" not in raw
    # The service still reads both back.
    assert messages(settings)[0].extra["payload"] == '/goal_talk{"where":"canary-payload-5521"}'
    callback = run_db(settings, lambda db: db.scalar(select(CallbackRequest)))
    assert callback.safe_time == "after 6 at canary-flat-3 Elm Road, ask for Priya"

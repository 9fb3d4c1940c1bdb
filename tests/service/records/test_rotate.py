"""`python -m handoff rotate-keys`: every encrypted value moves to the newest key, and an old key can go."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import column, select, table, text

from handoff.core.config import Settings
from handoff.core.crypto import DecryptionFailed, Vault
from handoff.records.progress import Progress
from handoff.rotation import encrypted_columns, rotate_keys

from .test_records_support import (
    case_for,
    command_env,
    conversation_with,
    run,
    run_command,
    sms_conversation,
)

SAME = "the same words, said twice"


def _keys() -> tuple[str, str]:
    return Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _settings(settings: Settings, keys: str) -> Settings:
    return settings.model_copy(update={"encryption_keys": keys})


def _seed(settings: Settings) -> None:
    async def go(db):
        vault = Vault.from_settings(settings)
        chat = await conversation_with(db, [SAME, SAME, "something else entirely"])
        await case_for(db, chat, note="officer's note", callback_contact="07700 900456", vault=vault)
        await sms_conversation(db, vault, "+447700900123", ["a text message"])

    run(settings, go)


def _raw_values(settings: Settings) -> dict[str, list[tuple[int, str]]]:
    async def go(db):
        found = {}
        for where in encrypted_columns():
            key, value = column(where.key), column(where.column)
            query = select(key, value).select_from(table(where.table, key, value)).where(value.is_not(None))
            found[str(where)] = [tuple(r) for r in (await db.execute(query.order_by(key))).all()]
        return found

    return run(settings, go)


def test_rotation_moves_every_row_to_the_new_key_so_the_old_key_can_be_removed(settings, monkeypatch):
    new, old = _keys()
    _seed(_settings(settings, old))
    before = _raw_values(settings)
    for name in ("messages.text", "messages.extra", "case_notes.text", "callback_requests.contact_encrypted",
                 "callback_requests.safe_time", "sms_contacts.phone_encrypted"):
        assert before[name], f"the test stores no {name}"

    with command_env(monkeypatch, settings, ENCRYPTION_KEYS=f"{new},{old}"):
        code, out, err = run_command(["rotate-keys", "--batch-size", "2"])
    assert code == 0, err
    total = sum(len(rows) for rows in before.values())
    assert f"Re-encrypted {total} values" in out
    assert f"{total}/{total} rows" in err and "Re-encrypting" in err  # the progress bar, on stderr
    assert SAME not in err + out and "900123" not in err + out

    after = _raw_values(settings)
    only_new, only_old = Vault([new.encode()], b"h" * 32), Vault([old.encode()], b"h" * 32)
    plain = {}
    for name, rows in after.items():
        assert len(rows) == len(before[name])
        for row_id, token in rows:
            plain[(name, row_id)] = only_new.decrypt(token)
            with pytest.raises(DecryptionFailed):
                only_old.decrypt(token)
    assert sorted(v for (n, _), v in plain.items() if n == "messages.text") == sorted(
        [SAME, SAME, "something else entirely", "a text message"]
    )
    assert "+447700900123" in plain.values() and "officer's note" in plain.values()
    same = [token for _, token in after["messages.text"] if only_new.decrypt(token) == SAME]
    assert len(same) == 2 and same[0] != same[1]  # still randomised: equal texts do not look equal

    # And the service, started with only the new key, reads everything back.
    new_only = _settings(settings, new)

    async def read_messages(db):
        from handoff.conversations.models import Message

        return sorted(m.text for m in await db.scalars(select(Message)))

    assert run(new_only, read_messages) == sorted([SAME, SAME, "something else entirely", "a text message"])


def test_running_it_again_changes_nothing_and_says_so(settings, monkeypatch):
    new, old = _keys()
    _seed(_settings(settings, old))
    with command_env(monkeypatch, settings, ENCRYPTION_KEYS=f"{new},{old}"):
        run_command(["rotate-keys"])
        first = _raw_values(settings)
        code, out, _ = run_command(["rotate-keys"])
    assert code == 0
    assert "Re-encrypted 0 values" in out
    assert _raw_values(settings) == first


def test_an_interrupted_rotation_keeps_its_progress_and_a_second_run_finishes(settings):
    new, old = _keys()
    _seed(_settings(settings, old))
    both = Vault([new.encode(), old.encode()], b"h" * 32)

    class Interrupt(Progress):
        def advance(self, count: int = 1) -> None:
            super().advance(count)
            raise KeyboardInterrupt  # Ctrl-C straight after the first batch was committed

    with pytest.raises(KeyboardInterrupt):
        run(settings, lambda db: rotate_keys(db_session=db, vault=both, batch_size=2, progress_factory=Interrupt),
            vault=both)
    result = run(settings, lambda db: rotate_keys(db_session=db, vault=both, batch_size=2), vault=both)
    first_batch = min(2, len(next(rows for rows in _raw_values(settings).values() if rows)))  # the first column's
    assert result.already_current == first_batch and result.rotated > 0
    only_new = Vault([new.encode()], b"h" * 32)
    for rows in _raw_values(settings).values():
        for _, token in rows:
            only_new.decrypt(token)


def test_a_tampered_value_stops_the_rotation_loudly_and_names_the_row(settings, monkeypatch):
    new, old = _keys()
    _seed(_settings(settings, old))
    row_id, token = _raw_values(settings)["messages.text"][1]
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    async def tamper(db):
        await db.execute(text("UPDATE messages SET text = :t WHERE id = :i"), {"t": tampered, "i": row_id})
        await db.commit()

    run(settings, tamper)
    with command_env(monkeypatch, settings, ENCRYPTION_KEYS=f"{new},{old}"):
        code, out, err = run_command(["rotate-keys"])
    assert code == 1
    assert f"messages.text row {row_id} cannot be decrypted" in err
    assert "Re-encrypted" not in out
    after = dict(_raw_values(settings)["messages.text"])
    assert after[row_id] == tampered  # left exactly as found, for someone to look at

"""The schema is built by migrations alone, from an empty database, on SQLite and PostgreSQL."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from handoff.core.config import Settings
from handoff.core.db import create_engine
from handoff.core.migrate import downgrade, upgrade
from handoff.models import Base


def _inspect(url: str):
    async def run():
        engine = create_engine(url)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        await engine.dispose()
        return tables, diff

    return asyncio.run(run())


def test_migrations_match_the_models_and_run_both_ways(database_url):
    url = Settings(database_url=database_url, _env_file=None).async_database_url
    tables, diff = _inspect(url)
    assert {"conversations", "messages", "conversation_events", "officers", "staff_sessions"} <= tables
    assert diff == []
    downgrade(url)
    tables, _ = _inspect(url)
    assert tables <= {"alembic_version"}
    upgrade(url)
    tables, diff = _inspect(url)
    assert "messages" in tables and diff == []


def test_upgrading_encrypts_the_safe_times_and_message_extras_already_stored(database_url):
    """Rows written before the columns were encrypted are encrypted in place, and read back the same."""
    import datetime
    import json

    from sqlalchemy import text

    from handoff.core.crypto import Vault

    url = Settings(database_url=database_url, _env_file=None).async_database_url
    downgrade(url, "0005")
    now = datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC)

    async def run(statements, query=None):
        engine = create_engine(url)
        async with engine.begin() as connection:
            for statement, values in statements:
                await connection.execute(text(statement), values)
            rows = (await connection.execute(text(query))).all() if query else None
        await engine.dispose()
        return rows

    extra = {"payload": '/goal_talk{"where":"canary-payload-88"}', "risk": ["abuse"]}
    asyncio.run(run([
        ("INSERT INTO conversations (id, public_id, token_hash, channel, owner, institution_id, risk_level, "
         "risk_flags, last_seq, created_at, updated_at, owner_since) VALUES (1, 'p1', 't1', 'webchat', 'bot', "
         "'example', 0, '[]', 1, :now, :now, :now)", {"now": now}),
        ("INSERT INTO messages (id, conversation_id, seq, direction, text, extra, created_at) "
         "VALUES (1, 1, 1, 'user', 'x', :extra, :now)", {"extra": json.dumps(extra), "now": now}),
        ("INSERT INTO cases (id, reference, request_id, conversation_id, institution_id, channel, goal, "
         "share_transcript, anonymous, status, out_of_hours, created_at) VALUES (1, 'R1', 'q1', 1, 'example', "
         "'webchat', 'talk', false, true, 'open', true, :now)", {"now": now}),
        ("INSERT INTO callback_requests (id, case_id, preferred_channel, safe_time, contact_encrypted, done, "
         "created_at) VALUES (1, 1, 'phone', 'canary-safe-time at Flat 3', 'c', false, :now)", {"now": now}),
    ]))
    upgrade(url)
    raw = asyncio.run(run([], "SELECT m.extra, c.safe_time FROM messages m, callback_requests c"))
    assert "canary" not in str(raw)
    vault = Vault.from_settings(Settings(_env_file=None))
    assert json.loads(vault.decrypt(raw[0][0])) == extra
    assert vault.decrypt(raw[0][1]) == "canary-safe-time at Flat 3"
    # And downgrading gives the plain values back.
    downgrade(url, "0005")
    raw = asyncio.run(run([], "SELECT m.extra, c.safe_time FROM messages m, callback_requests c"))
    assert raw[0][1] == "canary-safe-time at Flat 3" and "canary-payload-88" in str(raw[0][0])

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

"""What the operator commands (``python -m handoff ...``) share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

import handoff.models  # noqa: F401 - every table is known before a command touches any of them
from handoff.core import crypto
from handoff.core.config import Settings, get_settings
from handoff.core.crypto import Vault
from handoff.core.db import create_engine, create_sessionmaker

T = TypeVar("T")


async def with_database(fn: Callable[[AsyncSession, Settings, Vault], Awaitable[T]]) -> T:
    """Run ``fn(db_session, settings, vault)`` on the configured database, with the encryption keys in place."""
    settings = get_settings()
    vault = Vault.from_settings(settings)
    crypto.configure(vault)
    engine = create_engine(settings.async_database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            return await fn(db, settings, vault)
    finally:
        await engine.dispose()

"""Re-encrypt every encrypted value with the newest key, in batches, so an old key can be retired."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnClause, MetaData, Text, column, func, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.core.crypto import DecryptionFailed, EncryptedText, Vault
from handoff.records.progress import NoProgress, Progress

BATCH_SIZE = 500


@dataclass(frozen=True)
class EncryptedColumn:
    """One column that holds Fernet tokens, and the primary key to walk its rows by."""

    table: str
    column: str
    key: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class RotationResult:
    rotated: int = 0
    already_current: int = 0


class RotationFailed(Exception):
    """A stored value could not be decrypted with any configured key: tampered, or its key is gone."""

    def __init__(self, where: EncryptedColumn, row_id: object) -> None:
        super().__init__(
            f"{where} row {row_id} cannot be decrypted with any key in ENCRYPTION_KEYS (tampered, or its key was "
            "removed). Rows before it are rotated; nothing was changed in this row."
        )
        self.where, self.row_id = where, row_id


def _is_encrypted(col: Column) -> bool:
    # EncryptedText columns, and text columns the code encrypts itself (named ``*_encrypted``).
    return isinstance(col.type, EncryptedText) or (col.name.endswith("_encrypted") and isinstance(col.type, Text))


def encrypted_columns(metadata: MetaData | None = None) -> list[EncryptedColumn]:
    """Every encrypted column of every table, found from the models (so new ones are never forgotten)."""
    if metadata is None:
        import handoff.models  # noqa: F401 - registers every table
        from handoff.core.db import Base

        metadata = Base.metadata
    found = []
    for tbl in metadata.sorted_tables:
        keys = list(tbl.primary_key.columns)
        if len(keys) != 1:
            continue
        found += [EncryptedColumn(tbl.name, col.name, keys[0].name) for col in tbl.columns if _is_encrypted(col)]
    return found


async def count_values(*, db_session: AsyncSession, columns: list[EncryptedColumn]) -> int:
    """How many stored values the columns hold (NULLs are not counted)."""
    total = 0
    for where in columns:
        value: ColumnClause[Any] = column(where.column)
        total += await db_session.scalar(
            select(func.count()).select_from(table(where.table, value)).where(value.is_not(None))
        ) or 0
    return total


async def rotate_keys(
    *, db_session: AsyncSession, vault: Vault, columns: list[EncryptedColumn] | None = None,
    batch_size: int = BATCH_SIZE, progress_factory: Callable[[str, int], Progress] | None = None,
) -> RotationResult:
    """Re-encrypt every value not yet under the newest key, committing after each batch.

    Safe to stop at any point and run again: values already under the newest key are left alone. A value
    that no key can read stops the run with ``RotationFailed`` (never silently skipped).
    """
    columns = encrypted_columns() if columns is None else columns
    total = await count_values(db_session=db_session, columns=columns)
    progress = (progress_factory or NoProgress)("Re-encrypting", total)
    result = RotationResult()
    try:
        for where in columns:
            key: ColumnClause[Any] = column(where.key)
            value: ColumnClause[str] = column(where.column, Text)
            raw = table(where.table, key, value)
            last = None
            while True:
                query = select(key, value).where(value.is_not(None)).order_by(key).limit(batch_size)
                if last is not None:
                    query = query.where(key > last)
                rows = (await db_session.execute(query)).all()
                if not rows:
                    break
                for row_id, token in rows:
                    if vault.is_current(token):
                        result.already_current += 1
                        continue
                    try:
                        fresh = vault.rotate(token)
                    except DecryptionFailed:
                        await db_session.commit()
                        raise RotationFailed(where, row_id) from None
                    # Only if nobody changed the value meanwhile (the service may be running).
                    await db_session.execute(
                        update(raw).where(key == row_id, value == token).values({where.column: fresh})
                    )
                    result.rotated += 1
                await db_session.commit()
                progress.advance(len(rows))
                last = rows[-1][0]
    finally:
        progress.close()
    return result

"""encrypt the call-back safe time and each message's extra (a quick reply's payload, risk labels)

Existing rows are encrypted in place with the newest key of ENCRYPTION_KEYS (or the development key), the key
the service itself would use; `python -m handoff rotate-keys` covers both columns afterwards.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from handoff.core.config import get_settings
from handoff.core.crypto import Vault

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1000


def _rewrite(table: str, column: str, change: Callable[[str], str]) -> None:
    """Apply ``change`` to every non-NULL value of the column, a batch of rows at a time."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL ORDER BY id LIMIT :n"  # noqa: S608 - fixed names
        ), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        for row_id, value in rows:
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),  # noqa: S608
                         {"value": change(value), "id": row_id})
        last = rows[-1][0]


def _as_text(value: object) -> str:
    # PostgreSQL's json column may come back parsed; SQLite's as the text it holds.
    return value if isinstance(value, str) else json.dumps(value)


def upgrade() -> None:
    vault = Vault.from_settings(get_settings())
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.alter_column("safe_time", existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=False)
    if postgres:
        op.execute("ALTER TABLE messages ALTER COLUMN extra TYPE text USING extra::text")
    else:
        with op.batch_alter_table("messages", schema=None) as batch_op:
            batch_op.alter_column("extra", existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False)
    _rewrite("callback_requests", "safe_time", vault.encrypt)
    _rewrite("messages", "extra", lambda value: vault.encrypt(json.dumps(json.loads(_as_text(value)),
                                                                          separators=(",", ":"))))


def downgrade() -> None:
    vault = Vault.from_settings(get_settings())
    postgres = op.get_bind().dialect.name == "postgresql"
    _rewrite("callback_requests", "safe_time", lambda value: vault.decrypt(value)[:200])
    _rewrite("messages", "extra", vault.decrypt)
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.alter_column("safe_time", existing_type=sa.Text(), type_=sa.String(length=200),
                              existing_nullable=False)
    if postgres:
        op.execute("ALTER TABLE messages ALTER COLUMN extra TYPE json USING extra::json")
    else:
        with op.batch_alter_table("messages", schema=None) as batch_op:
            batch_op.alter_column("extra", existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False)

"""case resume code: a returning student proves the reference is theirs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Cases opened before this have no code. Their references keep working for officers (console, records), but a
student can no longer move one of them into a new conversation by quoting the reference alone: the assistant
answers as it does for any reference it cannot link, and offers a person, who can find the case by reference.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("resume_code", sa.Text(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of `cases` would drop the table, and with foreign keys on
    # that deletes the call-back requests that belong to its cases.
    op.drop_column("cases", "resume_code")

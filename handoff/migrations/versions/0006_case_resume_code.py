"""case resume code: a returning student proves the reference is theirs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Cases opened before this have no code. Their references keep working for officers (console, records), but a
student can no longer move one of them into a new conversation by quoting the reference alone: the assistant
answers as it does for any reference it cannot link, and offers a person, who can find the case by reference.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("resume_code", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("resume_code")

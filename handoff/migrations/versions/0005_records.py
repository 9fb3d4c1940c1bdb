"""records audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=True),
        sa.Column("subject_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records_audit")),
    )
    with op.batch_alter_table("records_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_records_audit_subject_hash"), ["subject_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("records_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_records_audit_subject_hash"))
    op.drop_table("records_audit")

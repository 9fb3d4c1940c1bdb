"""staff security: two-step sign-in, pending sign-ins, audit events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("last_signin_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("enrol_secret", sa.Text(), nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("subject_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_audit_events_officer_id_officers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_client"), ["client"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_subject_hash"), ["subject_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_subject_hash"))
        batch_op.drop_index(batch_op.f("ix_audit_events_client"))
        batch_op.drop_index(batch_op.f("ix_audit_events_officer_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_created_at"))
    op.drop_table("audit_events")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_column("enrol_secret")
        batch_op.drop_column("pending")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_column("last_signin_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("totp_last_step")

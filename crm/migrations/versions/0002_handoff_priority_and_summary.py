"""handoff priority and summary

The human hand-off queue is served by priority (higher first, existing requests get 0) and carries the
bot's summary of the conversation for the agent (encrypted, like every free text of a customer); the
wait estimate reads the most recent assignments, hence the index on `assigned_at`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:07:08.757802
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("summary", sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f("ix_handoff_requests_assigned_at"), ["assigned_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_requests_assigned_at"))
        batch_op.drop_column("summary")
        batch_op.drop_column("priority")

"""manual routing

Queue operations (#16 item 3): `handoff_requests.routed_by`, the supervisor who assigned a waiting request to
an agent (empty: round-robin). The periodic pass routes again a request whose agent went offline only when
round-robin chose that agent; a supervisor's choice stands.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_column("routed_by")

"""queue operations

Queue operations (#16 item 3): `agent_presence` (online / away / offline as set in the console header, the
console's last heartbeat, an optional cap on concurrent conversations and when a request was last routed to
the agent, for round-robin), and on `handoff_requests` the agent a waiting request is routed to
(`routed_to`, `routed_at`) and, for a request that waited too long, when it expired and the ticket it became.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_presence",
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "online", "away", "offline", name="presence_status", native_enum=False, create_constraint=True, length=7
            ),
            nullable=False,
        ),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("max_open", sa.Integer(), nullable=True),
        sa.Column("last_assigned_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_agent_presence_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_user_id", name=op.f("pk_agent_presence")),
    )
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routed_to", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("routed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("expired_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_handoff_requests_ticket_id_tickets"), "tickets", ["ticket_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_handoff_requests_ticket_id_tickets"), type_="foreignkey")
        batch_op.drop_column("ticket_id")
        batch_op.drop_column("expired_at")
        batch_op.drop_column("routed_at")
        batch_op.drop_column("routed_to")
    op.drop_table("agent_presence")

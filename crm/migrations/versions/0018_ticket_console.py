"""ticket console

Tickets in the console (#16 item 7): a ticket keeps the conversation it came from, the Rasa sender id
(encrypted) and the language to tell the customer on their channel when it closes, the reply time they were
promised, and its closing (`closed_at`, an encrypted `resolution` note, `customer_told_at`);
`ticket_events` is its history (comments, status changes, assignments, the closing, the customer told).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("open", "pending", "resolved", "closed")
KINDS = ("comment", "status", "assign", "close", "told")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sender_id", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "language",
                sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=True, length=2),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("promise", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("customer_told_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_conversation_id_conversations"),
            "conversations",
            ["conversation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_tickets_assignee_status"), ["assignee", "status"], unique=False)
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="ticket_event_kind", native_enum=False, create_constraint=True, length=7),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="ticket_status", native_enum=False, create_constraint=True, length=8),
            nullable=True,
        ),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("text", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id_created_at"), "ticket_events", ["ticket_id", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_events_ticket_id_created_at"), table_name="ticket_events")
    op.drop_table("ticket_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_assignee_status"))
        batch_op.drop_constraint(batch_op.f("fk_tickets_conversation_id_conversations"), type_="foreignkey")
        batch_op.drop_column("customer_told_at")
        batch_op.drop_column("resolution")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("promise")
        batch_op.drop_constraint(batch_op.f("ck_tickets_language"), type_="check")
        batch_op.drop_column("language")
        batch_op.drop_column("sender_id")
        batch_op.drop_column("conversation_id")

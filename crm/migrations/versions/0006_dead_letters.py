"""dead letters

Events the feedback consumer could not apply (`dead_letters`): set aside, encrypted, so one bad event
no longer stops the stream; `python -m crm dead-letters` replays or drops them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:05:19.920710
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.Column("event_name", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("payload_chars", sa.Integer(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "retried", "dropped", name="dead_letter_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_dead_letters_source_digest"), "dead_letters", ["source", "digest"], unique=True)
    op.create_index(op.f("ix_dead_letters_status_created_at"), "dead_letters", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dead_letters_status_created_at"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_source_digest"), table_name="dead_letters")
    op.drop_table("dead_letters")

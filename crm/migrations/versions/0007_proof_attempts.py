"""proof attempts

Order proofs ("the last four digits of the phone or the email on the order") counted in the CRM per order
and per sender across conversations (`proof_attempts`), and the locks with back-off that too many failures
bring (`proof_locks`): a form's own counter started again with every run of the form.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:12:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proof_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=16), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proof_attempts")),
    )
    op.create_index(
        op.f("ix_proof_attempts_order_number_attempted_at"),
        "proof_attempts",
        ["order_number", "attempted_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_proof_attempts_sender_key_attempted_at"),
        "proof_attempts",
        ["sender_key", "attempted_at"],
        unique=False,
    )
    op.create_table(
        "proof_locks",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("strikes", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_proof_locks")),
    )


def downgrade() -> None:
    op.drop_table("proof_locks")
    op.drop_index(op.f("ix_proof_attempts_sender_key_attempted_at"), table_name="proof_attempts")
    op.drop_index(op.f("ix_proof_attempts_order_number_attempted_at"), table_name="proof_attempts")
    op.drop_table("proof_attempts")

"""account linking codes

One-time codes that link a customer's identity on one channel to the account they are known by on
another (WeChat official account <-> the shop's website), and the attempts made, which limit guessing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "issued_on",
            sa.Enum(
                "web", "wechat", "phone", "email", "rest", name="channel", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_link_codes_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_codes")),
    )
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_codes_code_hash"), ["code_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_link_codes_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_attempts")),
    )
    with op.batch_alter_table("link_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_attempts_sender_key_attempted_at"), ["sender_key", "attempted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("link_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_attempts_sender_key_attempted_at"))
    op.drop_table("link_attempts")
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_codes_customer_id"))
        batch_op.drop_index(batch_op.f("ix_link_codes_code_hash"))
    op.drop_table("link_codes")

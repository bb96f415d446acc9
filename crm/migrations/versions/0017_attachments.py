"""attachments

Attachments (#16 item 6): `attachments`, one row per image of a conversation (a customer's photo from the web
page or WeChat, or an image an agent sent from the console). The file itself is stored outside the database
under a random id (`file_id`); the row links it to the conversation (`sender_key`, and the conversation and
customer when known) and keeps who sent it, its type, size, dimensions and SHA-256.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web",
                "wechat",
                "phone",
                "email",
                "rest",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=6,
            ),
            nullable=False,
        ),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column(
            "uploader",
            sa.Enum(
                "customer", "agent", name="attachment_uploader", native_enum=False, create_constraint=True, length=8
            ),
            nullable=False,
        ),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_attachments_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_attachments_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("file_id", name=op.f("uq_attachments_file_id")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_attachments_sender_key_created_at"), ["sender_key", "created_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("attachments")

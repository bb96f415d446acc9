"""conversation feedback

What the feedback consumer writes from Rasa's events: where it has read up to (`consumer_offsets`),
the event each transcript message and chat interaction came from (`event_key`, unique, so replaying
an event changes nothing), the bot action behind a bot message, the interests a customer showed, and
their preferred channel, last contact and satisfaction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:01:05.158953
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch table rebuild): cheap on a large CRM, and SQLite supports it for these.
    op.create_table(
        "consumer_offsets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_consumer_offsets")),
    )
    op.create_table(
        "customer_interests",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_interests_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "tag", name=op.f("pk_customer_interests")),
    )
    op.add_column(
        "customers",
        sa.Column(
            "preferred_channel",
            sa.Enum(
                "web",
                "wechat",
                "phone",
                "email",
                "rest",
                name="channel",
                native_enum=False,
                create_constraint=False,
                length=6,
            ),
            nullable=True,
        ),
    )
    op.add_column("customers", sa.Column("last_contact_at", sa.DateTime(), nullable=True))
    op.add_column("customers", sa.Column("satisfaction", sa.Float(), nullable=True))
    op.add_column("interactions", sa.Column("event_key", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_interactions_event_key"), "interactions", ["event_key"], unique=True)
    op.add_column("messages", sa.Column("action", sa.String(length=64), nullable=True))
    op.add_column("messages", sa.Column("event_key", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_messages_event_key"), "messages", ["event_key"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_event_key"), table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("event_key")
        batch_op.drop_column("action")
    op.drop_index(op.f("ix_interactions_event_key"), table_name="interactions")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("event_key")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("satisfaction")
        batch_op.drop_column("last_contact_at")
        batch_op.drop_column("preferred_channel")
    op.drop_table("customer_interests")
    op.drop_table("consumer_offsets")

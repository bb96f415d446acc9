"""outreach

Consented outreach to customers at risk (#17, item 4): campaigns (`outreach_campaigns`: the selection
rule, the message in both languages, the frequency cap, the purchase window, an optional experiment
whose control arm is the hold-out) and one row per customer a campaign selected for one occasion
(`outreach_messages`, unique per campaign, customer and occasion, so a re-run sends nothing twice).
Experiments gain the surface `outreach`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURFACE_CHECK = "ck_experiments_experiment_surface"


def _channel() -> sa.Enum:
    return sa.Enum(
        "web", "wechat", "phone", "email", "rest", name="channel", native_enum=False, create_constraint=True, length=6
    )


def _surfaces(*values: str) -> None:
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(SURFACE_CHECK), type_="check")
        batch_op.create_check_constraint(
            "experiment_surface", "surface IN (" + ", ".join(f"'{v}'" for v in values) + ")"
        )


def upgrade() -> None:
    _surfaces("recommendations", "outreach")
    op.create_table(
        "outreach_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "rule",
            sa.Enum(
                "churn_high_value",
                "abandoned_cart",
                name="outreach_rule",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=True),
        sa.Column("cap_days", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("cap_days >= 0", name=op.f("ck_outreach_campaigns_cap_not_negative")),
        sa.CheckConstraint("window_days > 0", name=op.f("ck_outreach_campaigns_window_positive")),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_outreach_campaigns_experiment_id_experiments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_campaigns")),
        sa.UniqueConstraint("key", name=op.f("uq_outreach_campaigns_key")),
    )
    op.create_table(
        "outreach_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("channel", _channel(), nullable=False),
        sa.Column(
            "language",
            sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=True, length=2),
            nullable=False,
        ),
        sa.Column("arm", sa.String(length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "held_out",
                "pending",
                "shown",
                "sent",
                "failed",
                "cancelled",
                name="outreach_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.String(length=120), nullable=True),
        sa.Column("selected_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("shown_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["outreach_campaigns.id"],
            name=op.f("fk_outreach_messages_campaign_id_outreach_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_outreach_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_messages")),
        sa.UniqueConstraint(
            "campaign_id", "customer_id", "trigger", name=op.f("uq_outreach_messages_campaign_id_customer_id_trigger")
        ),
    )
    with op.batch_alter_table("outreach_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_messages_customer_id_selected_at"), ["customer_id", "selected_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outreach_messages_status_channel"), ["status", "channel"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outreach_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_messages_status_channel"))
        batch_op.drop_index(batch_op.f("ix_outreach_messages_customer_id_selected_at"))
    op.drop_table("outreach_messages")
    op.drop_table("outreach_campaigns")
    op.execute("DELETE FROM experiments WHERE surface = 'outreach'")
    _surfaces("recommendations")

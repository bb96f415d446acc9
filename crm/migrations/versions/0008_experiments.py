"""experiments

A/B experiments (#17): an experiment with its target, metric, window and planned sample per arm
(`experiments`), its weighted arms with the parameters each varies (`experiment_arms`), and the first
time each customer or guest conversation saw its arm (`experiment_exposures`, one row per unit).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "surface",
            sa.Enum("recommendations", name="experiment_surface", native_enum=False, create_constraint=True, length=15),
            nullable=False,
        ),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column(
            "target_kind",
            sa.Enum(
                "all",
                "segment",
                "channel",
                name="experiment_target",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("target_value", sa.String(length=32), nullable=True),
        sa.Column(
            "metric",
            sa.Enum(
                "rec_click",
                "add_to_cart",
                "purchase",
                "resolved",
                name="experiment_metric",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("planned_per_arm", sa.Integer(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "running",
                "stopped",
                name="experiment_status",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("stops_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("alpha > 0 AND alpha < 1", name=op.f("ck_experiments_alpha_range")),
        sa.CheckConstraint("planned_per_arm > 0", name=op.f("ck_experiments_planned_positive")),
        sa.CheckConstraint("window_days > 0", name=op.f("ck_experiments_window_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("key", name=op.f("uq_experiments_key")),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiments_surface_status"), ["surface", "status"], unique=False)

    op.create_table(
        "experiment_arms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_experiment_arms_weight_positive")),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_arms_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_arms")),
        sa.UniqueConstraint("experiment_id", "name", name=op.f("uq_experiment_arms_experiment_id_name")),
        sa.UniqueConstraint("experiment_id", "position", name=op.f("uq_experiment_arms_experiment_id_position")),
    )
    op.create_table(
        "experiment_exposures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("arm_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("conversation_key", sa.String(length=64), nullable=True),
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
        sa.Column("exposed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arm_id"],
            ["experiment_arms.id"],
            name=op.f("fk_experiment_exposures_arm_id_experiment_arms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_experiment_exposures_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_exposures_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_exposures")),
        sa.UniqueConstraint("experiment_id", "unit", name=op.f("uq_experiment_exposures_experiment_id_unit")),
    )
    with op.batch_alter_table("experiment_exposures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_experiment_exposures_arm_id_exposed_at"), ["arm_id", "exposed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_experiment_exposures_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("experiment_exposures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiment_exposures_customer_id"))
        batch_op.drop_index(batch_op.f("ix_experiment_exposures_arm_id_exposed_at"))

    op.drop_table("experiment_exposures")
    op.drop_table("experiment_arms")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiments_surface_status"))

    op.drop_table("experiments")

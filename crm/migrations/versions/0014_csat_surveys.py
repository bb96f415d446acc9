"""csat surveys

Satisfaction surveys (#16 item 4): one per conversation at most (`csat_surveys`, unique conversation), asked
after a hand-off ends or a conversation that ended with something done, answered 1-5 with an optional reason
(encrypted: the customer's words) and linked to the agent of the hand-off and the conversation's main intent.
Experiments gain the metric `csat` (a rating of 4 or 5 after exposure).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRIC_CHECK = "ck_experiments_experiment_metric"


def _metrics(*values: str) -> None:
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(METRIC_CHECK), type_="check")
        batch_op.create_check_constraint("experiment_metric", "metric IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def upgrade() -> None:
    _metrics("rec_click", "add_to_cart", "purchase", "resolved", "csat")
    op.create_table(
        "csat_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column(
            "trigger",
            sa.Enum("handoff", "ended", name="csat_trigger", native_enum=False, create_constraint=True, length=7),
            nullable=False,
        ),
        sa.Column(
            "language",
            sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=True, length=2),
            nullable=False,
        ),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_csat_surveys_score_range")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_csat_surveys_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoff_requests.id"],
            name=op.f("fk_csat_surveys_handoff_id_handoff_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_surveys")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_csat_surveys_conversation_id")),
    )
    op.create_index(op.f("ix_csat_surveys_asked_at"), "csat_surveys", ["asked_at"], unique=False)
    op.create_index(op.f("ix_csat_surveys_agent_asked_at"), "csat_surveys", ["agent", "asked_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_csat_surveys_agent_asked_at"), table_name="csat_surveys")
    op.drop_index(op.f("ix_csat_surveys_asked_at"), table_name="csat_surveys")
    op.drop_table("csat_surveys")
    op.execute("DELETE FROM experiments WHERE metric = 'csat'")
    _metrics("rec_click", "add_to_cart", "purchase", "resolved")

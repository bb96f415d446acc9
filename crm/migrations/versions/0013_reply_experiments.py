"""reply experiments

Experiments gain the surface `replies`: arms that reword selected messages of the assistant (#17 item 2).
The arms' wordings live in `experiment_arms.parameters` (JSON), so only the surface's check changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURFACE_CHECK = "ck_experiments_experiment_surface"


def _surfaces(*values: str) -> None:
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(SURFACE_CHECK), type_="check")
        batch_op.create_check_constraint(
            "experiment_surface", "surface IN (" + ", ".join(f"'{v}'" for v in values) + ")"
        )


def upgrade() -> None:
    _surfaces("recommendations", "outreach", "replies")


def downgrade() -> None:
    op.execute("DELETE FROM experiments WHERE surface = 'replies'")
    _surfaces("recommendations", "outreach")

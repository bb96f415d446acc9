"""note edits

Internal notes can be edited and deleted (#16): `staff_notes.edited_at` and `edited_by` keep the last edit,
which the console shows beside the note (who changed what is also in the audit log).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("edited_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_notes", schema=None) as batch_op:
        batch_op.drop_column("edited_by")
        batch_op.drop_column("edited_at")

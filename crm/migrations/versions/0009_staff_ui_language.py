"""staff ui language

The language of the staff console's pages for each account (#16): `staff_users.ui_language`, `zh` or `en`.
Existing accounts get Chinese, as new ones do: the shop's support staff read Chinese first, and each can
switch on the account page.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "ui_language",
                sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=False, length=2),
                server_default="zh",
                nullable=False,
            )
        )
        batch_op.create_check_constraint(batch_op.f("ck_staff_users_language"), "ui_language IN ('en', 'zh')")


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_staff_users_language"), type_="check")
        batch_op.drop_column("ui_language")

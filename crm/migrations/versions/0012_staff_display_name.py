"""staff display name

The name customers see for a staff member when they serve a conversation (#16 item 2: "客服小林 joined the
conversation", 【客服小林】 before their messages on WeChat): `staff_users.display_name`, chosen on the account
page. Empty for existing accounts, which keep the staff number the console shows until then ("客服7号").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("display_name")

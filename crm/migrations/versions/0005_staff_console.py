"""staff console

The staff console's accounts (`staff_users`: argon2 password hash, role, optional TOTP secret, lock-out
state) and server-side sessions (`staff_sessions`), the reviewers' NLU corrections (`nlu_corrections`,
exported as Rasa training data), and the Rasa sender id of a hand-off (`handoff_requests.sender_id`,
encrypted), which the console needs to answer the customer through Rasa.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:04:21.621343
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New tables, and a plain ADD COLUMN on handoff_requests (no batch table rebuild).
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("agent", "supervisor", "admin", name="staff_role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("totp_secret", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("mfa_pending", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_staff_sessions_user_id_staff_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
    )
    op.create_index(op.f("ix_staff_sessions_expires_at"), "staff_sessions", ["expires_at"], unique=False)
    op.create_index(op.f("ix_staff_sessions_user_id"), "staff_sessions", ["user_id"], unique=False)
    op.create_table(
        "nlu_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.LargeBinary(), nullable=False),
        sa.Column(
            "language", sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=True), nullable=False
        ),
        sa.Column("predicted_intent", sa.String(length=64), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("exported_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_nlu_corrections_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nlu_corrections")),
    )
    op.create_index(
        op.f("ix_nlu_corrections_language_updated_at"), "nlu_corrections", ["language", "updated_at"], unique=False
    )
    op.create_index(op.f("ix_nlu_corrections_message_id"), "nlu_corrections", ["message_id"], unique=True)
    op.add_column("handoff_requests", sa.Column("sender_id", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_column("sender_id")
    op.drop_index(op.f("ix_nlu_corrections_message_id"), table_name="nlu_corrections")
    op.drop_index(op.f("ix_nlu_corrections_language_updated_at"), table_name="nlu_corrections")
    op.drop_table("nlu_corrections")
    op.drop_index(op.f("ix_staff_sessions_user_id"), table_name="staff_sessions")
    op.drop_index(op.f("ix_staff_sessions_expires_at"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")

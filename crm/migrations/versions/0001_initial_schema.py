"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:11:29.950652
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action_occurred_at"), ["action", "occurred_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_log_customer_id_occurred_at"), ["customer_id", "occurred_at"], unique=False
        )

    op.create_table(
        "cancellation_fee_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "order_status",
            sa.Enum(
                "placed",
                "paid",
                "shipped",
                "delivered",
                "cancelled",
                "returned",
                name="order_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("free_within_hours", sa.Integer(), nullable=False),
        sa.Column("fee_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("min_fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation_fee_rules")),
        sa.UniqueConstraint("order_status", name=op.f("uq_cancellation_fee_rules_order_status")),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"], name=op.f("fk_categories_parent_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_categories_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=True),
        sa.Column(
            "preferred_language",
            sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "tier",
            sa.Enum("standard", "silver", "gold", "platinum", name="tier", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("personalization_consent", sa.Boolean(), nullable=False),
        sa.Column(
            "lifecycle_stage",
            sa.Enum(
                "prospect",
                "new",
                "active",
                "at_risk",
                "churned",
                name="lifecycle_stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "segment",
            sa.Enum(
                "high_value",
                "potential",
                "new",
                "at_risk",
                "silent",
                "lost",
                name="segment",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("rfm", sa.String(length=3), nullable=True),
        sa.Column("churn_probability", sa.Float(), nullable=True),
        sa.Column(
            "churn_risk",
            sa.Enum("low", "medium", "high", name="churn_risk", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("clv", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_lifecycle_stage"), ["lifecycle_stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_segment"), ["segment"], unique=False)

    op.create_table(
        "delivery_regions",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_delivery_regions")),
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.LargeBinary(), nullable=False),
        sa.Column("phone", sa.LargeBinary(), nullable=False),
        sa.Column("street", sa.LargeBinary(), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("postcode", sa.String(length=12), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_addresses_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["delivery_regions.code"], name=op.f("fk_addresses_region_code_delivery_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addresses_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("marketing", "personalization", name="consent_purpose", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_consent_events_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_events_customer_id_occurred_at"), ["customer_id", "occurred_at"], unique=False
        )

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "web", "wechat", "phone", "email", "rest", name="channel", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("sender_key", sa.String(length=64), nullable=True),
        sa.Column(
            "language", sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=True), nullable=True
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "resolved_by_bot",
                "handed_off",
                "resolved_by_agent",
                "abandoned",
                name="conversation_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_conversations_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversations_customer_id_started_at"), ["customer_id", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_sender_key_started_at"), ["sender_key", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversations_status"), ["status"], unique=False)

    op.create_table(
        "delivery_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=32), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("free_over", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("min_days", sa.SmallInteger(), nullable=False),
        sa.Column("max_days", sa.SmallInteger(), nullable=False),
        sa.Column("cutoff_hour", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["delivery_regions.code"], name=op.f("fk_delivery_options_region_code_delivery_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_options")),
        sa.UniqueConstraint("region_code", "code", name=op.f("uq_delivery_options_region_code_code")),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web", "wechat", "phone", "email", "rest", name="channel", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("lookup_hash", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.LargeBinary(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_identities_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("channel", "lookup_hash", name=op.f("uq_identities_channel_lookup_hash")),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identities_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "newsletter_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web", "wechat", "phone", "email", "rest", name="channel", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "subscribed", "unsubscribed", name="subscription_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_newsletter_subscriptions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscriptions")),
        sa.UniqueConstraint("customer_id", "topic", name=op.f("uq_newsletter_subscriptions_customer_id_topic")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("consumable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_products_price_not_negative")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_products_stock_not_negative")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name=op.f("fk_products_category_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category_id"), ["category_id"], unique=False)

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("waiting", "assigned", "closed", name="handoff_status", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_handoff_requests_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_handoff_requests_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_requests")),
    )
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_requests_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_handoff_requests_status_requested_at"), ["status", "requested_at"], unique=False
        )

    op.create_table(
        "interactions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "view",
                "click",
                "add_to_cart",
                "purchase",
                "chat_mention",
                "rec_impression",
                "rec_click",
                "rating",
                name="interaction_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web", "wechat", "phone", "email", "rest", name="channel", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_interactions_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_interactions_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interactions_customer_id_occurred_at"), ["customer_id", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_interactions_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_interactions_product_id"), ["product_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column(
            "sender",
            sa.Enum("customer", "bot", "agent", name="message_sender", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("text", sa.LargeBinary(), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_conversation_id_created_at"), ["conversation_id", "created_at"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "placed",
                "paid",
                "shipped",
                "delivered",
                "cancelled",
                "returned",
                name="order_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("delivery_option_id", sa.Integer(), nullable=True),
        sa.Column("shipping_address_id", sa.Integer(), nullable=True),
        sa.Column("subtotal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("shipping_fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("cancellation_fee", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.CheckConstraint("number LIKE 'KL________'", name=op.f("ck_orders_number_format")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["delivery_option_id"], ["delivery_options.id"], name=op.f("fk_orders_delivery_option_id_delivery_options")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["delivery_regions.code"], name=op.f("fk_orders_region_code_delivery_regions")
        ),
        sa.ForeignKeyConstraint(
            ["shipping_address_id"],
            ["addresses.id"],
            name=op.f("fk_orders_shipping_address_id_addresses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id_placed_at"), ["customer_id", "placed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status_placed_at"), ["status", "placed_at"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("electronic", "paper", name="invoice_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("title", sa.LargeBinary(), nullable=True),
        sa.Column("tax_id", sa.String(length=20), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum("requested", "issued", "voided", name="invoice_status", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_invoices_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_order_items_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
    )
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_items_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_items_product_id"), ["product_id"], unique=False)

    op.create_table(
        "order_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "placed",
                "paid",
                "shipped",
                "delivered",
                "cancelled",
                "returned",
                name="order_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_status_events_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_status_events")),
    )
    with op.batch_alter_table("order_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_status_events_order_id_occurred_at"), ["order_id", "occurred_at"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "alipay",
                "wechat_pay",
                "card",
                "cash_on_delivery",
                name="payment_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "succeeded",
                "failed",
                "refunded",
                name="payment_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("failure_reason", sa.String(length=64), nullable=True),
        sa.Column("transaction_ref", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("transaction_ref", name=op.f("uq_payments_transaction_ref")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("refund_only", "return_and_refund", name="refund_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "rejected",
                "completed",
                name="refund_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("number", name=op.f("uq_refunds_number")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunds_status"), ["status"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column(
            "language", sa.Enum("en", "zh", name="language", native_enum=False, create_constraint=True), nullable=False
        ),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_reviews_customer_id_customers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_reviews_order_id_orders")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_reviews_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reviews_product_id_created_at"), ["product_id", "created_at"], unique=False
        )

    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("tracking_number", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "label_created",
                "in_transit",
                "out_for_delivery",
                "delivered",
                "exception",
                "returned",
                name="shipment_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("shipped_at", sa.DateTime(), nullable=False),
        sa.Column("estimated_delivery", sa.Date(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("tracking_number", name=op.f("uq_shipments_tracking_number")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "web", "wechat", "phone", "email", "rest", name="channel", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "order",
                "delivery",
                "refund",
                "product",
                "payment",
                "account",
                "complaint",
                "other",
                name="ticket_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low", "normal", "high", "urgent", name="ticket_priority", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open", "pending", "resolved", "closed", name="ticket_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.LargeBinary(), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_tickets_customer_id_customers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_tickets_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tickets_customer_id_created_at"), ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tickets_status_priority"), ["status", "priority"], unique=False)

    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "label_created",
                "in_transit",
                "out_for_delivery",
                "delivered",
                "exception",
                "returned",
                name="shipment_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("location_en", sa.String(length=64), nullable=False),
        sa.Column("location_zh", sa.String(length=32), nullable=False),
        sa.Column("description_en", sa.String(length=200), nullable=False),
        sa.Column("description_zh", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_tracking_events_shipment_id_shipments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
    )
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracking_events_shipment_id_occurred_at"), ["shipment_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_events_shipment_id_occurred_at"))

    op.drop_table("tracking_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_status_priority"))
        batch_op.drop_index(batch_op.f("ix_tickets_customer_id_created_at"))

    op.drop_table("tickets")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_product_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_reviews_customer_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_status"))
        batch_op.drop_index(batch_op.f("ix_refunds_order_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_order_id"))

    op.drop_table("payments")
    with op.batch_alter_table("order_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_status_events_order_id_occurred_at"))

    op.drop_table("order_status_events")
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_items_product_id"))
        batch_op.drop_index(batch_op.f("ix_order_items_order_id"))

    op.drop_table("order_items")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_order_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_status_placed_at"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_id_placed_at"))

    op.drop_table("orders")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_conversation_id_created_at"))

    op.drop_table("messages")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interactions_product_id"))
        batch_op.drop_index(batch_op.f("ix_interactions_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_interactions_customer_id_occurred_at"))

    op.drop_table("interactions")
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_requests_status_requested_at"))
        batch_op.drop_index(batch_op.f("ix_handoff_requests_conversation_id"))

    op.drop_table("handoff_requests")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_category_id"))

    op.drop_table("products")
    op.drop_table("newsletter_subscriptions")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identities_customer_id"))

    op.drop_table("identities")
    op.drop_table("delivery_options")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_status"))
        batch_op.drop_index(batch_op.f("ix_conversations_sender_key_started_at"))
        batch_op.drop_index(batch_op.f("ix_conversations_customer_id_started_at"))

    op.drop_table("conversations")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_events_customer_id_occurred_at"))

    op.drop_table("consent_events")
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addresses_customer_id"))

    op.drop_table("addresses")
    op.drop_table("delivery_regions")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_segment"))
        batch_op.drop_index(batch_op.f("ix_customers_lifecycle_stage"))

    op.drop_table("customers")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_categories_parent_id"))

    op.drop_table("categories")
    op.drop_table("cancellation_fee_rules")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_customer_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action_occurred_at"))

    op.drop_table("audit_log")

"""The CRM schema: SQLAlchemy 2.0 typed models.

Conventions: every timestamp is stored as naive UTC and read back timezone-aware (same values on
SQLite and PostgreSQL); money is `Numeric(12, 2)` in CNY; enumerations are strings guarded by
CHECK constraints (portable, and readable in a SQL shell); personal data is stored encrypted
(`Encrypted` columns) and looked up through HMAC columns (`*_hash`, `lookup_hash`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from crm.crypto import current_keyring

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC; naive input is taken to be UTC already."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Encrypted(TypeDecorator[str]):
    """A personal text field, sealed with AES-256-GCM; `context` (table.column) is the associated data."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return current_keyring().encrypt(value, self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current_keyring().decrypt(bytes(value), self.context)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(m.value) for m in cls),
        values_callable=lambda members: [m.value for m in members],
    )


class Channel(enum.StrEnum):
    WEB = "web"
    WECHAT = "wechat"
    PHONE = "phone"
    EMAIL = "email"
    REST = "rest"


class Language(enum.StrEnum):
    EN = "en"
    ZH = "zh"


class Tier(enum.StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class LifecycleStage(enum.StrEnum):
    PROSPECT = "prospect"
    NEW = "new"
    ACTIVE = "active"
    AT_RISK = "at_risk"
    CHURNED = "churned"


class Segment(enum.StrEnum):
    HIGH_VALUE = "high_value"
    POTENTIAL = "potential"
    NEW = "new"
    AT_RISK = "at_risk"
    SILENT = "silent"
    LOST = "lost"


class ChurnRisk(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


class PaymentMethod(enum.StrEnum):
    ALIPAY = "alipay"
    WECHAT_PAY = "wechat_pay"
    CARD = "card"
    CASH_ON_DELIVERY = "cash_on_delivery"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class ShipmentStatus(enum.StrEnum):
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"


class InvoiceKind(enum.StrEnum):
    ELECTRONIC = "electronic"
    PAPER = "paper"


class InvoiceStatus(enum.StrEnum):
    REQUESTED = "requested"
    ISSUED = "issued"
    VOIDED = "voided"


class RefundKind(enum.StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"


class RefundStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"


class TicketCategory(enum.StrEnum):
    ORDER = "order"
    DELIVERY = "delivery"
    REFUND = "refund"
    PRODUCT = "product"
    PAYMENT = "payment"
    ACCOUNT = "account"
    COMPLAINT = "complaint"
    OTHER = "other"


class TicketPriority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketEventKind(enum.StrEnum):
    """What happened to a ticket in the console (its history): an internal comment, a status change, an
    assignment, the closing with its resolution, the customer told that it closed."""

    COMMENT = "comment"
    STATUS = "status"
    ASSIGN = "assign"
    CLOSE = "close"
    TOLD = "told"


class SubscriptionStatus(enum.StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


class InteractionKind(enum.StrEnum):
    VIEW = "view"
    CLICK = "click"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"
    CHAT_MENTION = "chat_mention"
    REC_IMPRESSION = "rec_impression"
    REC_CLICK = "rec_click"
    RATING = "rating"


# Default implicit-feedback strength of each kind (a rating's weight is derived from its stars).
INTERACTION_WEIGHTS: dict[InteractionKind, float] = {
    InteractionKind.VIEW: 1.0,
    InteractionKind.CLICK: 2.0,
    InteractionKind.ADD_TO_CART: 4.0,
    InteractionKind.PURCHASE: 8.0,
    InteractionKind.CHAT_MENTION: 2.0,
    InteractionKind.REC_IMPRESSION: 0.2,
    InteractionKind.REC_CLICK: 3.0,
    InteractionKind.RATING: 5.0,
}


def rating_weight(stars: int) -> float:
    """A 5-star rating is a strong positive signal, a 1-star one barely positive (the customer did buy)."""
    return {1: 0.5, 2: 1.0, 3: 3.0, 4: 5.0, 5: 7.0}[stars]


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED_BY_BOT = "resolved_by_bot"
    HANDED_OFF = "handed_off"
    RESOLVED_BY_AGENT = "resolved_by_agent"
    ABANDONED = "abandoned"


class MessageSender(enum.StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"


class HandoffStatus(enum.StrEnum):
    WAITING = "waiting"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class StaffRole(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ConsentPurpose(enum.StrEnum):
    MARKETING = "marketing"
    PERSONALIZATION = "personalization"


class DeadLetterStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for someone to look at it
    RETRIED = "retried"  # replayed successfully
    DROPPED = "dropped"  # given up on; the payload is deleted


Money = Numeric(12, 2)


# --- customers -------------------------------------------------------------------------------


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(Encrypted("customers.name"))
    preferred_language: Mapped[Language] = mapped_column(_enum(Language, "language"), default=Language.ZH)
    tier: Mapped[Tier] = mapped_column(_enum(Tier, "tier"), default=Tier.STANDARD)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    personalization_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        _enum(LifecycleStage, "lifecycle_stage"), default=LifecycleStage.PROSPECT
    )
    segment: Mapped[Segment | None] = mapped_column(_enum(Segment, "segment"))
    rfm: Mapped[str | None] = mapped_column(String(3))
    churn_probability: Mapped[float | None] = mapped_column(Float)
    churn_risk: Mapped[ChurnRisk | None] = mapped_column(_enum(ChurnRisk, "churn_risk"))
    clv: Mapped[Decimal | None] = mapped_column(Money)
    scored_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What conversations teach (the feedback consumer keeps them current).
    preferred_channel: Mapped[Channel | None] = mapped_column(_enum(Channel, "channel"))
    last_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    satisfaction: Mapped[float | None] = mapped_column(Float)  # 1-5, from ratings and complaints

    identities: Mapped[list[Identity]] = relationship(back_populates="customer", cascade="all, delete-orphan")
    addresses: Mapped[list[Address]] = relationship(back_populates="customer", cascade="all, delete-orphan")
    orders: Mapped[list[Order]] = relationship(back_populates="customer")

    __table_args__ = (Index(None, "segment"), Index(None, "lifecycle_stage"))


class Identity(Base):
    """One way of recognising a customer on a channel; `lookup_hash` is HMAC(channel, normalised id)."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    lookup_hash: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(Encrypted("identities.external_id"))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    customer: Mapped[Customer] = relationship(back_populates="identities")

    __table_args__ = (UniqueConstraint("channel", "lookup_hash"), Index(None, "customer_id"))


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(Encrypted("addresses.recipient"))
    phone: Mapped[str] = mapped_column(Encrypted("addresses.phone"))
    street: Mapped[str] = mapped_column(Encrypted("addresses.street"))
    city: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(ForeignKey("delivery_regions.code"))
    postcode: Mapped[str | None] = mapped_column(String(12))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses")

    __table_args__ = (Index(None, "customer_id"),)


# --- catalogue -------------------------------------------------------------------------------


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(40))

    parent: Mapped[Category | None] = relationship(remote_side="Category.id")

    __table_args__ = (Index(None, "parent_id"),)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(100))
    description_en: Mapped[str] = mapped_column(Text)
    description_zh: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    brand: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consumable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    category: Mapped[Category] = relationship()

    __table_args__ = (
        Index(None, "category_id"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )


# --- delivery and policies -------------------------------------------------------------------


class DeliveryRegion(Base):
    __tablename__ = "delivery_regions"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(32))

    options: Mapped[list[DeliveryOption]] = relationship(back_populates="region", order_by="DeliveryOption.fee")


class DeliveryOption(Base):
    __tablename__ = "delivery_options"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("delivery_regions.code"))
    code: Mapped[str] = mapped_column(String(16))
    name_en: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(32))
    carrier: Mapped[str] = mapped_column(String(32))
    fee: Mapped[Decimal] = mapped_column(Money)
    free_over: Mapped[Decimal | None] = mapped_column(Money)
    min_days: Mapped[int] = mapped_column(SmallInteger)
    max_days: Mapped[int] = mapped_column(SmallInteger)
    cutoff_hour: Mapped[int] = mapped_column(SmallInteger, default=16)

    region: Mapped[DeliveryRegion] = relationship(back_populates="options")

    __table_args__ = (UniqueConstraint("region_code", "code"),)


class CancellationFeeRule(Base):
    """What cancelling costs in a given order status: free within a grace period, else a share of the total."""

    __tablename__ = "cancellation_fee_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"), unique=True)
    free_within_hours: Mapped[int] = mapped_column(Integer, default=0)
    fee_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    min_fee: Mapped[Decimal] = mapped_column(Money)
    description_en: Mapped[str] = mapped_column(Text)
    description_zh: Mapped[str] = mapped_column(Text)


# --- orders ----------------------------------------------------------------------------------


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(10), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    region_code: Mapped[str] = mapped_column(ForeignKey("delivery_regions.code"))
    delivery_option_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_options.id"))
    shipping_address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping_fee: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money)
    cancellation_fee: Mapped[Decimal | None] = mapped_column(Money)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id")
    status_events: Mapped[list[OrderStatusEvent]] = relationship(order_by="OrderStatusEvent.occurred_at")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.created_at")
    shipments: Mapped[list[Shipment]] = relationship(order_by="Shipment.id")
    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.requested_at")
    invoices: Mapped[list[Invoice]] = relationship(order_by="Invoice.requested_at")
    delivery_option: Mapped[DeliveryOption | None] = relationship()

    __table_args__ = (
        Index(None, "customer_id", "placed_at"),
        Index(None, "status", "placed_at"),
        CheckConstraint("number LIKE 'KL________'", name="number_format"),
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()

    __table_args__ = (
        Index(None, "order_id"),
        Index(None, "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class OrderStatusEvent(Base):
    __tablename__ = "order_status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index(None, "order_id", "occurred_at"),)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus, "payment_status"))
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    transaction_ref: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "order_id"),)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(32))
    tracking_number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[ShipmentStatus] = mapped_column(_enum(ShipmentStatus, "shipment_status"))
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime)
    estimated_delivery: Mapped[date] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    events: Mapped[list[TrackingEvent]] = relationship(order_by="TrackingEvent.occurred_at")

    __table_args__ = (Index(None, "order_id"),)


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[ShipmentStatus] = mapped_column(_enum(ShipmentStatus, "shipment_status"))
    location_en: Mapped[str] = mapped_column(String(64))
    location_zh: Mapped[str] = mapped_column(String(32))
    description_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index(None, "shipment_id", "occurred_at"),)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[InvoiceKind] = mapped_column(_enum(InvoiceKind, "invoice_kind"))
    title: Mapped[str | None] = mapped_column(Encrypted("invoices.title"))
    tax_id: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus, "invoice_status"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "order_id"),)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[RefundKind] = mapped_column(_enum(RefundKind, "refund_kind"))
    reason: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[RefundStatus] = mapped_column(_enum(RefundStatus, "refund_status"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(None, "order_id"),
        Index(None, "status"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


# --- support ---------------------------------------------------------------------------------


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    category: Mapped[TicketCategory] = mapped_column(_enum(TicketCategory, "ticket_category"))
    priority: Mapped[TicketPriority] = mapped_column(_enum(TicketPriority, "ticket_priority"))
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus, "ticket_status"))
    subject: Mapped[str | None] = mapped_column(Encrypted("tickets.subject"))
    assignee: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Tickets in the console (#16 item 7): the conversation it came from, the Rasa sender id to tell the customer
    # on their channel when it closes (encrypted, like handoff_requests.sender_id) and in which language, the
    # reply time the customer was promised as they were told it, and the closing (resolution note, when the
    # customer was told).
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    sender_id: Mapped[str | None] = mapped_column(Encrypted("tickets.sender_id"))
    language: Mapped[Language | None] = mapped_column(_enum(Language, "language"))
    promise: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(Encrypted("tickets.resolution"))
    customer_told_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(None, "customer_id", "created_at"),
        Index(None, "status", "priority"),
        Index(None, "assignee", "status"),
    )


class TicketEvent(Base):
    """The history of a ticket in the console, append-only: who did what when. A comment is internal (staff
    only) and may repeat personal details, so its text is encrypted and erasure deletes it."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[TicketEventKind] = mapped_column(_enum(TicketEventKind, "ticket_event_kind"))
    actor: Mapped[str] = mapped_column(String(64))
    status: Mapped[TicketStatus | None] = mapped_column(_enum(TicketStatus, "ticket_status"))
    assignee: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Encrypted("ticket_events.text"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "ticket_id", "created_at"),)


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    language: Mapped[Language] = mapped_column(_enum(Language, "language"))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(None, "product_id", "created_at"),
        Index(None, "customer_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )


class NewsletterSubscription(Base):
    __tablename__ = "newsletter_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(32))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    status: Mapped[SubscriptionStatus] = mapped_column(_enum(SubscriptionStatus, "subscription_status"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("customer_id", "topic"),)


# --- behaviour -------------------------------------------------------------------------------


class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[InteractionKind] = mapped_column(_enum(InteractionKind, "interaction_kind"))
    weight: Mapped[float] = mapped_column(Float)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_key: Mapped[str | None] = mapped_column(String(40))  # the Rasa event it came from, if any

    __table_args__ = (
        Index(None, "customer_id", "occurred_at"),
        Index(None, "occurred_at"),
        Index(None, "product_id"),
        Index(None, "event_key", unique=True),
    )


# --- conversations ---------------------------------------------------------------------------


class Conversation(Base):
    """One support conversation; `sender_key` is HMAC(channel, Rasa sender id), so a transcript can be
    found from the tracker without storing the sender id in clear."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    sender_key: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[Language | None] = mapped_column(_enum(Language, "language"))
    status: Mapped[ConversationStatus] = mapped_column(_enum(ConversationStatus, "conversation_status"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    messages: Mapped[list[Message]] = relationship(order_by="Message.id", cascade="all, delete-orphan")

    __table_args__ = (
        Index(None, "customer_id", "started_at"),
        Index(None, "sender_key", "started_at"),
        Index(None, "status"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender: Mapped[MessageSender] = mapped_column(_enum(MessageSender, "message_sender"))
    text: Mapped[str] = mapped_column(Encrypted("messages.text"))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    action: Mapped[str | None] = mapped_column(String(64))  # the bot action that said it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_key: Mapped[str | None] = mapped_column(String(40))  # the Rasa event it came from, if any

    __table_args__ = (Index(None, "conversation_id", "created_at"), Index(None, "event_key", unique=True))


class HandoffRequest(Base):
    """A conversation waiting for (or served by) a human agent: higher `priority` is served first; `summary`
    is what the bot gathered for the agent, in the customer's words, so it is encrypted."""

    __tablename__ = "handoff_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    summary: Mapped[str | None] = mapped_column(Encrypted("handoff_requests.summary"))
    # The Rasa sender id, so the staff console can answer through Rasa (conversations keep only its hash).
    sender_id: Mapped[str | None] = mapped_column(Encrypted("handoff_requests.sender_id"))
    status: Mapped[HandoffStatus] = mapped_column(_enum(HandoffStatus, "handoff_status"))
    agent: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Queue operations (#16 item 3): the agent a waiting request is routed to (round-robin or a supervisor)
    # before they take it; a request that waited too long is closed into a ticket (`expired_at`, `ticket_id`).
    routed_to: Mapped[str | None] = mapped_column(String(64))
    routed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    routed_by: Mapped[str | None] = mapped_column(String(64))  # the supervisor who chose; None: round-robin
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    __table_args__ = (Index(None, "status", "requested_at"), Index(None, "conversation_id"), Index(None, "assigned_at"))


class CsatTrigger(enum.StrEnum):
    HANDOFF = "handoff"  # an agent handed the conversation back (or closed it)
    ENDED = "ended"  # the customer said goodbye after the bot did something for them


class CsatSurvey(Base):
    """A satisfaction survey (CSAT, #16 item 4): asked at most once per conversation (`conversation_id` is
    unique), 1-5 once answered, with the agent of the hand-off it follows (their sign-in name, like
    `handoff_requests.agent`) and the conversation's main intent. `reason` is the customer's own words after
    a low score, so it is encrypted."""

    __tablename__ = "csat_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoff_requests.id", ondelete="SET NULL"))
    agent: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[CsatTrigger] = mapped_column(_enum(CsatTrigger, "csat_trigger"))
    language: Mapped[Language] = mapped_column(_enum(Language, "language"))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Encrypted("csat_surveys.reason"))

    __table_args__ = (
        UniqueConstraint("conversation_id"),
        Index(None, "asked_at"),
        Index(None, "agent", "asked_at"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )


class LinkCode(Base):
    """A one-time code a customer asks for on a channel where they are known, to link an identity on
    another channel (WeChat ↔ the shop's website). Only its keyed hash is stored."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "code_hash"), Index(None, "customer_id"))


class LinkAttempt(Base):
    """Every code a chat sender typed, so guessing is limited per sender (`sender_key` as in conversations)."""

    __tablename__ = "link_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "sender_key", "attempted_at"),)


class ProofAttempt(Base):
    """Every answer a chat sender gave to "the last four digits of the phone or the email on this order",
    so guessing is limited per order and per sender across conversations (`sender_key` as in
    conversations), not per run of a form."""

    __tablename__ = "proof_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(16))
    sender_key: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "order_number", "attempted_at"), Index(None, "sender_key", "attempted_at"))


class ProofLock(Base):
    """An order (`order:KL…`) or a sender (`sender:<key>`) that failed too many proofs: no proof is checked
    for it until `locked_until`. `strikes` counts the locks in a row; each lasts twice the one before."""

    __tablename__ = "proof_locks"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    strikes: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CustomerInterest(Base):
    """A profile tag learnt from conversations (an intent's topic, a product category or product the
    customer talked about), with a weight that grows each time."""

    __tablename__ = "customer_interests"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsumerOffset(Base):
    """How far a feedback consumer has read its event stream (the SQL broker's event id)."""

    __tablename__ = "consumer_offsets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeadLetter(Base):
    """An event the feedback consumer could not apply (malformed, oversized, or one that made the CRM
    refuse it). It is set aside here so the stream moves on; `python -m crm dead-letters` shows, replays
    or drops it. The payload is the event as it came (customer text, so encrypted), cut at
    `crm.consumer.MAX_STORED_PAYLOAD` characters (`truncated`); `digest` (SHA-1 of the whole payload)
    makes a redelivered event one letter, not two."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(64))  # the broker's id of the event, if it has one
    digest: Mapped[str] = mapped_column(String(40))
    event_name: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str | None] = mapped_column(Encrypted("dead_letters.payload"))
    payload_chars: Mapped[int] = mapped_column(Integer)
    truncated: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[DeadLetterStatus] = mapped_column(_enum(DeadLetterStatus, "dead_letter_status"))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "status", "created_at"), Index(None, "source", "digest", unique=True))


# --- privacy ---------------------------------------------------------------------------------


class ConsentEvent(Base):
    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose, "consent_purpose"))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "customer_id", "occurred_at"),)


class AuditEntry(Base):
    """Append-only. `customer_id` is deliberately not a foreign key: the trail outlives what it describes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index(None, "customer_id", "occurred_at"), Index(None, "action", "occurred_at"))


# --- staff console ---------------------------------------------------------------------------


class StaffUser(Base):
    """A console account. `password_hash` is argon2id; `totp_secret` (optional second factor) is encrypted;
    `totp_last_step` refuses a code that was already used; `locked_until` is set after repeated failures;
    `ui_language` is the language of the console's pages for this person (the shop's staff read Chinese first);
    `display_name` the name customers see when this person serves them (console.notices; a staff number without it)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(Encrypted("staff_users.totp_secret"))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ui_language: Mapped[Language] = mapped_column(
        _enum(Language, "language"), default=Language.ZH, server_default=Language.ZH.value
    )
    display_name: Mapped[str | None] = mapped_column(String(24))


class StaffSession(Base):
    """A signed-in browser. `id` is the SHA-256 of the cookie's random value, so the table alone cannot be
    used to sign in; `mfa_pending` sessions have passed the password only and may do nothing but the TOTP step."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    mfa_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "user_id"), Index(None, "expires_at"))


class NluCorrection(Base):
    """What a reviewer says a customer message meant (the right intent and entities), exported as Rasa NLU
    training data. `text` is the example as it will be trained on (the reviewer may replace personal
    details); it goes when the message goes (erasure deletes messages)."""

    __tablename__ = "nlu_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Encrypted("nlu_corrections.text"))
    language: Mapped[Language] = mapped_column(_enum(Language, "language"))
    predicted_intent: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str] = mapped_column(String(64))
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    exported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "message_id", unique=True), Index(None, "language", "updated_at"))


# --- agent workspace (quick replies, internal notes, tags) ----------------------------------


class QuickReply(Base):
    """A canned reply an agent inserts by typing `/` and its `shortcut` in the hand-off reply box. Its text, in
    Chinese, English or both, may hold variables filled from the conversation (`{customer_name}`…); supervisors
    and admins manage the library (console/workspace.py checks the variables)."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(80))
    text_zh: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (CheckConstraint("text_zh IS NOT NULL OR text_en IS NOT NULL", name="has_text"),)


class StaffNote(Base):
    """An internal note on a conversation or on a customer (exactly one of the two): staff read it, the customer
    never does. Staff write personal details in notes, so the text is encrypted and erasure deletes it."""

    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Encrypted("staff_notes.text"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # the last edit (the author or a supervisor may edit a note; the page shows when and by whom)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    edited_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index(None, "conversation_id", "created_at"),
        Index(None, "customer_id", "created_at"),
        CheckConstraint("(conversation_id IS NULL) <> (customer_id IS NULL)", name="one_subject"),
    )


class Tag(Base):
    """A label staff put on conversations and customers; `name` is normalised (NFKC, lower case, single spaces),
    so "VIP", "vip " and "ＶＩＰ" are one tag."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(24), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConversationTag(Base):
    __tablename__ = "conversation_tags"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "tag_id"),)


class CustomerTag(Base):
    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "tag_id"),)


# --- experiments -----------------------------------------------------------------------------


class ExperimentSurface(enum.StrEnum):
    """Where in the assistant an experiment's arms change something; at most one runs per surface."""

    RECOMMENDATIONS = "recommendations"
    OUTREACH = "outreach"  # an outreach campaign's message (the control arm is the hold-out)
    REPLIES = "replies"  # the wording of selected messages (crm.experiments.variants.REPLY_KEYS)


class ExperimentMetric(enum.StrEnum):
    REC_CLICK = "rec_click"  # pressed a button on a recommended product
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"  # a paid order
    RESOLVED = "resolved"  # a conversation the bot resolved without a human
    CSAT = "csat"  # a satisfaction survey answered with 4 or 5 (crm.experiments.outcomes)


class ExperimentTarget(enum.StrEnum):
    ALL = "all"
    SEGMENT = "segment"  # target_value is a Segment
    CHANNEL = "channel"  # target_value is a Channel


class ExperimentStatus(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    STOPPED = "stopped"


class Experiment(Base):
    """An A/B test: who is in it (`target_*`), what it measures (`metric` within `window_days` of the
    exposure) and how many exposed units per arm it needs before anyone may call a winner
    (`planned_per_arm`, fixed when it is created: the guard against peeking). `salt` makes its
    assignment independent of every other experiment's."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    surface: Mapped[ExperimentSurface] = mapped_column(_enum(ExperimentSurface, "experiment_surface"))
    salt: Mapped[str] = mapped_column(String(32))
    target_kind: Mapped[ExperimentTarget] = mapped_column(_enum(ExperimentTarget, "experiment_target"))
    target_value: Mapped[str | None] = mapped_column(String(32))
    metric: Mapped[ExperimentMetric] = mapped_column(_enum(ExperimentMetric, "experiment_metric"))
    window_days: Mapped[int] = mapped_column(Integer)
    planned_per_arm: Mapped[int] = mapped_column(Integer)
    alpha: Mapped[float] = mapped_column(Float)
    status: Mapped[ExperimentStatus] = mapped_column(_enum(ExperimentStatus, "experiment_status"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stops_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    arms: Mapped[list[ExperimentArm]] = relationship(order_by="ExperimentArm.position", cascade="all, delete-orphan")

    __table_args__ = (
        Index(None, "surface", "status"),
        CheckConstraint("window_days > 0", name="window_positive"),
        CheckConstraint("planned_per_arm > 0", name="planned_positive"),
        CheckConstraint("alpha > 0 AND alpha < 1", name="alpha_range"),
    )


class ExperimentArm(Base):
    """One variant; the first (`position` 0) is the control the others are compared with. `parameters`
    are what the variant changes (for recommendations: the blend of signals and the variety)."""

    __tablename__ = "experiment_arms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(SmallInteger)
    weight: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        UniqueConstraint("experiment_id", "name"),
        UniqueConstraint("experiment_id", "position"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )


class ExperimentExposure(Base):
    """The first time a unit (a customer, or a guest's conversation) saw its arm; one row per unit and
    experiment, so the analysis counts people, not page views. `unit` is `customer:<id>` or
    `conversation:<sender_key>` (the keyed hash, never the sender id)."""

    __tablename__ = "experiment_exposures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    arm_id: Mapped[int] = mapped_column(ForeignKey("experiment_arms.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(80))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    conversation_key: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    exposed_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("experiment_id", "unit"),
        Index(None, "arm_id", "exposed_at"),
        Index(None, "customer_id"),
    )


# --- outreach --------------------------------------------------------------------------------


class OutreachRule(enum.StrEnum):
    """Who a campaign reaches (crm/outreach/selection.py says exactly how)."""

    CHURN_HIGH_VALUE = "churn_high_value"  # churn risk high and CLV in the top fifth
    ABANDONED_CART = "abandoned_cart"  # added to the cart, then nothing bought for a day


class OutreachStatus(enum.StrEnum):
    HELD_OUT = "held_out"  # selected, in the hold-out arm: recorded, never contacted
    PENDING = "pending"  # web: waiting for the customer's next visit
    SHOWN = "shown"  # web: shown at the start of a conversation
    SENT = "sent"  # WeChat: accepted by WeChat's customer-service API
    FAILED = "failed"  # WeChat refused it or could not be reached
    CANCELLED = "cancelled"  # pending, then the customer withdrew consent before it was shown


class OutreachCampaign(Base):
    """A consented outreach: a selection rule, the message in both languages (the customer's language is
    used), at most one contact per customer per `cap_days` across all campaigns, purchases counted within
    `window_days` of the contact, and optionally an experiment whose control arm is the hold-out."""

    __tablename__ = "outreach_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    rule: Mapped[OutreachRule] = mapped_column(_enum(OutreachRule, "outreach_rule"))
    message_en: Mapped[str] = mapped_column(Text)
    message_zh: Mapped[str] = mapped_column(Text)
    experiment_id: Mapped[int | None] = mapped_column(ForeignKey("experiments.id", ondelete="SET NULL"))
    cap_days: Mapped[int] = mapped_column(Integer)
    window_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    experiment: Mapped[Experiment | None] = relationship()

    __table_args__ = (
        CheckConstraint("cap_days >= 0", name="cap_not_negative"),
        CheckConstraint("window_days > 0", name="window_positive"),
    )


class OutreachMessage(Base):
    """One customer selected by a campaign for one occasion (`trigger`: `churn`, or `cart:<interaction id>`);
    unique per campaign, customer and occasion, so a re-run never contacts anyone twice for the same thing."""

    __tablename__ = "outreach_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("outreach_campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    language: Mapped[Language] = mapped_column(_enum(Language, "language"))
    arm: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[OutreachStatus] = mapped_column(_enum(OutreachStatus, "outreach_status"))
    error: Mapped[str | None] = mapped_column(String(120))
    selected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    shown_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", "trigger"),
        Index(None, "customer_id", "selected_at"),
        Index(None, "status", "channel"),
    )


class PresenceStatus(enum.StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class AgentPresence(Base):
    """Queue operations (#16 item 3): what a staff member set in the console header (`status`), when their
    console was last seen (`seen_at`, a heartbeat: silent for longer than the presence timeout counts as
    offline), how many conversations they take at once (`max_open`, none: no cap) and when a request was last
    routed to them (round-robin serves the least recently assigned first)."""

    __tablename__ = "agent_presence"

    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[PresenceStatus] = mapped_column(_enum(PresenceStatus, "presence_status"))
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    max_open: Mapped[int | None] = mapped_column(Integer)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AttachmentUploader(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"


class Attachment(Base):
    """Attachments (#16 item 6): one image of a conversation, sent by the customer (web page, WeChat) or by an
    agent from the console. The file lives outside the database (crm/attachment_store.py), named by
    `file_id`, a random id; the row says whose conversation it belongs to (`sender_key`, as on
    `conversations`, and the conversation and customer once known), who sent it and what it is. The bytes
    were decoded and re-encoded (crm/images.py): no EXIF, no trailing data."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    sender_key: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    uploader: Mapped[AttachmentUploader] = mapped_column(_enum(AttachmentUploader, "attachment_uploader"))
    agent: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(None, "sender_key", "created_at"),
        Index(None, "conversation_id"),
        Index(None, "customer_id"),
    )

"""What the repository returns: frozen views, detached from the session, safe to keep and pass around."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm.models import (
    Channel,
    ChurnRisk,
    HandoffStatus,
    InvoiceKind,
    InvoiceStatus,
    Language,
    LifecycleStage,
    MessageSender,
    OrderStatus,
    PaymentStatus,
    RefundKind,
    RefundStatus,
    Segment,
    TicketCategory,
    TicketPriority,
    TicketStatus,
    Tier,
)


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str | None
    preferred_language: Language
    tier: Tier
    created_at: datetime
    last_seen_at: datetime | None
    marketing_consent: bool
    personalization_consent: bool
    lifecycle_stage: LifecycleStage
    segment: Segment | None
    churn_risk: ChurnRisk | None
    erased: bool


@dataclass(frozen=True)
class IdentityView:
    channel: Channel
    masked_id: str
    verified: bool


@dataclass(frozen=True)
class DeliveryOptionView:
    id: int
    region_code: str
    region_en: str
    region_zh: str
    code: str
    name_en: str
    name_zh: str
    carrier: str
    fee: Decimal
    free_over: Decimal | None
    min_days: int
    max_days: int

    def fee_for(self, subtotal: Decimal) -> Decimal:
        return Decimal("0") if self.free_over is not None and subtotal >= self.free_over else self.fee


@dataclass(frozen=True)
class OrderItemView:
    product_id: int
    sku: str
    name_en: str
    name_zh: str
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class StatusChange:
    status: OrderStatus
    occurred_at: datetime
    note: str | None


@dataclass(frozen=True)
class TrackingEventView:
    occurred_at: datetime
    status: str
    location_en: str
    location_zh: str
    description_en: str
    description_zh: str


@dataclass(frozen=True)
class ShipmentView:
    carrier: str
    tracking_number: str
    status: str
    shipped_at: datetime
    estimated_delivery: date
    delivered_at: datetime | None
    events: tuple[TrackingEventView, ...]


@dataclass(frozen=True)
class PaymentView:
    method: str
    amount: Decimal
    status: PaymentStatus
    failure_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class RefundView:
    number: str
    order_number: str
    kind: RefundKind
    reason: str
    amount: Decimal
    status: RefundStatus
    requested_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class InvoiceView:
    number: str
    kind: InvoiceKind
    amount: Decimal
    status: InvoiceStatus
    requested_at: datetime
    issued_at: datetime | None


@dataclass(frozen=True)
class OrderView:
    number: str
    customer_id: int
    status: OrderStatus
    placed_at: datetime
    updated_at: datetime
    region_code: str
    subtotal: Decimal
    shipping_fee: Decimal
    discount: Decimal
    total: Decimal
    cancellation_fee: Decimal | None
    delivery: DeliveryOptionView | None
    items: tuple[OrderItemView, ...]
    history: tuple[StatusChange, ...]
    shipments: tuple[ShipmentView, ...]
    payments: tuple[PaymentView, ...]
    refunds: tuple[RefundView, ...]
    invoices: tuple[InvoiceView, ...]


@dataclass(frozen=True)
class OrderSummary:
    number: str
    status: OrderStatus
    placed_at: datetime
    total: Decimal
    item_count: int
    first_item_en: str
    first_item_zh: str


@dataclass(frozen=True)
class CancellationQuote:
    order_number: str
    status: OrderStatus
    cancellable: bool
    fee: Decimal
    refund_amount: Decimal
    rule_en: str
    rule_zh: str


@dataclass(frozen=True)
class ProductView:
    id: int
    sku: str
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    category_en: str
    category_zh: str
    brand: str
    price: Decimal
    stock: int
    active: bool
    attributes: dict[str, Any]

    def name(self, language: Language | str) -> str:
        return self.name_zh if language == Language.ZH else self.name_en


@dataclass(frozen=True)
class TicketView:
    number: str
    customer_id: int
    order_number: str | None
    channel: Channel
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class MessageView:
    sender: MessageSender
    text: str
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]] | None
    created_at: datetime


@dataclass(frozen=True)
class HandoffView:
    id: int
    conversation_id: int
    customer_id: int | None
    reason: str
    status: HandoffStatus
    agent: str | None
    requested_at: datetime
    priority: int
    summary: str | None


@dataclass(frozen=True)
class HandoffWait:
    """Where a waiting request stands: `position` 1 is served next; 0 (and 0 minutes) once an agent has it."""

    position: int
    waiting: int
    estimated_minutes: int


@dataclass(frozen=True)
class AddressView:
    recipient: str
    phone: str
    street: str
    city: str
    region_code: str
    postcode: str | None
    is_default: bool


@dataclass(frozen=True)
class Customer360:
    """What the staff console shows about one customer; reading it is audited."""

    customer: CustomerView
    rfm: str | None
    churn_probability: float | None
    clv: Decimal | None
    identities: tuple[IdentityView, ...]
    addresses: tuple[AddressView, ...]
    orders: tuple[OrderSummary, ...]
    tickets: tuple[TicketView, ...]
    interactions_90d: int
    consent_history: tuple[tuple[str, bool, str, datetime], ...]

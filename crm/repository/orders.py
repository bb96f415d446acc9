"""Orders: the bot's hottest reads, and the writes that follow the shop's rules (cancel, refund, invoice)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from crm.errors import InvalidInput, InvalidOrderNumber, NotAllowed, NotFound, OrderNotFound
from crm.models import (
    PURCHASE_STATUSES,
    CancellationFeeRule,
    DeliveryOption,
    DeliveryRegion,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusEvent,
    Payment,
    PaymentStatus,
    Product,
    Refund,
    RefundKind,
    RefundStatus,
    Shipment,
    TrackingEvent,
)
from crm.privacy import utcnow
from crm.repository.common import new_number
from crm.repository.views import (
    CancellationQuote,
    DeliveryOptionView,
    InvoiceView,
    OrderItemView,
    OrderSummary,
    OrderView,
    PaymentView,
    RefundView,
    ShipmentView,
    StatusChange,
    TrackingEventView,
)

ORDER_NUMBER = re.compile(r"^KL\d{8}$")
ORDER_NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[Kk][Ll]\s?(\d{8})(?!\d)")
RETURN_WINDOW = timedelta(days=30)
CENT = Decimal("0.01")

# Built once and run on the session's connection: per call this skips statement construction and ORM
# loading, which is most of the cost of a millisecond query.

_ORDER_HEAD = (
    select(
        Order.id,
        Order.customer_id,
        Order.status,
        Order.placed_at,
        Order.updated_at,
        Order.region_code,
        Order.subtotal,
        Order.shipping_fee,
        Order.discount,
        Order.total,
        Order.cancellation_fee,
        DeliveryOption.id.label("option_id"),
        DeliveryOption.code,
        DeliveryOption.name_en,
        DeliveryOption.name_zh,
        DeliveryOption.carrier,
        DeliveryOption.fee,
        DeliveryOption.free_over,
        DeliveryOption.min_days,
        DeliveryOption.max_days,
        DeliveryRegion.name_en.label("region_en"),
        DeliveryRegion.name_zh.label("region_zh"),
    )
    .outerjoin(DeliveryOption, Order.delivery_option_id == DeliveryOption.id)
    .outerjoin(DeliveryRegion, DeliveryOption.region_code == DeliveryRegion.code)
    .where(Order.number == bindparam("number"))
)
_ORDER_ITEMS = (
    select(
        OrderItem.order_id,
        OrderItem.product_id,
        Product.sku,
        Product.name_en,
        Product.name_zh,
        OrderItem.quantity,
        OrderItem.unit_price,
    )
    .join(Product, OrderItem.product_id == Product.id)
    .where(OrderItem.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(OrderItem.id)
)
_ORDER_HISTORY = (
    select(OrderStatusEvent.status, OrderStatusEvent.occurred_at, OrderStatusEvent.note)
    .where(OrderStatusEvent.order_id == bindparam("order_id"))
    .order_by(OrderStatusEvent.occurred_at, OrderStatusEvent.id)
)
_ORDER_TRACKING = (  # shipments with their tracking events, one row per event (or per event-less shipment)
    select(
        Shipment.id,
        Shipment.carrier,
        Shipment.tracking_number,
        Shipment.status,
        Shipment.shipped_at,
        Shipment.estimated_delivery,
        Shipment.delivered_at,
        TrackingEvent.occurred_at,
        TrackingEvent.status.label("event_status"),
        TrackingEvent.location_en,
        TrackingEvent.location_zh,
        TrackingEvent.description_en,
        TrackingEvent.description_zh,
    )
    .outerjoin(TrackingEvent, TrackingEvent.shipment_id == Shipment.id)
    .where(Shipment.order_id == bindparam("order_id"))
    .order_by(Shipment.id, TrackingEvent.occurred_at, TrackingEvent.id)
)
_ORDER_PAYMENTS = (
    select(Payment.method, Payment.amount, Payment.status, Payment.failure_reason, Payment.created_at)
    .where(Payment.order_id == bindparam("order_id"))
    .order_by(Payment.created_at, Payment.id)
)
_ORDER_REFUNDS = (
    select(
        Refund.number, Refund.kind, Refund.reason, Refund.amount, Refund.status, Refund.requested_at, Refund.resolved_at
    )
    .where(Refund.order_id == bindparam("order_id"))
    .order_by(Refund.requested_at, Refund.id)
)
_ORDER_INVOICES = (
    select(Invoice.number, Invoice.kind, Invoice.amount, Invoice.status, Invoice.requested_at, Invoice.issued_at)
    .where(Invoice.order_id == bindparam("order_id"))
    .order_by(Invoice.requested_at, Invoice.id)
)
_LAST_ORDERS = (
    select(Order.id, Order.number, Order.status, Order.placed_at, Order.total)
    .where(Order.customer_id == bindparam("customer_id"))
    .order_by(Order.placed_at.desc(), Order.id.desc())
    .limit(bindparam("limit"))
)


def parse_order_number(text: str) -> str:
    """`kl20251107 ` -> `KL20251107`; anything that is not KL + 8 digits raises InvalidOrderNumber."""
    number = text.strip().upper()
    if not ORDER_NUMBER.match(number):
        raise InvalidOrderNumber(text)
    return number


def find_order_numbers(text: str) -> list[str]:
    """Order numbers mentioned in a free-text message ("where is kl 20251107?"), in order of mention."""
    return [f"KL{digits}" for digits in ORDER_NUMBER_IN_TEXT.findall(text)]


def _delivery_view(option: DeliveryOption, region: DeliveryRegion) -> DeliveryOptionView:
    return DeliveryOptionView(
        id=option.id,
        region_code=region.code,
        region_en=region.name_en,
        region_zh=region.name_zh,
        code=option.code,
        name_en=option.name_en,
        name_zh=option.name_zh,
        carrier=option.carrier,
        fee=option.fee,
        free_over=option.free_over,
        min_days=option.min_days,
        max_days=option.max_days,
    )


def _refund_view(refund: Refund, order_number: str) -> RefundView:
    return RefundView(
        number=refund.number,
        order_number=order_number,
        kind=refund.kind,
        reason=refund.reason,
        amount=refund.amount,
        status=refund.status,
        requested_at=refund.requested_at,
        resolved_at=refund.resolved_at,
    )


def load_order(session: Session, number: str, customer_id: int | None) -> Order:
    number = parse_order_number(number)
    order = session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(
            selectinload(Order.status_events),
            selectinload(Order.payments),
            selectinload(Order.refunds),
            selectinload(Order.invoices),
        )
    )
    if order is None or (customer_id is not None and order.customer_id != customer_id):
        raise OrderNotFound(number)
    return order


def get_order(session: Session, number: str, *, customer_id: int | None = None) -> OrderView:
    """The order with its items, history, shipments and tracking, payments, refunds and invoices.

    With `customer_id`, an order of another customer is reported as not found (no leak of existence).
    This is the bot's hottest query: it reads plain columns (no ORM identity map or eager loaders),
    one small indexed query per part of the order.
    """
    number = parse_order_number(number)
    connection = session.connection()
    head = connection.execute(_ORDER_HEAD, {"number": number}).one_or_none()
    if head is None or (customer_id is not None and head.customer_id != customer_id):
        raise OrderNotFound(number)
    order_id = {"order_id": head.id}
    items = connection.execute(_ORDER_ITEMS, {"order_ids": [head.id]}).all()
    history = connection.execute(_ORDER_HISTORY, order_id).all()
    shipments: dict[int, Any] = {}
    events: dict[int, list[TrackingEventView]] = {}
    for row in connection.execute(_ORDER_TRACKING, order_id):
        shipments.setdefault(row.id, row)
        events.setdefault(row.id, [])
        if row.occurred_at is not None:
            events[row.id].append(
                TrackingEventView(
                    row.occurred_at,
                    row.event_status.value,
                    row.location_en,
                    row.location_zh,
                    row.description_en,
                    row.description_zh,
                )
            )
    payments = connection.execute(_ORDER_PAYMENTS, order_id).all()
    refunds = connection.execute(_ORDER_REFUNDS, order_id).all()
    invoices = connection.execute(_ORDER_INVOICES, order_id).all()
    delivery = (
        None
        if head.option_id is None
        else DeliveryOptionView(
            id=head.option_id,
            region_code=head.region_code,
            region_en=head.region_en,
            region_zh=head.region_zh,
            code=head.code,
            name_en=head.name_en,
            name_zh=head.name_zh,
            carrier=head.carrier,
            fee=head.fee,
            free_over=head.free_over,
            min_days=head.min_days,
            max_days=head.max_days,
        )
    )
    return OrderView(
        number=number,
        customer_id=head.customer_id,
        status=head.status,
        placed_at=head.placed_at,
        updated_at=head.updated_at,
        region_code=head.region_code,
        subtotal=head.subtotal,
        shipping_fee=head.shipping_fee,
        discount=head.discount,
        total=head.total,
        cancellation_fee=head.cancellation_fee,
        delivery=delivery,
        items=tuple(OrderItemView(*row[1:]) for row in items),
        history=tuple(StatusChange(*row) for row in history),
        shipments=tuple(
            ShipmentView(
                s.carrier,
                s.tracking_number,
                s.status.value,
                s.shipped_at,
                s.estimated_delivery,
                s.delivered_at,
                tuple(events[s.id]),
            )
            for s in shipments.values()
        ),
        payments=tuple(
            PaymentView(p.method.value, p.amount, p.status, p.failure_reason, p.created_at) for p in payments
        ),
        refunds=tuple(
            RefundView(r.number, number, r.kind, r.reason, r.amount, r.status, r.requested_at, r.resolved_at)
            for r in refunds
        ),
        invoices=tuple(InvoiceView(*row) for row in invoices),
    )


def last_orders(session: Session, customer_id: int, *, limit: int = 5) -> list[OrderSummary]:
    connection = session.connection()
    orders = connection.execute(_LAST_ORDERS, {"customer_id": customer_id, "limit": limit}).all()
    if not orders:
        return []
    items: dict[int, list[tuple[int, str, str]]] = {o.id: [] for o in orders}
    for row in connection.execute(_ORDER_ITEMS, {"order_ids": list(items)}):
        items[row.order_id].append((row.quantity, row.name_en, row.name_zh))
    return [
        OrderSummary(
            number=o.number,
            status=o.status,
            placed_at=o.placed_at,
            total=o.total,
            item_count=sum(q for q, _, _ in items[o.id]),
            first_item_en=items[o.id][0][1] if items[o.id] else "",
            first_item_zh=items[o.id][0][2] if items[o.id] else "",
        )
        for o in orders
    ]


def delivery_options(session: Session, region_code: str) -> list[DeliveryOptionView]:
    region = session.get(DeliveryRegion, region_code)
    if region is None:
        raise NotFound(f"no delivery region {region_code!r}")
    return [_delivery_view(o, region) for o in region.options]


def every_delivery_option(session: Session) -> list[DeliveryOptionView]:
    """The delivery options of every region, regions in code order, in two queries (regions, then
    all their options), not one per region."""
    regions = session.scalars(
        select(DeliveryRegion).options(selectinload(DeliveryRegion.options)).order_by(DeliveryRegion.code)
    )
    return [_delivery_view(option, region) for region in regions for option in region.options]


def cancellation_rules(session: Session) -> list[tuple[OrderStatus, str, str]]:
    """The shop's cancellation-fee rules as it states them (status, English, Chinese), in the order an
    order goes through them: the one place their figures are written (`_quote` charges by the same rows)."""
    order = list(OrderStatus)
    rules = session.scalars(select(CancellationFeeRule))
    return sorted(
        ((r.order_status, r.description_en, r.description_zh) for r in rules), key=lambda r: order.index(r[0])
    )


def delivery_regions(session: Session) -> list[tuple[str, str, str]]:
    regions = session.scalars(select(DeliveryRegion).order_by(DeliveryRegion.code))
    return [(r.code, r.name_en, r.name_zh) for r in regions]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _paid_amount(order: Order) -> Decimal:
    paid = sum((p.amount for p in order.payments if p.status == PaymentStatus.SUCCEEDED), Decimal("0"))
    return _money(paid)


def _quote(session: Session, order: Order, now: datetime) -> CancellationQuote:
    rule = session.scalar(select(CancellationFeeRule).where(CancellationFeeRule.order_status == order.status))
    if rule is None:
        return CancellationQuote(
            order.number,
            order.status,
            False,
            Decimal("0"),
            Decimal("0"),
            f"An order that is {order.status.value} can no longer be cancelled; request a return instead.",
            "该订单当前状态无法取消，如需退货请申请退款退货。",
        )
    status_since = max(
        (e.occurred_at for e in order.status_events if e.status == order.status), default=order.placed_at
    )
    fee = Decimal("0")
    if now - status_since > timedelta(hours=rule.free_within_hours) and rule.fee_percent > 0:
        fee = max(_money(order.total * rule.fee_percent / 100), rule.min_fee)
    paid = _paid_amount(order)
    fee = min(fee, paid)
    return CancellationQuote(
        order.number, order.status, True, fee, _money(paid - fee), rule.description_en, rule.description_zh
    )


def cancellation_quote(
    session: Session, number: str, *, customer_id: int | None = None, now: datetime | None = None
) -> CancellationQuote:
    """What cancelling this order now would cost, under the shop's cancellation-fee rules."""
    return _quote(session, load_order(session, number, customer_id), now or utcnow())


def cancel_order(
    session: Session,
    number: str,
    *,
    customer_id: int | None,
    reason: str = "customer request",
    now: datetime | None = None,
) -> CancellationQuote:
    """Cancel, charging the fee of the rule for its status; a paid order gets an approved refund of the rest."""
    now = now or utcnow()
    with session.begin_nested():
        order = load_order(session, number, customer_id)
        quote = _quote(session, order, now)
        if not quote.cancellable:
            raise NotAllowed(quote.rule_en)
        order.status = OrderStatus.CANCELLED
        order.updated_at = now
        order.cancellation_fee = quote.fee
        session.add(
            OrderStatusEvent(order_id=order.id, status=OrderStatus.CANCELLED, occurred_at=now, note=reason[:200])
        )
        for payment in order.payments:
            if payment.status == PaymentStatus.PENDING:
                payment.status = PaymentStatus.FAILED
                payment.failure_reason = "order cancelled"
        if quote.refund_amount > 0:
            session.add(
                Refund(
                    number=new_number(session, Refund.number, "RF", now),
                    order_id=order.id,
                    kind=RefundKind.REFUND_ONLY,
                    reason="order cancelled",
                    amount=quote.refund_amount,
                    status=RefundStatus.APPROVED,
                    requested_at=now,
                    resolved_at=now,
                )
            )
        session.flush()
    return quote


def request_refund(
    session: Session,
    number: str,
    *,
    customer_id: int,
    reason: str,
    kind: RefundKind | str = RefundKind.RETURN_AND_REFUND,
    amount: Decimal | None = None,
    now: datetime | None = None,
) -> RefundView:
    """Open a refund request on a delivered order within the return window."""
    now = now or utcnow()
    try:
        kind = RefundKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown refund kind {kind!r}") from None
    if not reason.strip():
        raise InvalidInput("a refund needs a reason")
    with session.begin_nested():
        order = load_order(session, number, customer_id)
        if order.status != OrderStatus.DELIVERED:
            raise NotAllowed(
                f"order {order.number} is {order.status.value}; only delivered orders can be refunded "
                "(cancel an order that has not been delivered yet)"
            )
        delivered_at = max(
            (e.occurred_at for e in order.status_events if e.status == OrderStatus.DELIVERED), default=order.updated_at
        )
        if now - delivered_at > RETURN_WINDOW:
            raise NotAllowed(f"order {order.number} was delivered more than {RETURN_WINDOW.days} days ago")
        if any(r.status in (RefundStatus.REQUESTED, RefundStatus.APPROVED) for r in order.refunds):
            raise NotAllowed(f"order {order.number} already has a refund in progress")
        refunded = sum((r.amount for r in order.refunds if r.status == RefundStatus.COMPLETED), Decimal("0"))
        available = _paid_amount(order) - refunded
        amount = available if amount is None else _money(Decimal(amount))
        if amount <= 0 or amount > available:
            raise InvalidInput(f"the refund amount must be between 0.01 and {available}")
        refund = Refund(
            number=new_number(session, Refund.number, "RF", now),
            order_id=order.id,
            kind=kind,
            reason=reason.strip()[:64],
            amount=amount,
            status=RefundStatus.REQUESTED,
            requested_at=now,
        )
        session.add(refund)
        session.flush()
        return _refund_view(refund, order.number)


def refunds_of(session: Session, customer_id: int) -> list[RefundView]:
    rows = session.execute(
        select(Refund, Order.number)
        .join(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Refund.requested_at.desc())
    ).all()
    return [_refund_view(refund, number) for refund, number in rows]


def request_invoice(
    session: Session,
    number: str,
    *,
    customer_id: int,
    title: str,
    kind: InvoiceKind | str = InvoiceKind.ELECTRONIC,
    tax_id: str | None = None,
    now: datetime | None = None,
) -> InvoiceView:
    now = now or utcnow()
    try:
        kind = InvoiceKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown invoice kind {kind!r}") from None
    if not title.strip():
        raise InvalidInput("an invoice needs a title (a person's or a company's name)")
    with session.begin_nested():
        order = load_order(session, number, customer_id)
        if order.status not in PURCHASE_STATUSES:
            raise NotAllowed(f"order {order.number} is {order.status.value}; invoices are issued for paid orders")
        if any(i.status != InvoiceStatus.VOIDED for i in order.invoices):
            raise NotAllowed(f"order {order.number} already has an invoice")
        invoice = Invoice(
            number=new_number(session, Invoice.number, "INV", now),
            order_id=order.id,
            kind=kind,
            title=title.strip(),
            tax_id=tax_id,
            amount=order.total,
            status=InvoiceStatus.REQUESTED,
            requested_at=now,
        )
        session.add(invoice)
        session.flush()
        return InvoiceView(invoice.number, kind, invoice.amount, invoice.status, now, None)

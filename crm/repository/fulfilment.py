"""Changing where an order goes and sending it again: the writes a support agent makes for a customer, under
the rules the bot states (actions/orders.py): the address of an order changes only before it ships, and a
replacement parcel goes out only for an order that was delivered or lost on the way."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed
from crm.models import (
    Address,
    Order,
    OrderStatus,
    RefundStatus,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from crm.privacy import utcnow
from crm.repository.addresses import address_view, save_address
from crm.repository.common import new_number
from crm.repository.orders import load_order
from crm.repository.views import AddressView, ShipmentView

ADDRESS_CHANGEABLE = (OrderStatus.PLACED, OrderStatus.PAID)  # not shipped yet
REASON_MAX_CHARS = 120
DEFAULT_DELIVERY_DAYS = 3
_REFUNDED = (RefundStatus.REQUESTED, RefundStatus.APPROVED, RefundStatus.COMPLETED)


def shipping_address(session: Session, order: Order) -> AddressView | None:
    address = None if order.shipping_address_id is None else session.get(Address, order.shipping_address_id)
    return None if address is None else address_view(address)


def order_shipping_address(session: Session, number: str, *, customer_id: int | None) -> AddressView | None:
    """Where the order goes (None when it has no address on file, or the customer erased it)."""
    return shipping_address(session, load_order(session, number, customer_id))


def change_order_address(
    session: Session, number: str, *, customer_id: int, address: str, now: datetime | None = None
) -> AddressView:
    """Send an order that has not shipped to another address, written in one line as a customer writes it
    (`save_address` reads it; it joins the customer's address book, not as the default). The recipient and
    phone stay those of the order's address. An address in another delivery region would change the delivery
    option and its price, so it is refused: cancel and order again."""
    now = now or utcnow()
    with session.begin_nested():
        order = load_order(session, number, customer_id)
        if order.status not in ADDRESS_CHANGEABLE:
            raise NotAllowed(
                f"order {order.number} is {order.status.value}; the address can only change before it ships"
            )
        current = shipping_address(session, order)
        saved = save_address(
            session,
            customer_id,
            address,
            recipient=None if current is None else current.recipient,
            phone=None if current is None else current.phone,
            make_default=False,
            now=now,
        )
        if saved.region_code != order.region_code:
            raise NotAllowed(
                f"order {order.number} is delivered in region {order.region_code}; an address in "
                f"{saved.region_code} changes its delivery, so cancel it and order again"
            )
        # The street is encrypted (no equality in SQL): the customer's few addresses are compared here.
        order.shipping_address_id = next(
            a.id
            for a in session.scalars(select(Address).where(Address.customer_id == customer_id))
            if a.street == saved.street
        )
        order.updated_at = now
        session.flush()
        return saved


def resend_order(
    session: Session, number: str, *, customer_id: int, reason: str, now: datetime | None = None
) -> ShipmentView:
    """A replacement parcel (a new shipment with its label created) for an order that was delivered (damaged,
    missing items) or is lost (its last shipment ended in an exception). Refused while a replacement is on its
    way or once a refund was asked for: the customer gets one remedy."""
    now = now or utcnow()
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("a replacement needs a reason")
    if len(reason) > REASON_MAX_CHARS:
        raise InvalidInput(f"a reason is at most {REASON_MAX_CHARS} characters")
    with session.begin_nested():
        order = load_order(session, number, customer_id)
        shipments = list(session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)))
        last = shipments[-1] if shipments else None
        lost = order.status == OrderStatus.SHIPPED and last is not None and last.status == ShipmentStatus.EXCEPTION
        if any(s.status == ShipmentStatus.LABEL_CREATED for s in shipments[1:]):  # a replacement, not yet sent
            raise NotAllowed(f"a replacement for order {order.number} is already on its way")
        if order.status != OrderStatus.DELIVERED and not lost:
            raise NotAllowed(
                f"order {order.number} is {order.status.value}; a replacement is sent only for a delivered "
                "order or a lost parcel"
            )
        if any(r.status in _REFUNDED for r in order.refunds):
            raise NotAllowed(f"order {order.number} has a refund; it is not sent again")
        option = order.delivery_option
        days = DEFAULT_DELIVERY_DAYS if option is None else max(option.max_days, 1)
        shipment = Shipment(
            order_id=order.id,
            carrier=last.carrier if last is not None else (option.carrier if option is not None else "SF Express"),
            tracking_number=new_number(session, Shipment.tracking_number, "RS", now),
            status=ShipmentStatus.LABEL_CREATED,
            shipped_at=now,
            estimated_delivery=(now + timedelta(days=days)).date(),
        )
        session.add(shipment)
        session.flush()
        session.add(
            TrackingEvent(
                shipment_id=shipment.id,
                occurred_at=now,
                status=ShipmentStatus.LABEL_CREATED,
                location_en="Warehouse",
                location_zh="仓库",
                description_en=f"Replacement parcel: {reason}"[:200],
                description_zh=f"补发包裹：{reason}"[:100],
            )
        )
        session.flush()
        return ShipmentView(
            shipment.carrier,
            shipment.tracking_number,
            shipment.status.value,
            shipment.shipped_at,
            shipment.estimated_delivery,
            None,
            (),
        )

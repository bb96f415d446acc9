"""The customer's orders beside a hand-off, and what the agent serving it may do with them: start a refund,
cancel, send an unshipped order elsewhere, send a replacement. Every action goes through the CRM repository
functions the bot's own actions use (the shop's rules live there: a refund only for a delivered order in the
return window, an address only before shipping…), only for the agent who holds the hand-off or a supervisor,
and is written to the audit log, where the hand-off's transcript reads it back as an internal line.

The panel shows what is allowed for each order's state; the CRM has the last word (a refund already in
progress, an address in another delivery region), and its refusal is shown to the agent as it says it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed
from crm.models import AuditEntry, OrderStatus, RefundKind, RefundStatus, ShipmentStatus
from crm.privacy import audit, mask_name, mask_phone
from crm.repository import HandoffView, cancel_order, get_order, last_orders, parse_order_number, request_refund
from crm.repository.fulfilment import change_order_address, order_shipping_address, resend_order
from crm.repository.views import AddressView, OrderView

from console import handoffs
from console.accounts import StaffUserView
from console.i18n import refusal, translate
from console.notices import display_name

ORDERS_SHOWN = 5
ACTIONS = ("refund", "cancel", "address", "resend")
AUDIT_ACTIONS = {f"order_{action}": action for action in ACTIONS}
REASON_MAX_CHARS = 64  # what a refund keeps (crm.repository.orders.request_refund)
ADDRESS_MAX_CHARS = 300  # crm.repository.addresses.ADDRESS_MAX_CHARS
_IN_PROGRESS = (RefundStatus.REQUESTED, RefundStatus.APPROVED)


@dataclass(frozen=True)
class PanelOrder:
    order: OrderView
    address: str | None  # masked unless personal data is shown
    actions: tuple[str, ...]  # what its state allows


@dataclass(frozen=True)
class ActionDone:
    action: str
    order: str
    result: str  # the new refund's number, the new tracking number, the refund of a cancellation…


def allowed_actions(order: OrderView) -> tuple[str, ...]:
    """The actions the order's state allows, as the bot offers them."""
    status = order.status
    last_shipment = order.shipments[-1].status if order.shipments else None
    refunded = any(r.status in (*_IN_PROGRESS, RefundStatus.COMPLETED) for r in order.refunds)
    allowed = []
    if status == OrderStatus.DELIVERED and not any(r.status in _IN_PROGRESS for r in order.refunds):
        allowed.append("refund")
    if status in (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.SHIPPED):
        allowed.append("cancel")
    if status in (OrderStatus.PLACED, OrderStatus.PAID):
        allowed.append("address")
    lost = status == OrderStatus.SHIPPED and last_shipment == ShipmentStatus.EXCEPTION.value
    replacing = any(s.status == ShipmentStatus.LABEL_CREATED.value for s in order.shipments[1:])
    if (status == OrderStatus.DELIVERED or lost) and not refunded and not replacing:
        allowed.append("resend")
    return tuple(allowed)


def _address_line(address: AddressView | None, reveal: bool) -> str | None:
    if address is None:
        return None
    if reveal:
        return f"{address.recipient}, {address.phone}, {address.street}"
    return f"{mask_name(address.recipient)}, {mask_phone(address.phone)}, {address.city} …"


def panel(session: Session, customer_id: int | None, *, reveal: bool) -> list[PanelOrder]:
    """The customer's latest orders, newest first (none for a visitor nobody identified)."""
    if customer_id is None:
        return []
    shown = []
    for summary in last_orders(session, customer_id, limit=ORDERS_SHOWN):
        order = get_order(session, summary.number, customer_id=customer_id)
        address = order_shipping_address(session, order.number, customer_id=customer_id)
        shown.append(PanelOrder(order, _address_line(address, reveal), allowed_actions(order)))
    return shown


def _bounded(value: str, limit: int, what: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise refusal(InvalidInput, f"refusal.order_{what}_missing")
    if len(value) > limit:
        raise refusal(InvalidInput, f"refusal.order_{what}_too_long", n=limit)
    return value


def act(
    session: Session,
    handoff_id: int,
    user: StaffUserView,
    action: str,
    number: str,
    fields: dict[str, Any],
    *,
    now: datetime | None = None,
) -> ActionDone:
    """Do `action` on the hand-off's customer's order `number` for them, and audit it. The customer comes from
    the hand-off, never from the form; an order of anyone else is not found."""
    if action not in ACTIONS:
        raise refusal(InvalidInput, "refusal.order_action")
    case = handoffs.served_case(session, handoff_id, user, "refusal.order_take_first")
    customer_id = case.handoff.customer_id
    if customer_id is None:
        raise refusal(NotAllowed, "refusal.order_no_customer")
    number = parse_order_number(str(number)[:20])
    state = get_order(session, number, customer_id=customer_id)
    if action not in allowed_actions(state):
        raise refusal(NotAllowed, f"refusal.order_not_now.{action}", order=number, status=state.status.value)
    detail: dict[str, Any] = {}
    if action == "refund":
        reason = _bounded(str(fields.get("reason", "")), REASON_MAX_CHARS, "reason")
        kind = str(fields.get("kind", RefundKind.RETURN_AND_REFUND.value))
        refund = request_refund(session, number, customer_id=customer_id, reason=reason, kind=kind, now=now)
        result, detail = refund.number, {"amount": str(refund.amount), "kind": refund.kind.value}
    elif action == "cancel":
        quote = cancel_order(session, number, customer_id=customer_id, reason="cancelled by support", now=now)
        result, detail = str(quote.refund_amount), {"fee": str(quote.fee), "refund": str(quote.refund_amount)}
    elif action == "address":
        address = _bounded(str(fields.get("address", "")), ADDRESS_MAX_CHARS, "address")
        saved = change_order_address(session, number, customer_id=customer_id, address=address, now=now)
        result, detail = saved.city, {"region": saved.region_code}
    else:
        reason = _bounded(str(fields.get("reason", "")), REASON_MAX_CHARS, "reason")
        shipment = resend_order(session, number, customer_id=customer_id, reason=reason, now=now)
        result, detail = shipment.tracking_number, {"carrier": shipment.carrier}
    audit(
        session,
        actor=user.username,
        action=f"order_{action}",
        customer_id=customer_id,
        now=now,
        handoff_id=handoff_id,
        conversation_id=case.handoff.conversation_id,
        order=number,
        result=result,
        agent=display_name(user),
        **detail,
    )
    return ActionDone(action, number, result)


def internal_lines(session: Session, handoff: HandoffView, language: str) -> list[dict[str, Any]]:
    """What staff did to the customer's orders during this hand-off, as lines of its transcript only staff
    see (read back from the audit log)."""
    if handoff.customer_id is None:
        return []
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.customer_id == handoff.customer_id,
            AuditEntry.action.in_(list(AUDIT_ACTIONS)),
            AuditEntry.occurred_at >= handoff.requested_at,
        )
        .order_by(AuditEntry.occurred_at, AuditEntry.id)
    )
    lines = []
    for entry in entries:
        detail = entry.detail or {}
        if detail.get("handoff_id") != handoff.id:
            continue
        action = AUDIT_ACTIONS[entry.action]
        lines.append(
            {
                "who": "internal",
                "text": translate(
                    language,
                    f"orders.internal.{action}",
                    agent=str(detail.get("agent") or entry.actor),
                    order=str(detail.get("order", "")),
                    result=str(detail.get("result", "")),
                ),
                "at": entry.occurred_at,
            }
        )
    return lines


def merged(messages: list[dict[str, Any]], internal: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The internal lines put among the messages by time (a message without a time keeps its place)."""
    result, waiting = [], list(internal)
    for message in messages:
        while waiting and message.get("at") is not None and waiting[0]["at"] <= message["at"]:
            result.append(waiting.pop(0))
        result.append(message)
    return result + waiting

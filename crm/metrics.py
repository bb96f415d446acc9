"""Shop-level metrics, over the whole history or a trailing window.

  conversion rate       customers who interacted and purchased / customers who interacted
  engagement rate       interactions / active users (customers with at least one interaction)
  service efficiency    tickets resolved or closed / tickets received
  repeat-purchase rate  customers with two or more purchases / customers with at least one

How many conversations the assistant settled alone is containment, defined once in crm.service_metrics (goal met
and no person; `python -m crm stats` and the console's dashboard both show it from there), not here.

A purchase is an order that reached payment (paid, shipped, delivered or returned); revenue counts
paid, shipped and delivered orders only. Every count is over events inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, distinct, func, select
from sqlalchemy.orm import Session

from crm.history import PAID_STATUSES
from crm.models import (
    PURCHASE_STATUSES,
    Conversation,
    Customer,
    HandoffRequest,
    HandoffStatus,
    Interaction,
    Order,
    Ticket,
    TicketStatus,
)


@dataclass(frozen=True)
class ShopMetrics:
    start: datetime | None
    end: datetime
    customers: int
    active_users: int
    interactions: int
    purchasers: int
    revenue_orders: int  # paid, shipped or delivered
    revenue: Decimal
    tickets_received: int
    tickets_resolved: int
    conversations: int
    handoffs_waiting: int
    conversion_rate: float | None
    engagement_rate: float | None
    service_efficiency: float | None
    repeat_purchase_rate: float | None

    @property
    def average_order_value(self) -> Decimal | None:
        return None if not self.revenue_orders else (self.revenue / self.revenue_orders).quantize(Decimal("0.01"))


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def compute(session: Session, *, window_days: int | None = None, as_of: datetime | None = None) -> ShopMetrics:
    end = as_of or datetime.now(timezone.utc)
    start = None if window_days is None else end - timedelta(days=window_days)

    def within(column: SQLColumnExpression[datetime]) -> ColumnElement[bool]:
        condition = column < end
        return condition if start is None else condition & (column >= start)

    def count(query: Select[int]) -> int:
        return int(session.scalar(query) or 0)

    interacted = select(Interaction.customer_id).where(within(Interaction.occurred_at)).distinct()
    purchases = (
        select(Order.customer_id, func.count().label("n"))
        .where(within(Order.placed_at), Order.status.in_(PAID_STATUSES))
        .group_by(Order.customer_id)
        .subquery()
    )
    active_users = count(select(func.count()).select_from(interacted.subquery()))
    converted = count(select(func.count()).select_from(purchases).where(purchases.c.customer_id.in_(interacted)))
    purchasers = count(select(func.count()).select_from(purchases))
    repeaters = count(select(func.count()).select_from(purchases).where(purchases.c.n >= 2))
    interactions = count(select(func.count()).select_from(Interaction).where(within(Interaction.occurred_at)))
    revenue_orders, revenue = session.execute(
        select(func.count(), func.coalesce(func.sum(Order.total), 0)).where(
            within(Order.placed_at), Order.status.in_(PURCHASE_STATUSES)
        )
    ).one()
    tickets = count(select(func.count()).select_from(Ticket).where(within(Ticket.created_at)))
    resolved = count(
        select(func.count())
        .select_from(Ticket)
        .where(within(Ticket.created_at), Ticket.status.in_([TicketStatus.RESOLVED, TicketStatus.CLOSED]))
    )
    conversations = count(select(func.count()).select_from(Conversation).where(within(Conversation.started_at)))
    waiting = count(
        select(func.count()).select_from(HandoffRequest).where(HandoffRequest.status == HandoffStatus.WAITING)
    )
    customers = count(
        select(func.count(distinct(Customer.id))).where(Customer.erased_at.is_(None), Customer.created_at < end)
    )
    return ShopMetrics(
        start=start,
        end=end,
        customers=customers,
        active_users=active_users,
        interactions=interactions,
        purchasers=purchasers,
        revenue_orders=int(revenue_orders),
        revenue=Decimal(revenue).quantize(Decimal("0.01")),
        tickets_received=tickets,
        tickets_resolved=resolved,
        conversations=conversations,
        handoffs_waiting=waiting,
        conversion_rate=_ratio(converted, active_users),
        engagement_rate=_ratio(interactions, active_users),
        service_efficiency=_ratio(resolved, tickets),
        repeat_purchase_rate=_ratio(repeaters, purchasers),
    )

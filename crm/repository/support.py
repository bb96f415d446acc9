"""Newsletters and support tickets."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotFound
from crm.models import (
    Channel,
    Customer,
    NewsletterSubscription,
    Order,
    SubscriptionStatus,
    Ticket,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)
from crm.privacy import set_consent, utcnow
from crm.repository.common import as_channel, live_customer, new_number
from crm.repository.orders import load_order, parse_order_number
from crm.repository.views import TicketView


def subscribe_newsletter(
    session: Session,
    customer_id: int,
    topic: str,
    *,
    channel: Channel | str = Channel.EMAIL,
    now: datetime | None = None,
) -> None:
    """Subscribing is itself a marketing-consent decision, recorded as such."""
    now = now or utcnow()
    channel = as_channel(channel)
    topic = topic.strip().lower()
    if not re.fullmatch(r"[a-z_]{2,32}", topic):
        raise InvalidInput(f"unknown newsletter topic {topic!r}")
    live_customer(session, customer_id)
    set_consent(session, customer_id, "marketing", True, source="newsletter", now=now)
    with session.begin_nested():
        subscription = session.scalar(
            select(NewsletterSubscription).where(
                NewsletterSubscription.customer_id == customer_id, NewsletterSubscription.topic == topic
            )
        )
        if subscription is None:
            session.add(
                NewsletterSubscription(
                    customer_id=customer_id,
                    topic=topic,
                    channel=channel,
                    status=SubscriptionStatus.SUBSCRIBED,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            subscription.status, subscription.channel, subscription.updated_at = (
                SubscriptionStatus.SUBSCRIBED,
                channel,
                now,
            )
        session.flush()


def unsubscribe_newsletter(
    session: Session, customer_id: int, topic: str | None = None, *, now: datetime | None = None
) -> int:
    """One topic, or all of them (None); returns how many subscriptions ended."""
    now = now or utcnow()
    query = select(NewsletterSubscription).where(
        NewsletterSubscription.customer_id == customer_id,
        NewsletterSubscription.status == SubscriptionStatus.SUBSCRIBED,
    )
    if topic is not None:
        query = query.where(NewsletterSubscription.topic == topic.strip().lower())
    ended = 0
    for subscription in session.scalars(query):
        subscription.status, subscription.updated_at = SubscriptionStatus.UNSUBSCRIBED, now
        ended += 1
    return ended


def newsletter_audience(session: Session, topic: str) -> list[int]:
    """Customers to send a topic to: subscribed and still consenting to marketing."""
    return list(
        session.scalars(
            select(NewsletterSubscription.customer_id)
            .join(Customer)
            .where(
                NewsletterSubscription.topic == topic,
                NewsletterSubscription.status == SubscriptionStatus.SUBSCRIBED,
                Customer.marketing_consent.is_(True),
                Customer.erased_at.is_(None),
            )
            .order_by(NewsletterSubscription.customer_id)
        )
    )


def _ticket_view(ticket: Ticket, order_number: str | None) -> TicketView:
    return TicketView(
        ticket.number,
        ticket.customer_id,
        order_number,
        ticket.channel,
        ticket.category,
        ticket.priority,
        ticket.status,
        ticket.created_at,
        ticket.resolved_at,
    )


def open_ticket(
    session: Session,
    customer_id: int,
    *,
    category: TicketCategory | str,
    subject: str,
    priority: TicketPriority | str = TicketPriority.NORMAL,
    channel: Channel | str = Channel.WEB,
    order_number: str | None = None,
    now: datetime | None = None,
) -> TicketView:
    now = now or utcnow()
    try:
        category, priority = TicketCategory(category), TicketPriority(priority)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    channel = as_channel(channel)
    if not subject.strip():
        raise InvalidInput("a ticket needs a subject")
    with session.begin_nested():
        live_customer(session, customer_id)
        order_id = None
        if order_number is not None:
            order_id = load_order(session, order_number, customer_id).id
        ticket = Ticket(
            number=new_number(session, Ticket.number, "TK", now),
            customer_id=customer_id,
            order_id=order_id,
            channel=channel,
            category=category,
            priority=priority,
            status=TicketStatus.OPEN,
            subject=subject.strip()[:500],
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        session.flush()
        return _ticket_view(ticket, None if order_number is None else parse_order_number(order_number))


def set_ticket_status(
    session: Session,
    number: str,
    status: TicketStatus | str,
    *,
    assignee: str | None = None,
    now: datetime | None = None,
) -> TicketView:
    now = now or utcnow()
    try:
        status = TicketStatus(status)
    except ValueError:
        raise InvalidInput(f"unknown ticket status {status!r}") from None
    with session.begin_nested():
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None:
            raise NotFound(f"no ticket {number}")
        ticket.status, ticket.updated_at = status, now
        if assignee is not None:
            ticket.assignee = assignee
        if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.resolved_at is None:
            ticket.resolved_at = now
        if status in (TicketStatus.OPEN, TicketStatus.PENDING):
            ticket.resolved_at = None
        session.flush()
        order_number = (
            session.scalar(select(Order.number).where(Order.id == ticket.order_id)) if ticket.order_id else None
        )
        return _ticket_view(ticket, order_number)


def tickets_of(session: Session, customer_id: int, *, limit: int = 20) -> list[TicketView]:
    rows = session.execute(
        select(Ticket, Order.number)
        .outerjoin(Order, Ticket.order_id == Order.id)
        .where(Ticket.customer_id == customer_id)
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    ).all()
    return [_ticket_view(ticket, number) for ticket, number in rows]

"""Newsletters and support tickets: opened by the assistant (a complaint, a hand-off outside business hours or
that waited too long; one open ticket per customer and type, `file_ticket`) and worked in the staff console
(#16 item 7): listed, assigned, commented, their status changed and closed with a resolution note, every change
a line of the ticket's history.

Staff input is bounded and checked here; a refusal is a `TicketError` (an InvalidInput, NotAllowed or NotFound)
whose `message_key` (`tickets.error.<code>`) lets the console say it in the staff member's language."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, TypeVarTuple, Unpack

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from crm.db import changed_rows
from crm.errors import CRMError, InvalidInput, NotAllowed, NotFound
from crm.models import (
    Channel,
    Customer,
    Language,
    NewsletterSubscription,
    Order,
    StaffUser,
    SubscriptionStatus,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)
from crm.privacy import set_consent, utcnow
from crm.repository.common import as_channel, as_language, live_customer, new_number
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
    conversation_id: int | None = None,
    sender_id: str | None = None,
    language: Language | str | None = None,
    promise: str | None = None,
    now: datetime | None = None,
) -> TicketView:
    """`sender_id` (the Rasa conversation) and `language` are how the customer is told when the ticket
    closes; `promise` is the reply time they were told (in their words, as the assistant said it)."""
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
            conversation_id=conversation_id,
            sender_id=sender_id[:SENDER_MAX_CHARS] if sender_id else None,
            language=None if language is None else as_language(language),
            promise=promise.strip()[:PROMISE_MAX_CHARS] if promise and promise.strip() else None,
        )
        session.add(ticket)
        session.flush()
        return _ticket_view(ticket, None if order_number is None else parse_order_number(order_number))


ASSISTANT = "assistant"  # who a ticket's history names for what the assistant added to it
OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING)

# The reply time promised with a ticket of a type and priority, in a language, as the customer is told it: the
# shop's policy, which the assistant holds (data/knowledge/policies.yml); the CRM is handed it.
Promise = Callable[[TicketCategory, TicketPriority, Language], str]


@dataclass(frozen=True)
class FiledTicket:
    """What the assistant tells the customer after `file_ticket`: the ticket, its promise in their language,
    and whether it is new or the open one it was added to."""

    ticket: TicketView
    promise: str | None
    added: bool


def _open_chat_ticket(
    session: Session, customer_id: int, category: TicketCategory, order_id: int | None
) -> Ticket | None:
    """The customer's open (or pending) ticket of `category` that the assistant opened in a chat, newest
    first: about `order_id` if one is, else one about no order in particular (any, when no order is named)."""
    candidates = session.scalars(
        select(Ticket)
        .where(
            Ticket.customer_id == customer_id,
            Ticket.category == category,
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.conversation_id.is_not(None),
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .with_for_update()
    ).all()
    if order_id is None:
        return candidates[0] if candidates else None
    same = [t for t in candidates if t.order_id == order_id] or [t for t in candidates if t.order_id is None]
    return same[0] if same else None


def file_ticket(
    session: Session,
    customer_id: int,
    *,
    category: TicketCategory | str,
    subject: str,
    priority: TicketPriority | str = TicketPriority.NORMAL,
    channel: Channel | str = Channel.WEB,
    order_number: str | None = None,
    conversation_id: int | None = None,
    sender_id: str | None = None,
    language: Language | str | None = None,
    promise: Promise | None = None,
    now: datetime | None = None,
) -> FiledTicket:
    """One open ticket per customer and type: while the customer has an open (or pending) ticket of `category`
    that the assistant opened in a chat, `subject` is added to its history (the assistant's comment) instead
    of opening a second ticket with a second promise; it keeps its priority and its promise, told again in the
    customer's language, and follows the customer to this conversation (closing it tells them here). An order
    named goes to the open ticket about it, or about no order; an open ticket about another order does not
    take it: it is another complaint. Else a new ticket, its promise from `promise` (the type's, for its
    priority) in the customer's language."""
    now = now or utcnow()
    try:
        category, priority = TicketCategory(category), TicketPriority(priority)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    told_in = None if language is None else as_language(language)
    with session.begin_nested():
        session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
        order_id = None if order_number is None else load_order(session, order_number, customer_id).id
        open_one = _open_chat_ticket(session, customer_id, category, order_id)
        if open_one is None:
            words = None if promise is None else promise(category, priority, told_in or Language.ZH)
            view = open_ticket(
                session,
                customer_id,
                category=category,
                subject=subject,
                priority=priority,
                channel=channel,
                order_number=order_number,
                conversation_id=conversation_id,
                sender_id=sender_id,
                language=told_in,
                promise=words,
                now=now,
            )
            return FiledTicket(view, words, added=False)
        note = _CONTROL.sub("", subject).strip()[:COMMENT_MAX_CHARS]
        if not note:
            raise InvalidInput("a ticket needs a subject")
        language_now = told_in or open_one.language or Language.ZH
        words = open_one.promise if promise is None else promise(open_one.category, open_one.priority, language_now)
        if conversation_id is not None and sender_id:
            open_one.conversation_id = conversation_id
            open_one.sender_id = sender_id[:SENDER_MAX_CHARS]
            open_one.channel, open_one.language = as_channel(channel), language_now
        if promise is not None and words and words.strip():  # as the customer was last told it
            open_one.promise = words.strip()[:PROMISE_MAX_CHARS]
        open_one.updated_at = now
        _event(session, open_one, TicketEventKind.COMMENT, ASSISTANT, now, text=note)
        session.flush()
        order = session.scalar(select(Order.number).where(Order.id == open_one.order_id)) if open_one.order_id else None
        return FiledTicket(_ticket_view(open_one, order), words, added=True)


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


# --- tickets in the console ------------------------------------------------------------------------------

COMMENT_MAX_CHARS = 2000
RESOLUTION_MAX_CHARS = 2000
PROMISE_MAX_CHARS = 64
SENDER_MAX_CHARS = 512
TICKETS_PAGE_MAX = 100
# A ticket number as new_number writes it: "TK", the date (yymmdd) and six digits.
TICKET_NUMBER = re.compile(r"TK[0-9]{12}")
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
STATUS_FILTERS = {
    "open": (TicketStatus.OPEN,),
    "pending": (TicketStatus.PENDING,),
    "closed": DONE,
    "all": tuple(TicketStatus),
}
ASSIGNEE_FILTERS = ("all", "mine", "unassigned")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TicketError(CRMError):
    """A refusal about a ticket; `code` names it (`tickets.error.<code>` in the console)."""

    def __init__(self, code: str, english: str, **values: Any) -> None:
        super().__init__(english.format(**values))
        self.code = code
        self.message_key = f"tickets.error.{code}"
        self.message_values = values


class TicketInputError(TicketError, InvalidInput):
    pass


class TicketRefused(TicketError, NotAllowed):
    pass


class TicketNotFound(TicketError, NotFound):
    def __init__(self, number: str) -> None:
        super().__init__("not_found", "no ticket {number}", number=number[:20])


@dataclass(frozen=True)
class TicketRow:
    """A line of the console's ticket list (no customer words: the list is not masked)."""

    number: str
    customer_id: int
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    assignee: str | None
    channel: Channel
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TicketListing:
    rows: list[TicketRow]
    counts: dict[str, int]  # open, pending, closed: of the tickets the other filters select
    total: int  # how many the filters select (the page shows at most `limit`)


@dataclass(frozen=True)
class TicketEventView:
    kind: TicketEventKind
    actor: str
    status: TicketStatus | None
    assignee: str | None
    text: str | None
    created_at: datetime


@dataclass(frozen=True)
class TicketDetail:
    number: str
    customer_id: int
    order_number: str | None
    channel: Channel
    category: TicketCategory
    priority: TicketPriority
    status: TicketStatus
    subject: str | None
    assignee: str | None
    conversation_id: int | None
    language: Language | None
    promise: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    resolution: str | None
    customer_told_at: datetime | None
    reachable: bool  # the assistant knows the customer's conversation, to tell them when it closes
    events: list[TicketEventView]

    @property
    def done(self) -> bool:
        return self.status in DONE


@dataclass(frozen=True)
class ToTell:
    """What telling a customer that their ticket closed needs: their Rasa conversation and language."""

    number: str
    customer_id: int
    sender_id: str
    language: str


def ticket_number(value: str) -> str:
    """A ticket number from a URL or a search box (spaces and case forgiven); anything else is refused."""
    number = (value or "").strip().upper()[:40]
    if not TICKET_NUMBER.fullmatch(number):
        raise TicketInputError("bad_number", "not a ticket number: TK and 12 digits")
    return number


def _staff_text(value: str, limit: int, what: str) -> str:
    """Staff-written text: trimmed, no control characters but line breaks, not empty, at most `limit`."""
    text = _CONTROL.sub("", (value or "").replace("\r\n", "\n")).strip()
    if not text:
        raise TicketInputError(f"empty_{what}", "the {what} is empty", what=what)
    if len(text) > limit:
        raise TicketInputError(f"long_{what}", "the {what} has more than {n} characters", what=what, n=limit)
    return text


def _ticket(session: Session, number: str, *, lock: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.number == number)
    ticket = session.scalar(query.with_for_update() if lock else query)
    if ticket is None:
        raise TicketNotFound(number)
    return ticket


def _event(session: Session, ticket: Ticket, kind: TicketEventKind, actor: str, now: datetime, **values: Any) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, kind=kind, actor=actor[:64], created_at=now, **values))


def _may_work(ticket: Ticket, actor: str, supervisor: bool) -> None:
    if ticket.assignee not in (None, actor) and not supervisor:
        raise TicketRefused(
            "not_yours", "ticket {number} is {assignee}'s", number=ticket.number, assignee=ticket.assignee
        )


def _take_if_unassigned(session: Session, ticket: Ticket, actor: str, now: datetime) -> None:
    """Whoever works an unassigned ticket becomes its assignee: every ticket someone touched has an owner."""
    if ticket.assignee is None:
        ticket.assignee = actor[:64]
        _event(session, ticket, TicketEventKind.ASSIGN, actor, now, assignee=ticket.assignee)


Columns = TypeVarTuple("Columns")


class TicketFilters(TypedDict):
    assignee: str
    me: str
    category: str | None
    customer_id: int | None
    number: str | None


def _filtered(
    query: Select[Unpack[Columns]],
    *,
    assignee: str,
    me: str,
    category: str | None,
    customer_id: int | None,
    number: str | None,
) -> Select[Unpack[Columns]]:
    if assignee == "mine":
        query = query.where(Ticket.assignee == me)
    elif assignee == "unassigned":
        query = query.where(Ticket.assignee.is_(None))
    if category:
        query = query.where(Ticket.category == TicketCategory(category))
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if number:
        query = query.where(Ticket.number.like(f"{number}%"))
    return query


def list_tickets(
    session: Session,
    *,
    me: str,
    status: str = "open",
    assignee: str = "all",
    category: str | None = None,
    number: str | None = None,
    customer_id: int | None = None,
    limit: int = 50,
) -> TicketListing:
    """Newest first. `status` open / pending / closed (resolved or closed) / all; `assignee` all / mine (`me`) /
    unassigned; `number` a whole number or its start (TK and digits only); `counts` per status under the
    other filters, for the tabs."""
    if status not in STATUS_FILTERS:
        raise TicketInputError("bad_filter", "unknown status filter {value}", value=status[:20])
    if assignee not in ASSIGNEE_FILTERS:
        raise TicketInputError("bad_filter", "unknown assignee filter {value}", value=assignee[:20])
    if category and category not in {c.value for c in TicketCategory}:
        raise TicketInputError("bad_filter", "unknown ticket type {value}", value=category[:20])
    if number:
        number = number.strip().upper()
        if not re.fullmatch(r"TK[0-9]{0,12}|[0-9]{1,12}", number):
            raise TicketInputError("bad_number", "not a ticket number: TK and 12 digits")
        number = number if number.startswith("TK") else "TK" + number
    where = TicketFilters(assignee=assignee, me=me, category=category, customer_id=customer_id, number=number)
    counted: dict[TicketStatus, int] = {
        ticket_status: n
        for ticket_status, n in session.execute(
            _filtered(select(Ticket.status, func.count()).group_by(Ticket.status), **where)
        )
    }
    counts = {name: sum(counted.get(s, 0) for s in statuses) for name, statuses in STATUS_FILTERS.items()}
    rows = session.execute(
        _filtered(
            select(
                Ticket.number,
                Ticket.customer_id,
                Ticket.category,
                Ticket.priority,
                Ticket.status,
                Ticket.assignee,
                Ticket.channel,
                Ticket.created_at,
                Ticket.updated_at,
            ).where(Ticket.status.in_(STATUS_FILTERS[status])),
            **where,
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(max(1, min(limit, TICKETS_PAGE_MAX)))
    ).all()
    return TicketListing([TicketRow(*row) for row in rows], counts, counts[status])


def ticket_exists(session: Session, number: str) -> bool:
    return session.scalar(select(Ticket.id).where(Ticket.number == number)) is not None


def ticket_detail(session: Session, number: str) -> TicketDetail:
    ticket = _ticket(session, number)
    order_number = session.scalar(select(Order.number).where(Order.id == ticket.order_id)) if ticket.order_id else None
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.created_at, TicketEvent.id)
    )
    return TicketDetail(
        ticket.number,
        ticket.customer_id,
        order_number,
        ticket.channel,
        ticket.category,
        ticket.priority,
        ticket.status,
        ticket.subject,
        ticket.assignee,
        ticket.conversation_id,
        ticket.language,
        ticket.promise,
        ticket.created_at,
        ticket.updated_at,
        ticket.closed_at,
        ticket.resolution,
        ticket.customer_told_at,
        ticket.sender_id is not None,
        [TicketEventView(e.kind, e.actor, e.status, e.assignee, e.text, e.created_at) for e in events],
    )


def assign_ticket(
    session: Session, number: str, assignee: str, *, actor: str, supervisor: bool, now: datetime | None = None
) -> bool:
    """To oneself (an unassigned ticket, or one's own), or by a supervisor to any active staff member.
    Returns whether anything changed (assigning to the assignee again records nothing)."""
    now = now or utcnow()
    assignee = (assignee or "").strip()
    if assignee != actor and not supervisor:
        raise TicketRefused("assign_others", "only a supervisor assigns a ticket to someone else")
    staff = session.scalar(select(StaffUser).where(StaffUser.username == assignee[:64]))
    if staff is None or staff.disabled:
        raise TicketInputError("no_such_agent", "no active staff member {name}", name=assignee[:64])
    with session.begin_nested():
        ticket = _ticket(session, number, lock=True)
        _may_work(ticket, actor, supervisor)
        if ticket.assignee == staff.username:
            return False
        ticket.assignee, ticket.updated_at = staff.username, now
        _event(session, ticket, TicketEventKind.ASSIGN, actor, now, assignee=staff.username)
        session.flush()
        return True


def comment_ticket(session: Session, number: str, text: str, *, actor: str, now: datetime | None = None) -> None:
    """An internal comment (staff only); any agent may add one, whoever the ticket is assigned to."""
    now = now or utcnow()
    text = _staff_text(text, COMMENT_MAX_CHARS, "comment")
    with session.begin_nested():
        ticket = _ticket(session, number, lock=True)
        ticket.updated_at = now
        _event(session, ticket, TicketEventKind.COMMENT, actor, now, text=text)
        session.flush()


def change_ticket_status(
    session: Session,
    number: str,
    status: TicketStatus | str,
    *,
    actor: str,
    supervisor: bool,
    now: datetime | None = None,
) -> bool:
    """Open or pending (closing is `close_ticket`, with a resolution note); a closed ticket opened again will
    tell the customer again when it closes. Returns whether the status changed."""
    now = now or utcnow()
    try:
        status = TicketStatus(status)
    except ValueError:
        raise TicketInputError("bad_status", "a ticket's status is changed to open or pending") from None
    if status not in (TicketStatus.OPEN, TicketStatus.PENDING):
        raise TicketInputError("bad_status", "a ticket's status is changed to open or pending")
    with session.begin_nested():
        ticket = _ticket(session, number, lock=True)
        _may_work(ticket, actor, supervisor)
        if ticket.status == status:
            return False
        _take_if_unassigned(session, ticket, actor, now)
        ticket.status, ticket.updated_at = status, now
        ticket.resolved_at = ticket.closed_at = ticket.customer_told_at = None
        _event(session, ticket, TicketEventKind.STATUS, actor, now, status=status)
        session.flush()
        return True


def close_ticket(
    session: Session, number: str, resolution: str, *, actor: str, supervisor: bool, now: datetime | None = None
) -> bool:
    """Closed with a resolution note (what was done, for the history; the customer is told the ticket closed,
    not the note). Closing a closed ticket again changes nothing: returns whether this call closed it."""
    now = now or utcnow()
    with session.begin_nested():
        ticket = _ticket(session, number, lock=True)
        if ticket.status == TicketStatus.CLOSED:
            return False
        resolution = _staff_text(resolution, RESOLUTION_MAX_CHARS, "resolution")
        _may_work(ticket, actor, supervisor)
        _take_if_unassigned(session, ticket, actor, now)
        ticket.status, ticket.updated_at, ticket.closed_at, ticket.resolution = (
            TicketStatus.CLOSED,
            now,
            now,
            resolution,
        )
        ticket.resolved_at = ticket.resolved_at or now
        _event(session, ticket, TicketEventKind.CLOSE, actor, now, status=TicketStatus.CLOSED, text=resolution)
        session.flush()
        return True


def claim_telling(session: Session, number: str, *, now: datetime | None = None) -> ToTell | None:
    """The closed ticket whose customer has not been told yet, marked told in the same statement, so two
    staff members closing at once tell the customer once; None: nothing to tell (told already, not
    closed, or no conversation to tell them in). A telling that fails is given back (`release_telling`)."""
    now = now or utcnow()
    claimed = changed_rows(
        session,
        update(Ticket)
        .where(
            Ticket.number == number,
            Ticket.status == TicketStatus.CLOSED,
            Ticket.customer_told_at.is_(None),
            Ticket.sender_id.is_not(None),
        )
        .values(customer_told_at=now)
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:
        return None
    ticket = _ticket(session, number)
    session.refresh(ticket)
    language = ticket.language
    if language is None:
        language = session.scalar(select(Customer.preferred_language).where(Customer.id == ticket.customer_id))
    return ToTell(ticket.number, ticket.customer_id, ticket.sender_id or "", (language or Language.ZH).value)


def release_telling(session: Session, number: str) -> None:
    session.execute(
        update(Ticket)
        .where(Ticket.number == number, Ticket.status == TicketStatus.CLOSED)
        .values(customer_told_at=None)
        .execution_options(synchronize_session=False)
    )


def record_told(session: Session, number: str, *, actor: str, now: datetime | None = None) -> None:
    """The customer was told on their channel: a line of the history."""
    now = now or utcnow()
    ticket = _ticket(session, number)
    _event(session, ticket, TicketEventKind.TOLD, actor, now)
    session.flush()

"""Tickets in the console, CRM side (crm.repository.support): listing with filters and counts, a ticket's
history, who may assign / change / close, bounded staff text, closing once, telling the customer once, the
queue's expired hand-offs keeping the conversation to tell, and erasure. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.hours import QueueSettings
from crm.models import (
    HandoffRequest,
    HandoffStatus,
    Language,
    StaffRole,
    StaffUser,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)
from crm.privacy import erase_customer
from crm.repository import queue
from crm.repository.support import (
    ASSISTANT,
    COMMENT_MAX_CHARS,
    TicketInputError,
    TicketRefused,
    assign_ticket,
    change_ticket_status,
    claim_telling,
    close_ticket,
    comment_ticket,
    file_ticket,
    list_tickets,
    record_told,
    release_telling,
    ticket_detail,
    ticket_number,
)
from tests.crm.conftest import AS_OF

ALICE, LI = 1, 2
NOW = AS_OF + timedelta(days=2)


def staff(session: Session, name: str, role: StaffRole = StaffRole.AGENT, *, disabled: bool = False) -> str:
    session.add(
        StaffUser(
            username=name,
            role=role,
            password_hash="x",
            created_at=AS_OF,
            password_changed_at=AS_OF,
            disabled=disabled,
        )
    )
    session.flush()
    return name


@pytest.fixture
def desk(session: Session) -> Session:
    """The demo's own tickets closed, and three staff members: two agents and a supervisor."""
    session.execute(update(Ticket).values(status=TicketStatus.CLOSED, assignee=None))
    for name in ("t.lin", "t.wang"):
        staff(session, name)
    staff(session, "t.boss", StaffRole.SUPERVISOR)
    staff(session, "t.gone", disabled=True)
    return session


def complaint(session: Session, customer: int = LI, *, sender: str | None = "rest-li-1", **extra: Any) -> str:
    conversation = repo.open_conversation(session, "rest", sender or "nobody", customer_id=customer, language="zh")
    return repo.open_ticket(
        session,
        customer,
        category=extra.pop("category", "complaint"),
        subject=extra.pop("subject", "包裹破损了,电话 13800138000"),
        priority=extra.pop("priority", "high"),
        channel="rest",
        conversation_id=conversation,
        sender_id=sender,
        language=extra.pop("language", "zh"),
        promise=extra.pop("promise", "4小时"),
        now=extra.pop("now", NOW),
    ).number


def test_a_ticket_keeps_its_conversation_language_and_promise(desk: Session) -> None:
    number = complaint(desk)
    shown = ticket_detail(desk, number)
    assert shown.promise == "4小时" and shown.language == "zh" and shown.reachable
    assert shown.conversation_id is not None and shown.subject.startswith("包裹破损")
    assert shown.status == TicketStatus.OPEN and shown.assignee is None and shown.events == []
    stored = desk.scalar(select(Ticket).where(Ticket.number == number))
    assert stored.sender_id == "rest-li-1"


def test_the_list_filters_by_status_assignee_type_and_number_with_counts(desk: Session) -> None:
    first, second = complaint(desk), complaint(desk, ALICE, category="delivery", now=NOW + timedelta(minutes=1))
    third = complaint(desk, now=NOW + timedelta(minutes=2))
    assign_ticket(desk, second, "t.lin", actor="t.lin", supervisor=False)
    change_ticket_status(desk, third, "pending", actor="t.wang", supervisor=False)  # makes it t.wang's

    listing = list_tickets(desk, me="t.lin")
    assert [r.number for r in listing.rows] == [second, first]  # newest first, open only
    assert listing.counts["open"] == 2 and listing.counts["pending"] == 1 and listing.total == 2
    assert [r.number for r in list_tickets(desk, me="t.lin", assignee="mine").rows] == [second]
    assert [r.number for r in list_tickets(desk, me="t.lin", assignee="unassigned").rows] == [first]
    assert [r.number for r in list_tickets(desk, me="t.wang", status="pending", assignee="mine").rows] == [third]
    assert [r.number for r in list_tickets(desk, me="x", category="delivery").rows] == [second]
    assert [r.number for r in list_tickets(desk, me="x", status="all", number=third.lower()).rows] == [third]
    assert [r.number for r in list_tickets(desk, me="x", status="pending", number=third[2:]).rows] == [
        third
    ]  # digits only
    assert [r.number for r in list_tickets(desk, me="x", customer_id=ALICE).rows] == [second]
    closed = list_tickets(desk, me="x", status="closed")
    assert closed.counts["closed"] == closed.total and all(r.status == TicketStatus.CLOSED for r in closed.rows)
    assert len(closed.rows) <= 50
    bad_filters: list[dict[str, Any]] = [
        {"status": "done"},
        {"assignee": "his"},
        {"category": "weather"},
        {"number": "TK1%"},
    ]
    for bad in bad_filters:
        with pytest.raises(InvalidInput):
            list_tickets(desk, me="x", **bad)


def test_who_may_assign_change_and_close(desk: Session) -> None:
    number = complaint(desk)
    with pytest.raises(TicketRefused) as refused:
        assign_ticket(desk, number, "t.wang", actor="t.lin", supervisor=False)  # only supervisors assign others
    assert refused.value.message_key == "tickets.error.assign_others"
    assert assign_ticket(desk, number, "t.lin", actor="t.lin", supervisor=False)
    assert not assign_ticket(desk, number, "t.lin", actor="t.lin", supervisor=False)  # nothing changed
    with pytest.raises(NotAllowed):
        assign_ticket(desk, number, "t.wang", actor="t.wang", supervisor=False)  # t.lin's now
    with pytest.raises(TicketRefused) as refused:
        change_ticket_status(desk, number, "pending", actor="t.wang", supervisor=False)
    assert refused.value.message_key == "tickets.error.not_yours"
    with pytest.raises(NotAllowed):
        close_ticket(desk, number, "done", actor="t.wang", supervisor=False)
    for nobody in ("t.gone", "t.nobody", ""):
        with pytest.raises(InvalidInput):
            assign_ticket(desk, number, nobody, actor="t.boss", supervisor=True)
    assert assign_ticket(desk, number, "t.wang", actor="t.boss", supervisor=True)
    assert change_ticket_status(desk, number, "pending", actor="t.wang", supervisor=False)
    comment_ticket(desk, number, "t.lin may comment on t.wang's ticket", actor="t.lin")
    kinds = [(e.kind, e.actor, e.assignee, e.status) for e in ticket_detail(desk, number).events]
    assert kinds == [
        (TicketEventKind.ASSIGN, "t.lin", "t.lin", None),
        (TicketEventKind.ASSIGN, "t.boss", "t.wang", None),
        (TicketEventKind.STATUS, "t.wang", None, TicketStatus.PENDING),
        (TicketEventKind.COMMENT, "t.lin", None, None),
    ]


def test_staff_text_is_bounded_and_statuses_are_open_or_pending(desk: Session) -> None:
    number = complaint(desk)
    for text, code in (("  \n ", "empty_comment"), ("x" * (COMMENT_MAX_CHARS + 1), "long_comment")):
        with pytest.raises(TicketInputError) as refused:
            comment_ticket(desk, number, text, actor="t.lin")
        assert refused.value.message_key == f"tickets.error.{code}"
    comment_ticket(desk, number, " line one\r\nline two\x00 ", actor="t.lin")
    assert ticket_detail(desk, number).events[-1].text == "line one\nline two"
    for status in ("closed", "resolved", "gone"):
        with pytest.raises(InvalidInput):
            change_ticket_status(desk, number, status, actor="t.lin", supervisor=False)
    with pytest.raises(InvalidInput):
        close_ticket(desk, number, "   ", actor="t.lin", supervisor=False)
    with pytest.raises(NotFound):
        comment_ticket(desk, "TK000000000000", "hello", actor="t.lin")
    assert ticket_number(" tk251117000123 ") == "TK251117000123"
    for bad in ("TK1", "TK25111700012x", "../TK251117000123", "TK2511170001234"):
        with pytest.raises(InvalidInput):
            ticket_number(bad)


def test_closing_is_once_and_the_customer_is_told_once(desk: Session) -> None:
    number = complaint(desk)
    assert close_ticket(desk, number, "Refund of ¥30 for the damage.", actor="t.lin", supervisor=False, now=NOW)
    assert not close_ticket(desk, number, "again", actor="t.lin", supervisor=False)  # idempotent
    assert not close_ticket(desk, number, "", actor="t.wang", supervisor=False)  # no refusal, nothing changed
    shown = ticket_detail(desk, number)
    assert shown.status == TicketStatus.CLOSED and shown.closed_at == NOW and shown.assignee == "t.lin"
    assert shown.resolution == "Refund of ¥30 for the damage." and shown.customer_told_at is None
    assert [e.kind for e in shown.events] == [TicketEventKind.ASSIGN, TicketEventKind.CLOSE]

    told = claim_telling(desk, number, now=NOW)
    assert told is not None and (told.sender_id, told.language, told.customer_id) == ("rest-li-1", "zh", LI)
    assert claim_telling(desk, number) is None  # a second closer tells nobody
    release_telling(desk, number)  # Rasa did not take it
    again = claim_telling(desk, number, now=NOW)
    assert again is not None
    record_told(desk, number, actor="t.lin", now=NOW)
    assert ticket_detail(desk, number).customer_told_at == NOW
    assert ticket_detail(desk, number).events[-1].kind == TicketEventKind.TOLD

    assert change_ticket_status(desk, number, "open", actor="t.lin", supervisor=False)  # reopened
    reopened = ticket_detail(desk, number)
    assert reopened.closed_at is None and reopened.customer_told_at is None
    assert claim_telling(desk, number) is None  # not closed
    assert close_ticket(desk, number, "Replaced instead.", actor="t.lin", supervisor=False)
    assert claim_telling(desk, number) is not None  # closed again: told again


def test_a_ticket_without_a_conversation_is_closed_but_nobody_is_told(desk: Session) -> None:
    number = complaint(desk, sender=None, language=None)
    assert not ticket_detail(desk, number).reachable
    assert close_ticket(desk, number, "Called them.", actor="t.boss", supervisor=True)
    assert claim_telling(desk, number) is None


def test_the_customers_language_is_the_fallback(desk: Session) -> None:
    number = complaint(desk, ALICE, sender="rest-alice-1", language=None)
    close_ticket(desk, number, "ok", actor="t.lin", supervisor=False)
    told = claim_telling(desk, number)
    assert told is not None and told.language == "en"  # the demo's Alice reads English


def promised(category: TicketCategory, priority: TicketPriority, language: Language) -> str:
    """A stand-in for the shop's policy: words that name what they were asked for."""
    return f"{category.value}/{priority.value}/{language.value}"


def no_waiting(session: Session) -> None:
    """The demo's waiting hand-offs closed, so that only the test's own expire."""
    session.execute(
        update(HandoffRequest).where(HandoffRequest.status != HandoffStatus.CLOSED).values(status=HandoffStatus.CLOSED)
    )


def test_an_expired_hand_off_ticket_keeps_the_conversation_to_tell(desk: Session) -> None:
    no_waiting(desk)
    conversation = repo.open_conversation(desk, "wechat", "wx-li-9", customer_id=LI, language="zh", now=NOW)
    repo.request_handoff(desk, conversation, reason="customer asked", now=NOW, sender_id="wx-li-9")
    settings = QueueSettings(expiry_minutes=30)
    expired = queue.expire_waiting(desk, settings, promise=promised, now=NOW + timedelta(hours=1))
    mine = [e for e in expired if e.sender_id == "wx-li-9"]
    assert len(mine) == 1 and mine[0].ticket_number and not mine[0].added
    stored = desk.scalar(select(Ticket).where(Ticket.number == mine[0].ticket_number))
    assert (stored.sender_id, stored.conversation_id, stored.language) == ("wx-li-9", conversation, "zh")
    assert stored.promise == mine[0].promise == "other/normal/zh"  # the type's promise, in the customer's words


# --- one open ticket per customer and type (file_ticket) --------------------------------------------


def filed(session: Session, customer: int = LI, **extra: Any) -> Any:
    sender = extra.pop("sender", "rest-li-1")
    conversation = repo.open_conversation(session, "rest", sender, customer_id=customer, language="zh")
    return file_ticket(
        session,
        customer,
        category=extra.pop("category", "complaint"),
        subject=extra.pop("subject", "包裹破损了"),
        priority=extra.pop("priority", "high"),
        channel=extra.pop("channel", "rest"),
        conversation_id=extra.pop("conversation_id", conversation),
        sender_id=sender,
        language=extra.pop("language", "zh"),
        promise=promised,
        now=extra.pop("now", NOW),
        **extra,
    )


def test_more_about_an_open_complaint_is_added_to_its_ticket_with_its_promise(desk: Session) -> None:
    first = filed(desk)
    assert not first.added and first.promise == "complaint/high/zh"
    # a later message, calmer, on another channel and in English: the same ticket, its priority and promise
    wechat = repo.open_conversation(desk, "wechat", "wx-li-2", customer_id=LI, language="en")
    again = filed(
        desk,
        subject="and nobody answered my email",
        priority="normal",
        sender="wx-li-2",
        channel="wechat",
        conversation_id=wechat,
        language="en",
        now=NOW + timedelta(days=1),
    )
    assert again.added and again.ticket.number == first.ticket.number
    assert again.promise == "complaint/high/en" and again.ticket.priority == TicketPriority.HIGH
    shown = ticket_detail(desk, first.ticket.number)
    assert shown.subject == "包裹破损了" and shown.promise == "complaint/high/en" and shown.language == "en"
    assert shown.conversation_id == wechat and shown.channel == "wechat"  # closing tells them where they are now
    assert desk.scalar(select(Ticket.sender_id).where(Ticket.number == first.ticket.number)) == "wx-li-2"
    assert [(e.kind, e.actor, e.text) for e in shown.events] == [
        (TicketEventKind.COMMENT, ASSISTANT, "and nobody answered my email")
    ]
    assert desk.scalar(select(func.count(Ticket.id)).where(Ticket.customer_id == LI, Ticket.status == "open")) == 1


def test_another_type_another_customer_a_closed_ticket_or_another_order_open_a_new_ticket(desk: Session) -> None:
    orders = [o.number for o in repo.last_orders(desk, LI, limit=2)]
    assert len(orders) == 2
    complaint_ticket = filed(desk, order_number=orders[0])
    request = filed(desk, category="other", priority="normal")
    assert not request.added and request.ticket.number != complaint_ticket.ticket.number
    assert request.promise == "other/normal/zh"
    assert not filed(desk, ALICE, sender="rest-alice-1", language="en").added  # one per customer
    another_order = filed(desk, order_number=orders[1])
    assert not another_order.added  # a complaint about another order is another complaint
    same_order = filed(desk, order_number=orders[0])
    assert same_order.added and same_order.ticket.number == complaint_ticket.ticket.number
    change_ticket_status(desk, request.ticket.number, "pending", actor="t.lin", supervisor=False)
    assert filed(desk, category="other").ticket.number == request.ticket.number  # pending is still open
    close_ticket(desk, request.ticket.number, "Answered.", actor="t.lin", supervisor=False)
    assert not filed(desk, category="other").added  # closed: the next one is a new ticket


def test_a_ticket_not_opened_in_a_chat_is_not_added_to(desk: Session) -> None:
    by_hand = complaint(desk, sender=None)
    desk.execute(update(Ticket).where(Ticket.number == by_hand).values(conversation_id=None))
    assert not filed(desk).added


def test_an_added_note_is_bounded_and_not_empty(desk: Session) -> None:
    number = filed(desk).ticket.number
    with pytest.raises(InvalidInput):
        filed(desk, subject=" \x00\x07 ")
    filed(desk, subject="x" * 5000)
    events = ticket_detail(desk, number).events
    assert len(events) == 1 and len(events[0].text or "") == COMMENT_MAX_CHARS


def test_a_complaints_hand_off_that_expires_goes_to_the_complaints_ticket(desk: Session) -> None:
    no_waiting(desk)
    complaint_ticket = filed(desk, sender="rest-li-7")
    conversation = repo.open_conversation(desk, "rest", "rest-li-7", customer_id=LI, language="zh")
    handoff = repo.request_handoff(desk, conversation, reason="complaint", now=NOW, sender_id="rest-li-7")
    tickets = desk.scalar(select(func.count(Ticket.id)))
    expired = queue.expire_waiting(
        desk, QueueSettings(expiry_minutes=30), promise=promised, now=NOW + timedelta(hours=1)
    )
    mine = [e for e in expired if e.handoff_id == handoff]
    assert len(mine) == 1 and mine[0].added and mine[0].ticket_number == complaint_ticket.ticket.number
    assert mine[0].promise == "complaint/high/zh"  # the complaint's promise, not a second one
    assert desk.scalar(select(func.count(Ticket.id))) == tickets
    assert desk.get(HandoffRequest, handoff).ticket_id == desk.scalar(
        select(Ticket.id).where(Ticket.number == complaint_ticket.ticket.number)
    )
    events = ticket_detail(desk, complaint_ticket.ticket.number).events
    assert [(e.actor, e.text) for e in events] == [
        (ASSISTANT, f"Hand-off request #{handoff} (complaint) waited 60 minutes without an agent")
    ]


def test_erasure_removes_comments_and_notes_but_keeps_who_did_what(desk: Session) -> None:
    number = complaint(desk)
    comment_ticket(desk, number, "Li called from 13800138000", actor="t.lin")
    close_ticket(desk, number, "Refunded to Li Wei", actor="t.lin", supervisor=False)
    erase_customer(desk, LI, actor="dpo")
    stored = desk.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert stored.subject is None and stored.sender_id is None and stored.resolution is None
    events = desk.scalars(select(TicketEvent).where(TicketEvent.ticket_id == stored.id)).all()
    assert [e.kind for e in events] == [TicketEventKind.ASSIGN, TicketEventKind.CLOSE]
    assert all(e.text is None for e in events)

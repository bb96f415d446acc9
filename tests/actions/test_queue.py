"""Queue operations on the bot's side (actions.queue through action_handoff): the wait told from the real
queue and the agents online, routing to an online agent, and outside business hours a ticket instead of the
queue, in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from crm.hours import DAYS
from crm.models import HandoffRequest, HandoffStatus, StaffRole, StaffUser, Ticket, TicketEvent, TicketStatus
from crm.privacy import utcnow
from crm.repository import find_customer
from crm.repository.queue import QueueWait, set_presence
from actions.feedback import ActionOpenComplaint
from actions.handoff import ActionHandoff
from actions.knowledge import fact
from actions.queue import wait_words
from tests.actions.conftest import ALICE, make_tracker, texts, user_event


def alices_tickets_closed(crm) -> None:
    """Alice starts with no open ticket: the one a test opens is the one it finds."""
    with crm() as session:
        alice = find_customer(session, "rest", ALICE).id
        session.execute(update(Ticket).where(Ticket.customer_id == alice).values(status=TicketStatus.CLOSED))


def after_hours(monkeypatch) -> None:
    monkeypatch.setenv("KELIAN_BUSINESS_HOURS", closed_today())
    monkeypatch.setenv("KELIAN_SHOP_TZ", "UTC")


def closed_today() -> str:
    """Business hours on the day after tomorrow only (UTC), so the team is away whenever the test runs."""
    return f"{DAYS[(utcnow().weekday() + 2) % 7]} 10:00-11:00"


def test_wait_words_in_both_languages() -> None:
    nobody = wait_words(QueueWait(position=3, waiting=3, agents_online=0, minutes=None))
    assert nobody.en.startswith("2 customers ahead of you; no colleague is online")
    assert nobody.zh.startswith("前面还有 2 位客户,目前暂无在线客服") and "分钟" not in nobody.zh
    one = wait_words(QueueWait(position=1, waiting=1, agents_online=1, minutes=1))
    assert (
        one.en.startswith("You're next; expected wait about 1 minute.") and "下一位就是您,预计等待约 1 分钟" in one.zh
    )
    many = wait_words(QueueWait(position=2, waiting=4, agents_online=2, minutes=12))
    assert many.en.startswith("1 customer ahead of you; expected wait about 12 minutes.")
    assert many.zh.startswith("前面还有 1 位客户,预计等待约 12 分钟")


async def test_an_online_agent_gets_the_request_and_the_wait_is_estimated(dispatcher, crm, monkeypatch):
    monkeypatch.delenv("KELIAN_BUSINESS_HOURS", raising=False)
    with crm() as session:
        user = StaffUser(
            username="queue.mei",
            role=StaffRole.AGENT,
            password_hash="x",
            created_at=utcnow(),
            password_changed_at=utcnow(),
        )
        session.add(user)
        session.flush()
        set_presence(session, user.id, "online")
    try:
        tracker = make_tracker("人工", intent="contact_human_agent", sender="queue-online", slots={"language": "zh"})
        events = await ActionHandoff().run(dispatcher, tracker, {})
        assert {"event": "pause", "timestamp": None} in events
        said = texts(dispatcher)
        assert "预计等待约" in said and "暂无在线客服" not in said
        with crm() as session:
            handoff = session.scalars(select(HandoffRequest).order_by(HandoffRequest.id.desc())).first()
            assert handoff.status == HandoffStatus.WAITING and handoff.routed_to == "queue.mei"
    finally:
        with crm() as session:
            session.get(StaffUser, user.id).disabled = True  # out of the other tests' queue


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_outside_business_hours_a_known_customer_gets_a_ticket(dispatcher, crm, monkeypatch, language):
    after_hours(monkeypatch)
    alices_tickets_closed(crm)
    with crm() as session:
        handoffs, tickets = (session.scalar(select(func.count(t.id))) for t in (HandoffRequest, Ticket))
    tracker = make_tracker("a person please", intent="contact_human_agent", sender=ALICE, slots={"language": language})
    events = await ActionHandoff().run(dispatcher, tracker, {})
    assert {"event": "pause", "timestamp": None} not in events
    said = texts(dispatcher)
    with crm() as session:
        assert session.scalar(select(func.count(HandoffRequest.id))) == handoffs  # not queued
        assert session.scalar(select(func.count(Ticket.id))) == tickets + 1
        ticket = session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
    back = (utcnow() + timedelta(days=2)).date()
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[back.month - 1]
    when = f"{back.day} {month} at 10:00" if language == "en" else f"{back.month}月{back.day}日"
    assert when in said and ticket.number in said
    assert (ticket.sender_id, ticket.language) == (tracker.sender_id, language)  # to tell them when it closes
    assert ("Our team is not at work right now" in said) == (language == "en")
    assert ("现在是非工作时间" in said) == (language == "zh")
    promise = fact("request_ticket_reply", language)  # the type's promise, told and kept with the ticket
    assert promise in said and ticket.promise == promise


async def test_asking_again_after_hours_adds_to_the_same_ticket(dispatcher, crm, monkeypatch):
    after_hours(monkeypatch)
    alices_tickets_closed(crm)
    ask = make_tracker("a person please", intent="contact_human_agent", sender=ALICE, slots={"language": "en"})
    await ActionHandoff().run(dispatcher, ask, {})
    with crm() as session:
        tickets = session.scalar(select(func.count(Ticket.id)))
        number = session.scalars(select(Ticket.number).order_by(Ticket.id.desc())).first()
    dispatcher.messages.clear()
    again = make_tracker("人工客服", intent="contact_human_agent", sender=ALICE, slots={"language": "zh"})
    await ActionHandoff().run(dispatcher, again, {})
    said = texts(dispatcher)
    assert number in said and "已将您的请求补充到工单" in said and fact("request_ticket_reply", "zh") in said
    with crm() as session:
        assert session.scalar(select(func.count(Ticket.id))) == tickets
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.language == "zh" and ticket.promise == fact("request_ticket_reply", "zh")
        notes = session.scalars(select(TicketEvent.text).where(TicketEvent.ticket_id == ticket.id)).all()
    assert notes == ["Asked for a person outside business hours (customer asked)"]


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_complaints_hand_off_after_hours_goes_to_the_complaints_ticket(dispatcher, crm, monkeypatch, language):
    after_hours(monkeypatch)
    alices_tickets_closed(crm)
    complaint = "the parcel is late, not happy" if language == "en" else "包裹迟迟不到,很不满意"
    await ActionOpenComplaint().run(
        dispatcher,
        make_tracker(complaint, intent="complaint", sender=ALICE, slots={"language": language}),
        {},
    )
    with crm() as session:
        tickets = session.scalar(select(func.count(Ticket.id)))
        opened = session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        number, promise = opened.number, opened.promise
    assert number in texts(dispatcher) and promise == fact("ticket_reply", language)
    dispatcher.messages.clear()
    yes = make_tracker(
        "yes",
        intent="contact_human_agent",
        sender=ALICE,
        slots={"language": language},
        history=[user_event(complaint, "complaint")],
    )
    await ActionHandoff().run(dispatcher, yes, {})
    said = texts(dispatcher)
    assert number in said and promise in said  # the complaint's ticket and its one promise
    with crm() as session:
        assert session.scalar(select(func.count(Ticket.id))) == tickets  # no second ticket


async def test_outside_business_hours_a_visitor_is_told_when_to_come_back(dispatcher, crm, monkeypatch):
    after_hours(monkeypatch)
    tracker = make_tracker("人工客服", intent="contact_human_agent", sender="queue-visitor", slots={"language": "zh"})
    events = await ActionHandoff().run(dispatcher, tracker, {})
    assert {"event": "pause", "timestamp": None} not in events
    assert "人工客服将于" in texts(dispatcher) and "登录后" in texts(dispatcher)

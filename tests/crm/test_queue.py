"""Queue operations (crm.repository.queue): presence and its timeout, round-robin fairness and caps,
a supervisor's assignment, the wait estimate from the real queue, and expiry into tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.hours import QueueSettings
from crm.models import (
    AgentPresence,
    Conversation,
    ConversationStatus,
    HandoffRequest,
    HandoffStatus,
    Language,
    PresenceStatus,
    StaffRole,
    StaffUser,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketPriority,
)
from crm.repository import queue
from tests.crm.conftest import AS_OF

ALICE, LI = 1, 2
SETTINGS = QueueSettings(expiry_minutes=30, presence_timeout=timedelta(minutes=3))
NOW = AS_OF + timedelta(days=1)


def staff(session: Session, name: str) -> int:
    user = StaffUser(
        username=name, role=StaffRole.AGENT, password_hash="x", created_at=AS_OF, password_changed_at=AS_OF
    )
    session.add(user)
    session.flush()
    return user.id


@pytest.fixture
def empty_queue(session: Session) -> Session:
    """The demo's own hand-offs closed and its staff (if any) disabled, so counts are this test's."""
    session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.status != HandoffStatus.CLOSED)
        .values(status=HandoffStatus.CLOSED, closed_at=AS_OF)
    )
    session.execute(update(HandoffRequest).values(closed_at=AS_OF - timedelta(days=60)))  # not recent
    session.execute(update(StaffUser).values(disabled=True))
    return session


def request(
    session: Session, sender: str, *, customer: int | None = ALICE, at: datetime = NOW, reason: str = "customer asked"
) -> int:
    conversation = repo.open_conversation(session, "web", sender, customer_id=customer, language="zh", now=at)
    return repo.request_handoff(session, conversation, reason=reason, now=at, sender_id=sender)


def online(session: Session, user_id: int, at: datetime = NOW) -> None:
    queue.set_presence(session, user_id, "online", now=at)


def test_presence_times_out_without_a_heartbeat(empty_queue: Session) -> None:
    mei = staff(empty_queue, "mei")
    status = {a.username: a.status for a in queue.agents(empty_queue, SETTINGS, now=NOW)}
    assert status["mei"] == PresenceStatus.OFFLINE  # never seen
    assert not queue.heartbeat(empty_queue, mei, now=NOW)  # never chose: the beat writes nothing
    assert empty_queue.get(AgentPresence, mei) is None
    online(empty_queue, mei)
    assert queue.agents(empty_queue, SETTINGS, now=NOW + timedelta(minutes=3))[0].status == PresenceStatus.ONLINE
    late = queue.agents(empty_queue, SETTINGS, now=NOW + timedelta(minutes=3, seconds=1))[0]
    assert late.status == PresenceStatus.OFFLINE and late.chosen == PresenceStatus.ONLINE
    assert queue.heartbeat(empty_queue, mei, now=NOW + timedelta(minutes=5))
    assert queue.agents(empty_queue, SETTINGS, now=NOW + timedelta(minutes=6))[0].status == PresenceStatus.ONLINE
    queue.set_presence(empty_queue, mei, "away", now=NOW + timedelta(minutes=6))
    assert queue.agents(empty_queue, SETTINGS, now=NOW + timedelta(minutes=7))[0].status == PresenceStatus.AWAY
    queue.set_presence(empty_queue, mei, "offline", now=NOW + timedelta(minutes=8))
    assert not queue.heartbeat(empty_queue, mei, now=NOW + timedelta(minutes=9))
    assert empty_queue.get(AgentPresence, mei).seen_at == NOW + timedelta(minutes=8)
    with pytest.raises(InvalidInput):
        queue.set_presence(empty_queue, mei, "asleep")
    with pytest.raises(NotFound):
        queue.heartbeat(empty_queue, 987_654)


def test_round_robin_is_fair_and_skips_away_and_offline(empty_queue: Session) -> None:
    s = empty_queue
    a, b, c = staff(s, "a"), staff(s, "b"), staff(s, "c")
    online(s, a)
    online(s, b)
    queue.set_presence(s, c, "away", now=NOW)
    routed = [queue.route(s, request(s, f"rr-{i}"), SETTINGS, now=NOW + timedelta(seconds=i)) for i in range(4)]
    assert routed == ["a", "b", "a", "b"]  # least recently assigned first; c is away
    online(s, c, at=NOW + timedelta(seconds=10))
    routed = [queue.route(s, request(s, f"rr2-{i}"), SETTINGS, now=NOW + timedelta(seconds=20 + i)) for i in range(3)]
    assert routed == ["c", "a", "b"]  # never assigned goes first, then the longest since their last one


def test_caps_and_automatic_assignment_off(empty_queue: Session) -> None:
    s = empty_queue
    a, b = staff(s, "a"), staff(s, "b")
    online(s, a)
    online(s, b)
    queue.set_max_open(s, a, 1)
    with pytest.raises(InvalidInput):
        queue.set_max_open(s, b, 0)
    routed = [queue.route(s, request(s, f"cap-{i}"), SETTINGS, now=NOW + timedelta(seconds=i)) for i in range(3)]
    assert routed == ["a", "b", "b"]  # a is full after one
    queue.set_max_open(s, b, 2)
    assert queue.route(s, request(s, "cap-full"), SETTINGS, now=NOW + timedelta(seconds=5)) is None  # all full
    off = QueueSettings(auto_assign=False, presence_timeout=timedelta(minutes=3))
    queue.set_max_open(s, b, None)
    assert queue.route(s, request(s, "manual-only"), off, now=NOW) is None


def test_routes_follow_presence_and_a_supervisor_assigns(empty_queue: Session) -> None:
    s = empty_queue
    a, _b = staff(s, "a"), staff(s, "b")
    first = request(s, "p-1")
    assert queue.route_waiting(s, SETTINGS, now=NOW) == []  # nobody online
    online(s, a)
    assert queue.route_waiting(s, SETTINGS, now=NOW) == [(first, "a")]
    # a's console goes silent: the request is routed again to someone online
    later = NOW + timedelta(minutes=10)
    online(s, staff(s, "d"), at=later)
    assert queue.route_waiting(s, SETTINGS, now=later) == [(first, "d")]
    queue.assign_to(s, first, "b", by="lead", now=later)  # a supervisor chooses b, whatever b's presence
    assert queue.routes_of(s, [first]) == {first: "b"}
    assert queue.route_waiting(s, SETTINGS, now=later) == []  # b is offline, but a supervisor chose b
    assert queue.routes_of(s, [first]) == {first: "b"}
    with pytest.raises(NotFound):
        queue.assign_to(s, first, "nobody", by="lead")
    repo.assign_handoff(s, first, agent="b", now=later)
    with pytest.raises(NotAllowed):
        queue.assign_to(s, first, "a", by="lead")


def test_wait_estimate_from_the_queue_and_agents_online(empty_queue: Session) -> None:
    s = empty_queue
    ids = [request(s, f"w-{i}", at=NOW + timedelta(seconds=i)) for i in range(3)]
    nobody = queue.queue_wait(s, ids[2], SETTINGS, now=NOW)
    assert (nobody.position, nobody.agents_online, nobody.minutes) == (3, 0, None)  # no made-up figure
    # handle times of recent hand-offs: median 10 minutes
    for i, minutes in enumerate([4, 10, 10, 12, 30]):
        done = request(s, f"h-{i}", at=NOW - timedelta(hours=2))
        repo.assign_handoff(s, done, agent="x", now=NOW - timedelta(hours=1))
        repo.close_handoff(s, done, now=NOW - timedelta(hours=1) + timedelta(minutes=minutes))
    assert queue.median_handle_minutes(s, now=NOW) == 10
    assert queue.median_handle_minutes(s, now=NOW + timedelta(days=15)) == queue.DEFAULT_HANDLE_MINUTES
    a = staff(s, "a")
    online(s, a)
    one = queue.queue_wait(s, ids[2], SETTINGS, now=NOW)
    assert (one.position, one.agents_online, one.minutes) == (3, 1, 30)
    for name in ("b", "c", "d"):
        online(s, staff(s, name))
    several = queue.queue_wait(s, ids[2], SETTINGS, now=NOW)
    assert (several.agents_online, several.minutes) == (4, 8)  # ceil(3 * 10 / 4)
    assert queue.queue_wait(s, ids[0], SETTINGS, now=NOW).minutes == 3  # ceil(1 * 10 / 4)
    # an away agent does not count, nor one whose console went silent
    assert queue.queue_wait(s, ids[2], SETTINGS, now=NOW + timedelta(minutes=4)).minutes is None


def test_expired_requests_become_tickets(empty_queue: Session) -> None:
    s = empty_queue
    old_known = request(s, "old-known", at=NOW - timedelta(minutes=31), reason="complaint")
    old_visitor = request(s, "old-visitor", customer=None, at=NOW - timedelta(minutes=45))
    fresh = request(s, "fresh", at=NOW - timedelta(minutes=29))
    tickets_before = s.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) or 0
    expired = queue.expire_waiting(s, SETTINGS, now=NOW)
    assert [e.handoff_id for e in expired] == [old_visitor, old_known]  # oldest first
    visitor, known = expired
    assert visitor.ticket_number is None and visitor.sender_id == "old-visitor" and visitor.language == "zh"
    assert known.ticket_number is not None and known.channel == "web"
    row = s.get(HandoffRequest, old_known)
    assert row.status == HandoffStatus.CLOSED and row.expired_at == NOW
    ticket = s.get(Ticket, row.ticket_id)
    assert ticket.id > tickets_before and ticket.number == known.ticket_number and ticket.customer_id == ALICE
    assert ticket.category.value == "complaint"
    assert s.get(Conversation, row.conversation_id).status == ConversationStatus.ABANDONED
    assert s.get(HandoffRequest, fresh).status == HandoffStatus.WAITING
    assert queue.expire_waiting(s, SETTINGS, now=NOW) == []  # once
    never = QueueSettings(expiry_minutes=0)
    assert queue.expire_waiting(s, never, now=NOW + timedelta(days=3)) == []


def test_an_expired_request_carries_its_types_promise_and_a_second_one_goes_to_the_same_ticket(
    empty_queue: Session,
) -> None:
    s = empty_queue
    s.execute(update(Ticket).values(status="closed"))  # the demo's tickets out of the way

    def promise(category: TicketCategory, priority: TicketPriority, language: Language) -> str:
        return {"zh": "1 个工作日", "en": "1 working day"}[language.value] + f" ({category.value}, {priority.value})"

    first = request(s, "expiring-1", at=NOW - timedelta(minutes=40))
    (one,) = queue.expire_waiting(s, SETTINGS, promise=promise, now=NOW)
    assert one.handoff_id == first and not one.added and one.promise == "1 个工作日 (other, normal)"
    ticket = s.scalar(select(Ticket).where(Ticket.number == one.ticket_number))
    assert ticket is not None and ticket.promise == one.promise and ticket.language == "zh"

    second = request(s, "expiring-2", at=NOW)  # the same customer asks again later, in another conversation
    (two,) = queue.expire_waiting(s, SETTINGS, promise=promise, now=NOW + timedelta(minutes=31))
    assert two.handoff_id == second and two.added and two.ticket_number == one.ticket_number
    assert two.promise == one.promise
    assert s.get(HandoffRequest, second).ticket_id == ticket.id
    notes = s.scalars(select(TicketEvent.text).where(TicketEvent.ticket_id == ticket.id)).all()
    assert notes == [f"Hand-off request #{second} (customer asked) waited 31 minutes without an agent"]

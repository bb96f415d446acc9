"""Queue operations (#16 item 3): agents' presence, routing waiting hand-off requests to agents (round-robin
and by a supervisor), the wait a new customer is told (from the real queue and the agents online), and
requests that waited too long turning into tickets. Settings come from crm.hours.QueueSettings.

Routing is not taking: a request routed to an agent stays waiting, in that agent's "mine" list, until they
take it (and the customer is told they joined); a request routed to an agent who goes offline is routed again.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.hours import QueueSettings
from crm.models import (
    AgentPresence,
    Conversation,
    HandoffRequest,
    HandoffStatus,
    PresenceStatus,
    StaffUser,
    Ticket,
    TicketCategory,
)
from crm.privacy import utcnow
from crm.repository.conversations import close_handoff, queue_place
from crm.repository.support import Promise, file_ticket

MAX_OPEN_LIMIT = 50  # a cap on concurrent conversations is 1..50
DEFAULT_HANDLE_MINUTES = 8.0  # until there are MIN_HANDLED recent hand-offs to take the median of
RECENT_HANDLED = 50  # the newest this many hand-offs closed in the last RECENT_DAYS
RECENT_DAYS = 14
MIN_HANDLED = 5


@dataclass(frozen=True)
class AgentState:
    username: str
    status: PresenceStatus  # what counts: online/away turn offline when the console has been silent too long
    chosen: PresenceStatus  # what the agent set
    seen_at: datetime | None
    open_count: int  # taken conversations plus waiting requests routed to them
    max_open: int | None
    last_assigned_at: datetime | None

    @property
    def has_room(self) -> bool:
        return self.max_open is None or self.open_count < self.max_open


@dataclass(frozen=True)
class QueueWait:
    """What a waiting customer is told: `minutes` is None when no agent is online (no honest estimate)."""

    position: int
    waiting: int
    agents_online: int
    minutes: int | None


@dataclass(frozen=True)
class Expired:
    handoff_id: int
    customer_id: int | None
    sender_id: str | None
    channel: str
    language: str | None
    ticket_number: str | None
    promise: str | None = None  # the ticket's reply time, in the customer's language
    added: bool = False  # the request went to the customer's open ticket of its type, not a new one


def effective_status(presence: AgentPresence | None, now: datetime, timeout: timedelta) -> PresenceStatus:
    if presence is None or presence.status == PresenceStatus.OFFLINE:
        return PresenceStatus.OFFLINE
    if presence.seen_at is None or now - presence.seen_at > timeout:
        return PresenceStatus.OFFLINE
    return presence.status


def _presence(session: Session, user_id: int, now: datetime) -> AgentPresence:
    presence = session.get(AgentPresence, user_id)
    if presence is None:
        if session.get(StaffUser, user_id) is None:
            raise NotFound(f"no staff user {user_id}")
        presence = AgentPresence(staff_user_id=user_id, status=PresenceStatus.OFFLINE, changed_at=now)
        session.add(presence)
    return presence


def set_presence(session: Session, user_id: int, status: PresenceStatus | str, *, now: datetime | None = None) -> None:
    """What the agent chose in the console header; choosing counts as being seen."""
    now = now or utcnow()
    try:
        status = PresenceStatus(status)
    except ValueError:
        raise InvalidInput(f"unknown presence {status!r}") from None
    presence = _presence(session, user_id, now)
    presence.status, presence.changed_at, presence.seen_at = status, now, now
    session.flush()


def heartbeat(session: Session, user_id: int, *, now: datetime | None = None) -> bool:
    """The agent's console is open: keeps them online (or away) for another presence timeout. Someone who chose
    offline (or never chose) is left alone: nothing is written (True when something was)."""
    now = now or utcnow()
    presence = session.get(AgentPresence, user_id)
    if presence is None:
        if session.get(StaffUser, user_id) is None:
            raise NotFound(f"no staff user {user_id}")
        return False
    if presence.status == PresenceStatus.OFFLINE:
        return False
    presence.seen_at = now
    session.flush()
    return True


def set_max_open(session: Session, user_id: int, max_open: int | None, *, now: datetime | None = None) -> None:
    """How many conversations the agent takes at once (None: no cap)."""
    if max_open is not None and not 1 <= max_open <= MAX_OPEN_LIMIT:
        raise InvalidInput(f"a cap is 1 to {MAX_OPEN_LIMIT} conversations")
    _presence(session, user_id, now or utcnow()).max_open = max_open
    session.flush()


def _open_counts(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for agent, n in session.execute(
        select(HandoffRequest.agent, func.count())
        .where(HandoffRequest.status == HandoffStatus.ASSIGNED, HandoffRequest.agent.is_not(None))
        .group_by(HandoffRequest.agent)
    ):
        if agent is not None:  # the query asks for assigned ones only
            counts[agent] = counts.get(agent, 0) + n
    for agent, n in session.execute(
        select(HandoffRequest.routed_to, func.count())
        .where(HandoffRequest.status == HandoffStatus.WAITING, HandoffRequest.routed_to.is_not(None))
        .group_by(HandoffRequest.routed_to)
    ):
        if agent is not None:
            counts[agent] = counts.get(agent, 0) + n
    return counts


def agents(session: Session, settings: QueueSettings, *, now: datetime | None = None) -> list[AgentState]:
    """Every active staff account with its presence, online first, then by name."""
    now = now or utcnow()
    counts = _open_counts(session)
    rows = session.execute(
        select(StaffUser, AgentPresence)
        .outerjoin(AgentPresence, AgentPresence.staff_user_id == StaffUser.id)
        .where(StaffUser.disabled.is_(False))
        .order_by(StaffUser.username)
    ).all()
    states = [
        AgentState(
            username=user.username,
            status=effective_status(presence, now, settings.presence_timeout),
            chosen=PresenceStatus.OFFLINE if presence is None else presence.status,
            seen_at=None if presence is None else presence.seen_at,
            open_count=counts.get(user.username, 0),
            max_open=None if presence is None else presence.max_open,
            last_assigned_at=None if presence is None else presence.last_assigned_at,
        )
        for user, presence in rows
    ]
    order = {PresenceStatus.ONLINE: 0, PresenceStatus.AWAY: 1, PresenceStatus.OFFLINE: 2}
    return sorted(states, key=lambda a: (order[a.status], a.username))


def _least_recently_assigned(candidates: list[AgentState]) -> AgentState | None:
    if not candidates:
        return None
    return min(
        candidates, key=lambda a: (a.last_assigned_at is not None, a.last_assigned_at or datetime.min, a.username)
    )


def _route(session: Session, handoff: HandoffRequest, username: str, now: datetime, by: str | None = None) -> None:
    handoff.routed_to, handoff.routed_at, handoff.routed_by = username, now, by
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is not None:
        _presence(session, user.id, now).last_assigned_at = now


def route(session: Session, handoff_id: int, settings: QueueSettings, *, now: datetime | None = None) -> str | None:
    """Round-robin: route a waiting, unrouted request to the online agent with room who was least recently
    assigned one; None when automatic assignment is off or nobody online has room."""
    now = now or utcnow()
    handoff = session.get(HandoffRequest, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff request {handoff_id}")
    if not settings.auto_assign or handoff.status != HandoffStatus.WAITING or handoff.routed_to is not None:
        return None
    chosen = _least_recently_assigned(
        [a for a in agents(session, settings, now=now) if a.status == PresenceStatus.ONLINE and a.has_room]
    )
    if chosen is None:
        return None
    _route(session, handoff, chosen.username, now)
    session.flush()
    return chosen.username


def route_waiting(session: Session, settings: QueueSettings, *, now: datetime | None = None) -> list[tuple[int, str]]:
    """The periodic pass: requests round-robin routed to an agent who is no longer online are unrouted (a
    supervisor's assignment stays), then every unrouted waiting request (in serving order) is routed while
    someone online has room. Writes nothing when nothing changes."""
    now = now or utcnow()
    online = {a.username for a in agents(session, settings, now=now) if a.status == PresenceStatus.ONLINE}
    waiting = list(
        session.scalars(
            select(HandoffRequest)
            .where(HandoffRequest.status == HandoffStatus.WAITING)
            .order_by(HandoffRequest.priority.desc(), HandoffRequest.requested_at, HandoffRequest.id)
        )
    )
    for handoff in waiting:  # a supervisor's choice stands; round-robin's follows presence
        if handoff.routed_to is not None and handoff.routed_by is None and handoff.routed_to not in online:
            handoff.routed_to, handoff.routed_at = None, None
    session.flush()
    routed: list[tuple[int, str]] = []
    for handoff in waiting:
        if handoff.routed_to is None:
            agent = route(session, handoff.id, settings, now=now)
            if agent is None:
                break
            routed.append((handoff.id, agent))
    return routed


def assign_to(session: Session, handoff_id: int, username: str, *, by: str, now: datetime | None = None) -> None:
    """Supervisor `by` routes a waiting request to an agent (whatever their presence or cap: they decide; the
    periodic pass leaves it with them)."""
    now = now or utcnow()
    handoff = session.get(HandoffRequest, handoff_id, with_for_update=True)
    if handoff is None:
        raise NotFound(f"no handoff request {handoff_id}")
    if handoff.status != HandoffStatus.WAITING:
        raise NotAllowed(f"handoff request {handoff_id} is not waiting")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or user.disabled:
        raise NotFound(f"no active staff account {username!r}")
    _route(session, handoff, username, now, by)
    session.flush()


def routes_of(session: Session, handoff_ids: list[int]) -> dict[int, str | None]:
    if not handoff_ids:
        return {}
    rows = session.execute(
        select(HandoffRequest.id, HandoffRequest.routed_to).where(HandoffRequest.id.in_(handoff_ids))
    )
    return {handoff_id: routed_to for handoff_id, routed_to in rows}


def median_handle_minutes(session: Session, *, now: datetime | None = None) -> float:
    """Median minutes from an agent taking a request to handing the conversation back, over recent hand-offs."""
    now = now or utcnow()
    recent = session.execute(
        select(HandoffRequest.assigned_at, HandoffRequest.closed_at)
        .where(
            HandoffRequest.assigned_at.is_not(None),
            HandoffRequest.closed_at > now - timedelta(days=RECENT_DAYS),
            HandoffRequest.closed_at <= now,
        )
        .order_by(HandoffRequest.closed_at.desc(), HandoffRequest.id.desc())
        .limit(RECENT_HANDLED)
    ).all()
    handled = [
        max((closed - taken).total_seconds(), 0.0) / 60
        for taken, closed in recent
        if taken is not None and closed is not None
    ]
    return statistics.median(handled) if len(handled) >= MIN_HANDLED else DEFAULT_HANDLE_MINUTES


def queue_wait(session: Session, handoff_id: int, settings: QueueSettings, *, now: datetime | None = None) -> QueueWait:
    """The customer's place (1 = next), and the wait: place × median handle time / agents online, at least a
    minute; no minutes when nobody is online (the customer is told so rather than a made-up figure)."""
    now = now or utcnow()
    position, waiting = queue_place(session, handoff_id)  # the place only: the pick-up estimate is not used here
    online = sum(1 for a in agents(session, settings, now=now) if a.status == PresenceStatus.ONLINE)
    if position == 0:
        return QueueWait(0, waiting, online, 0)
    minutes = None
    if online:
        minutes = max(1, math.ceil(round(position * median_handle_minutes(session, now=now) / online, 6)))
    return QueueWait(position, waiting, online, minutes)


def expire_waiting(
    session: Session, settings: QueueSettings, *, promise: Promise | None = None, now: datetime | None = None
) -> list[Expired]:
    """Requests that waited longer than the expiry go to a ticket (for a known customer; an anonymous visitor
    has nobody to attach one to) and are closed, the conversation abandoned. The ticket is the customer's open
    one of the request's type (a complaint's hand-off: the complaint's ticket), which records the wait, or a
    new one with `promise` (the shop's, for the type) in the conversation's language (`file_ticket`). What to
    tell each customer is returned; the caller tells them."""
    now = now or utcnow()
    if settings.expiry_minutes <= 0:
        return []
    cutoff = now - timedelta(minutes=settings.expiry_minutes)
    expired: list[Expired] = []
    stale = session.scalars(
        select(HandoffRequest)
        .where(HandoffRequest.status == HandoffStatus.WAITING, HandoffRequest.requested_at < cutoff)
        .order_by(HandoffRequest.requested_at, HandoffRequest.id)
        .with_for_update()
    ).all()
    for handoff in stale:
        conversation = session.get(Conversation, handoff.conversation_id)
        channel = conversation.channel if conversation is not None else None
        language = None if conversation is None else conversation.language
        number, words, added = None, None, False
        if handoff.customer_id is not None:
            waited = int((now - handoff.requested_at).total_seconds() // 60)
            filed = file_ticket(
                session,
                handoff.customer_id,
                category=TicketCategory.COMPLAINT if handoff.reason == "complaint" else TicketCategory.OTHER,
                subject=f"Hand-off request #{handoff.id} ({handoff.reason}) waited {waited} minutes without an agent",
                channel=channel or "web",
                conversation_id=handoff.conversation_id,
                sender_id=handoff.sender_id,
                language=language,
                promise=promise,
                now=now,
            )
            number, words, added = filed.ticket.number, filed.promise, filed.added
            handoff.ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        handoff.expired_at = now
        close_handoff(session, handoff.id, resolved=False, now=now)
        expired.append(
            Expired(
                handoff.id,
                handoff.customer_id,
                handoff.sender_id,
                channel.value if channel is not None else "web",
                None if language is None else language.value,
                number,
                words,
                added,
            )
        )
    session.flush()
    return expired

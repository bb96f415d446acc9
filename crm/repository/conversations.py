"""Transcripts and hand-offs to human agents."""

from __future__ import annotations

import math
import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crm.crypto import current_keyring
from crm.errors import ConversationNotFound, InvalidInput, NotAllowed, NotFound
from crm.models import (
    Channel,
    Conversation,
    ConversationStatus,
    HandoffRequest,
    HandoffStatus,
    Language,
    Message,
    MessageSender,
)
from crm.privacy import audit, utcnow
from crm.repository.common import as_channel, as_language, live_customer
from crm.repository.views import HandoffView, HandoffWait, MessageView

HANDOFF_PRIORITIES = range(0, 101)
SUMMARY_MAX_CHARS = 2000
# The wait estimate uses the median pick-up time of this many recent assignments, and needs at least
# MIN_ASSIGNMENTS of them to trust it.
RECENT_ASSIGNMENTS = 50
MIN_ASSIGNMENTS = 5
_LIVE_CONVERSATION = (ConversationStatus.OPEN, ConversationStatus.HANDED_OFF)
_LIVE_HANDOFF = (HandoffStatus.WAITING, HandoffStatus.ASSIGNED)


def sender_key(channel: Channel | str, sender_id: str) -> str:
    return current_keyring().lookup_hash(f"sender:{as_channel(channel).value}", sender_id.strip())


def _live_conversation_id(session: Session, key: str) -> int | None:
    return session.scalar(
        select(Conversation.id)
        .where(Conversation.sender_key == key, Conversation.status.in_(_LIVE_CONVERSATION))
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def open_conversation(
    session: Session,
    channel: Channel | str,
    sender_id: str,
    *,
    customer_id: int | None = None,
    language: Language | str | None = None,
    now: datetime | None = None,
) -> int:
    """The sender's open conversation, or a new one."""
    now = now or utcnow()
    key = sender_key(channel, sender_id)
    existing = _live_conversation_id(session, key)
    if existing is not None:
        return existing
    with session.begin_nested():
        if customer_id is not None:
            live_customer(session, customer_id)
        conversation = Conversation(
            customer_id=customer_id,
            channel=as_channel(channel),
            sender_key=key,
            language=None if language is None else as_language(language),
            status=ConversationStatus.OPEN,
            started_at=now,
        )
        session.add(conversation)
        session.flush()
        return conversation.id


def record_message(
    session: Session,
    conversation_id: int,
    sender: MessageSender | str,
    text: str,
    *,
    intent: str | None = None,
    confidence: float | None = None,
    entities: list[dict[str, Any]] | None = None,
    at: datetime | None = None,
) -> int:
    try:
        sender = MessageSender(sender)
    except ValueError:
        raise InvalidInput(f"unknown message sender {sender!r}") from None
    if confidence is not None and not 0 <= confidence <= 1:
        raise InvalidInput("an NLU confidence is between 0 and 1")
    with session.begin_nested():
        if session.get(Conversation, conversation_id) is None:
            raise ConversationNotFound(conversation_id)
        message = Message(
            conversation_id=conversation_id,
            sender=sender,
            text=text,
            intent=intent,
            confidence=confidence,
            entities=entities,
            created_at=at or utcnow(),
        )
        session.add(message)
        session.flush()
        return message.id


def close_conversation(
    session: Session, conversation_id: int, status: ConversationStatus | str, *, now: datetime | None = None
) -> None:
    try:
        status = ConversationStatus(status)
    except ValueError:
        raise InvalidInput(f"unknown conversation status {status!r}") from None
    if status in (ConversationStatus.OPEN, ConversationStatus.HANDED_OFF):
        raise InvalidInput("closing a conversation needs a final status")
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    conversation.status, conversation.ended_at = status, now or utcnow()


def request_handoff(
    session: Session,
    conversation_id: int,
    *,
    reason: str,
    summary: str | None = None,
    priority: int = 0,
    sender_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Queue the conversation for a human agent. Idempotent: while the conversation already has a waiting or
    assigned request, that request's id is returned and nothing changes. `sender_id` is the Rasa sender id
    (stored encrypted): the staff console answers and hands the conversation back through it."""
    now = now or utcnow()
    if isinstance(priority, bool) or not isinstance(priority, int) or priority not in HANDOFF_PRIORITIES:
        raise InvalidInput(
            f"a hand-off priority is a whole number from {HANDOFF_PRIORITIES.start} (normal) "
            f"to {HANDOFF_PRIORITIES.stop - 1}, got {priority!r}"
        )
    summary = (summary or "").strip()[:SUMMARY_MAX_CHARS] or None
    with session.begin_nested():
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        waiting = session.scalar(
            select(HandoffRequest.id).where(
                HandoffRequest.conversation_id == conversation_id, HandoffRequest.status.in_(_LIVE_HANDOFF)
            )
        )
        if waiting is not None:
            return waiting
        conversation.status = ConversationStatus.HANDED_OFF
        handoff = HandoffRequest(
            conversation_id=conversation_id,
            customer_id=conversation.customer_id,
            reason=reason[:64],
            priority=priority,
            summary=summary,
            sender_id=(sender_id or "").strip() or None,
            status=HandoffStatus.WAITING,
            requested_at=now,
        )
        session.add(handoff)
        session.flush()
        return handoff.id


def assign_handoff(session: Session, handoff_id: int, *, agent: str, now: datetime | None = None) -> None:
    handoff = session.get(HandoffRequest, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff request {handoff_id}")
    if handoff.status == HandoffStatus.CLOSED:
        raise NotAllowed(f"handoff request {handoff_id} is closed")
    handoff.status, handoff.agent, handoff.assigned_at = HandoffStatus.ASSIGNED, agent, now or utcnow()


def close_handoff(session: Session, handoff_id: int, *, resolved: bool = True, now: datetime | None = None) -> None:
    now = now or utcnow()
    handoff = session.get(HandoffRequest, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff request {handoff_id}")
    handoff.status, handoff.closed_at = HandoffStatus.CLOSED, now
    close_conversation(
        session,
        handoff.conversation_id,
        ConversationStatus.RESOLVED_BY_AGENT if resolved else ConversationStatus.ABANDONED,
        now=now,
    )


def _handoff_view(handoff: HandoffRequest) -> HandoffView:
    return HandoffView(
        handoff.id,
        handoff.conversation_id,
        handoff.customer_id,
        handoff.reason,
        handoff.status,
        handoff.agent,
        handoff.requested_at,
        handoff.priority,
        handoff.summary,
    )


def handoff_inbox(
    session: Session, *, status: HandoffStatus | str = HandoffStatus.WAITING, limit: int = 50
) -> list[HandoffView]:
    """In the order agents serve them: highest priority first, then first come, first served."""
    try:
        status = HandoffStatus(status)
    except ValueError:
        raise InvalidInput(f"unknown handoff status {status!r}") from None
    rows = session.scalars(
        select(HandoffRequest)
        .where(HandoffRequest.status == status)
        .order_by(HandoffRequest.priority.desc(), HandoffRequest.requested_at, HandoffRequest.id)
        .limit(limit)
    )
    return [_handoff_view(h) for h in rows]


def queue_place(session: Session, handoff_id: int) -> tuple[int, int]:
    """(position, waiting): the request's place in the queue (1 is served next; 0 once an agent has it) and
    how many requests wait in all."""
    handoff = session.get(HandoffRequest, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff request {handoff_id}")
    is_waiting = HandoffRequest.status == HandoffStatus.WAITING
    waiting = session.scalar(select(func.count()).select_from(HandoffRequest).where(is_waiting)) or 0
    if handoff.status != HandoffStatus.WAITING:
        return 0, waiting
    served_before = or_(
        HandoffRequest.priority > handoff.priority,
        and_(
            HandoffRequest.priority == handoff.priority,
            or_(
                HandoffRequest.requested_at < handoff.requested_at,
                and_(HandoffRequest.requested_at == handoff.requested_at, HandoffRequest.id < handoff.id),
            ),
        ),
    )
    ahead = session.scalar(select(func.count()).select_from(HandoffRequest).where(is_waiting, served_before)) or 0
    return ahead + 1, waiting


def handoff_wait(session: Session, handoff_id: int, *, default_minutes: float = 3.0) -> HandoffWait:
    """How long a waiting customer should expect to wait: their place in the queue times the median time
    agents recently took to pick a request up (`default_minutes` until there is enough history)."""
    if not default_minutes > 0:
        raise InvalidInput("default_minutes must be a positive number of minutes")
    position, waiting = queue_place(session, handoff_id)
    if position == 0:
        return HandoffWait(position=0, waiting=waiting, estimated_minutes=0)
    recent = session.execute(
        select(HandoffRequest.requested_at, HandoffRequest.assigned_at)
        .where(HandoffRequest.assigned_at.is_not(None))
        .order_by(HandoffRequest.assigned_at.desc(), HandoffRequest.id.desc())
        .limit(RECENT_ASSIGNMENTS)
    ).all()
    pickups = [
        max((assigned - requested).total_seconds(), 0.0) / 60 for requested, assigned in recent if assigned is not None
    ]
    per_request = statistics.median(pickups) if len(pickups) >= MIN_ASSIGNMENTS else default_minutes
    return HandoffWait(
        position=position, waiting=waiting, estimated_minutes=max(1, math.ceil(round(position * per_request, 6)))
    )


def open_handoff_of(session: Session, channel: Channel | str, sender_id: str) -> HandoffView | None:
    """The waiting or assigned hand-off of the sender's open conversation, so the bot can tell a customer who
    writes again that they are still in the queue (or with an agent)."""
    conversation_id = _live_conversation_id(session, sender_key(channel, sender_id))
    if conversation_id is None:
        return None
    handoff = session.scalar(
        select(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation_id, HandoffRequest.status.in_(_LIVE_HANDOFF))
        .order_by(HandoffRequest.requested_at.desc(), HandoffRequest.id.desc())
        .limit(1)
    )
    return None if handoff is None else _handoff_view(handoff)


def transcript(session: Session, conversation_id: int, *, actor: str) -> list[MessageView]:
    """The messages of a conversation, for staff; the read is audited."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    messages = session.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.created_at, Message.id)
    ).all()
    audit(
        session,
        actor=actor,
        action="read_transcript",
        customer_id=conversation.customer_id,
        conversation_id=conversation_id,
        messages=len(messages),
    )
    return [MessageView(m.sender, m.text, m.intent, m.confidence, m.entities, m.created_at) for m in messages]

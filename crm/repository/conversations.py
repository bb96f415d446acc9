"""Transcripts and hand-offs to human agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
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
from crm.repository.views import HandoffView, MessageView


def sender_key(channel: Channel | str, sender_id: str) -> str:
    return current_keyring().lookup_hash(f"sender:{as_channel(channel).value}", sender_id.strip())


def open_conversation(session: Session, channel: Channel | str, sender_id: str, *, customer_id: int | None = None,
                      language: Language | str | None = None, now: datetime | None = None) -> int:
    """The sender's open conversation, or a new one."""
    now = now or utcnow()
    key = sender_key(channel, sender_id)
    existing = session.scalar(select(Conversation.id).where(Conversation.sender_key == key,
                                                            Conversation.status.in_([ConversationStatus.OPEN,
                                                                                     ConversationStatus.HANDED_OFF]))
                              .order_by(Conversation.started_at.desc()).limit(1))
    if existing is not None:
        return existing
    with session.begin_nested():
        if customer_id is not None:
            live_customer(session, customer_id)
        conversation = Conversation(customer_id=customer_id, channel=as_channel(channel), sender_key=key,
                                    language=None if language is None else as_language(language),
                                    status=ConversationStatus.OPEN, started_at=now)
        session.add(conversation)
        session.flush()
        return conversation.id


def record_message(session: Session, conversation_id: int, sender: MessageSender | str, text: str, *,
                   intent: str | None = None, confidence: float | None = None,
                   entities: list[dict[str, Any]] | None = None, at: datetime | None = None) -> int:
    try:
        sender = MessageSender(sender)
    except ValueError:
        raise InvalidInput(f"unknown message sender {sender!r}") from None
    if confidence is not None and not 0 <= confidence <= 1:
        raise InvalidInput("an NLU confidence is between 0 and 1")
    with session.begin_nested():
        if session.get(Conversation, conversation_id) is None:
            raise ConversationNotFound(conversation_id)
        message = Message(conversation_id=conversation_id, sender=sender, text=text, intent=intent,
                          confidence=confidence, entities=entities, created_at=at or utcnow())
        session.add(message)
        session.flush()
        return message.id


def close_conversation(session: Session, conversation_id: int, status: ConversationStatus | str, *,
                       now: datetime | None = None) -> None:
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


def request_handoff(session: Session, conversation_id: int, *, reason: str, now: datetime | None = None) -> int:
    now = now or utcnow()
    with session.begin_nested():
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        waiting = session.scalar(select(HandoffRequest.id).where(
            HandoffRequest.conversation_id == conversation_id,
            HandoffRequest.status.in_([HandoffStatus.WAITING, HandoffStatus.ASSIGNED])))
        if waiting is not None:
            return waiting
        conversation.status = ConversationStatus.HANDED_OFF
        handoff = HandoffRequest(conversation_id=conversation_id, customer_id=conversation.customer_id,
                                 reason=reason[:64], status=HandoffStatus.WAITING, requested_at=now)
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
    close_conversation(session, handoff.conversation_id,
                       ConversationStatus.RESOLVED_BY_AGENT if resolved else ConversationStatus.ABANDONED, now=now)


def handoff_inbox(session: Session, *, status: HandoffStatus | str = HandoffStatus.WAITING,
                  limit: int = 50) -> list[HandoffView]:
    rows = session.scalars(select(HandoffRequest).where(HandoffRequest.status == HandoffStatus(status))
                           .order_by(HandoffRequest.requested_at).limit(limit))
    return [HandoffView(h.id, h.conversation_id, h.customer_id, h.reason, h.status, h.agent, h.requested_at)
            for h in rows]


def transcript(session: Session, conversation_id: int, *, actor: str) -> list[MessageView]:
    """The messages of a conversation, for staff; the read is audited."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    messages = session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                               .order_by(Message.created_at, Message.id)).all()
    audit(session, actor=actor, action="read_transcript", customer_id=conversation.customer_id,
          conversation_id=conversation_id, messages=len(messages))
    return [MessageView(m.sender, m.text, m.intent, m.confidence, m.entities, m.created_at) for m in messages]

"""The live hand-off inbox: who is waiting (highest priority first, then longest wait), taking one, and
handing it back.

The CRM keeps only a keyed hash of a conversation's Rasa sender id (`conversations.sender_key`), so the
sender to answer through is found, in order, from: the hand-off's own `sender_id` (encrypted; the action
server records it when it queues the conversation), a `sender: <id>` first line of the summary, or the
customer's identity on the conversation's channel whose hash is the conversation's `sender_key`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import NotAllowed, NotFound
from crm.models import Conversation, Customer, HandoffRequest, HandoffStatus, Identity, StaffRole
from crm.privacy import audit, utcnow
from crm.repository import HandoffView, assign_handoff, close_handoff, handoff_inbox, sender_key

from console.accounts import StaffUserView
from console.i18n import refusal

_SUMMARY_SENDER = re.compile(r"\Asender:\s*(\S+)")


@dataclass(frozen=True)
class InboxItem:
    handoff: HandoffView
    channel: str
    language: str | None
    customer_name: str | None
    waited_minutes: int


@dataclass(frozen=True)
class HandoffCase:
    handoff: HandoffView
    channel: str
    language: str | None
    sender_id: str | None


def _items(session: Session, handoffs: list[HandoffView], now: datetime) -> list[InboxItem]:
    conversations = {
        c.id: c
        for c in session.scalars(select(Conversation).where(Conversation.id.in_([h.conversation_id for h in handoffs])))
    }
    customer_ids = {h.customer_id for h in handoffs if h.customer_id is not None}
    names = (
        {
            cid: name
            for cid, name in session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids)))
        }
        if customer_ids
        else {}
    )
    items = []
    for h in handoffs:
        conversation = conversations.get(h.conversation_id)
        items.append(
            InboxItem(
                h,
                conversation.channel.value if conversation else "?",
                None if conversation is None or conversation.language is None else conversation.language.value,
                None if h.customer_id is None else names.get(h.customer_id),
                max(0, int((now - h.requested_at).total_seconds() // 60)),
            )
        )
    return items


def inbox(session: Session, *, now: datetime | None = None) -> tuple[list[InboxItem], list[InboxItem]]:
    """(waiting, being served): waiting in the order agents serve them — `handoff_inbox`'s priority order."""
    now = now or utcnow()
    waiting = handoff_inbox(session, status=HandoffStatus.WAITING, limit=200)
    assigned = handoff_inbox(session, status=HandoffStatus.ASSIGNED, limit=200)
    return _items(session, waiting, now), _items(session, assigned, now)


def resolve_sender(session: Session, handoff: HandoffRequest) -> str | None:
    if handoff.sender_id:
        return handoff.sender_id
    match = _SUMMARY_SENDER.match(handoff.summary or "")
    if match:
        return match.group(1)
    conversation = session.get(Conversation, handoff.conversation_id)
    if conversation is None or conversation.customer_id is None or conversation.sender_key is None:
        return None
    for identity in session.scalars(
        select(Identity).where(
            Identity.customer_id == conversation.customer_id, Identity.channel == conversation.channel
        )
    ):
        if sender_key(conversation.channel, identity.external_id) == conversation.sender_key:
            return identity.external_id
    return None


def _request(session: Session, handoff_id: int, *, lock: bool = False) -> HandoffRequest:
    query = select(HandoffRequest).where(HandoffRequest.id == handoff_id)
    handoff = session.scalar(query.with_for_update() if lock else query)
    if handoff is None:
        raise refusal(NotFound, "refusal.no_handoff", id=handoff_id)
    return handoff


def _view(h: HandoffRequest) -> HandoffView:
    return HandoffView(
        h.id, h.conversation_id, h.customer_id, h.reason, h.status, h.agent, h.requested_at, h.priority, h.summary
    )


def case(session: Session, handoff_id: int) -> HandoffCase:
    handoff = _request(session, handoff_id)
    conversation = session.get(Conversation, handoff.conversation_id)
    return HandoffCase(
        _view(handoff),
        conversation.channel.value if conversation else "?",
        None if conversation is None or conversation.language is None else conversation.language.value,
        resolve_sender(session, handoff),
    )


def may_serve(handoff: HandoffView, user: StaffUserView) -> bool:
    """The agent who took it, or a supervisor/admin, may answer and hand back."""
    return handoff.status == HandoffStatus.ASSIGNED and (
        handoff.agent == user.username or user.has_role(StaffRole.SUPERVISOR)
    )


def served_case(
    session: Session, handoff_id: int, user: StaffUserView, refused: str = "refusal.take_first"
) -> HandoffCase:
    """The hand-off's case when `user` may serve it (`may_serve`); otherwise NotAllowed, in the catalogue's
    words `refused`."""
    found = case(session, handoff_id)
    if not may_serve(found.handoff, user):
        raise refusal(NotAllowed, refused)
    return found


def take(session: Session, handoff_id: int, user: StaffUserView, *, now: datetime | None = None) -> bool:
    """Assign a waiting hand-off to `user`: True when it is theirs now, False when it already was. Someone
    else's is refused, except that a supervisor may take over; the row is locked first, so two agents cannot
    both take it (on SQLite the database's single writer refuses the second)."""
    handoff = _request(session, handoff_id, lock=True)
    if handoff.status == HandoffStatus.CLOSED:
        raise refusal(NotAllowed, "refusal.handed_back")
    if handoff.status == HandoffStatus.ASSIGNED:
        if handoff.agent == user.username:
            return False
        if not user.has_role(StaffRole.SUPERVISOR):
            raise refusal(NotAllowed, "refusal.taken", agent=handoff.agent)
    assign_handoff(session, handoff_id, agent=user.username, now=now)
    audit(
        session,
        actor=user.username,
        action="handoff_take",
        customer_id=handoff.customer_id,
        now=now,
        handoff_id=handoff_id,
    )
    return True


def finish(session: Session, handoff_id: int, user: StaffUserView, *, now: datetime | None = None) -> None:
    handoff = _request(session, handoff_id, lock=True)
    if not may_serve(_view(handoff), user):
        raise refusal(NotAllowed, "refusal.hand_back")
    close_handoff(session, handoff_id, resolved=True, now=now)
    audit(
        session,
        actor=user.username,
        action="handoff_hand_back",
        customer_id=handoff.customer_id,
        now=now,
        handoff_id=handoff_id,
    )

"""Attachments (#16 item 6): the rows that link an image file (crm/attachment_store.py) to a conversation,
and the per-conversation bound on how many images a customer may send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crm.errors import NotFound
from crm.images import CleanImage
from crm.models import Attachment, AttachmentUploader, Channel, Conversation
from crm.privacy import utcnow
from crm.repository.common import as_channel
from crm.repository.conversations import sender_key
from crm.repository.customers import find_customer

# A customer sends at most this many images per conversation per hour (agents are not bounded).
MAX_PER_HOUR = 20


@dataclass(frozen=True)
class AttachmentView:
    id: int
    file_id: str
    channel: Channel
    conversation_id: int | None
    customer_id: int | None
    uploader: AttachmentUploader
    agent: str | None
    media_type: str
    size: int
    width: int
    height: int
    sha256: str
    created_at: datetime


def _view(row: Attachment) -> AttachmentView:
    return AttachmentView(
        row.id,
        row.file_id,
        row.channel,
        row.conversation_id,
        row.customer_id,
        row.uploader,
        row.agent,
        row.media_type,
        row.size,
        row.width,
        row.height,
        row.sha256,
        row.created_at,
    )


def uploads_in_last_hour(
    session: Session, channel: Channel | str, sender_id: str, *, now: datetime | None = None
) -> int:
    """How many images the customer of this conversation sent in the past hour."""
    since = (now or utcnow()) - timedelta(hours=1)
    return (
        session.scalar(
            select(func.count(Attachment.id)).where(
                Attachment.sender_key == sender_key(channel, sender_id),
                Attachment.uploader == AttachmentUploader.CUSTOMER,
                Attachment.created_at >= since,
            )
        )
        or 0
    )


def add_attachment(
    session: Session,
    *,
    file_id: str,
    image: CleanImage,
    channel: Channel | str,
    sender_id: str,
    uploader: AttachmentUploader,
    agent: str | None = None,
    now: datetime | None = None,
) -> AttachmentView:
    """Records a stored image of the conversation `sender_id` on `channel`: linked to the conversation the CRM
    has for it now (the newest with its sender key; none yet when the event consumer has not caught up) and
    to the customer known by that identity."""
    key = sender_key(channel, sender_id)
    conversation = session.scalars(
        select(Conversation)
        .where(Conversation.sender_key == key)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()
    customer_id = conversation.customer_id if conversation is not None else None
    if customer_id is None:
        known = find_customer(session, channel, sender_id)
        customer_id = known.id if known is not None else None
    row = Attachment(
        file_id=file_id,
        channel=as_channel(channel),
        sender_key=key,
        conversation_id=None if conversation is None else conversation.id,
        customer_id=customer_id,
        uploader=uploader,
        agent=agent[:64] if agent else None,
        media_type=image.media_type,
        size=len(image.data),
        width=image.width,
        height=image.height,
        sha256=image.sha256,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return _view(row)


def attachment_by_file(session: Session, file_id: str) -> AttachmentView:
    row = session.scalars(select(Attachment).where(Attachment.file_id == file_id)).first()
    if row is None:
        raise NotFound(f"no attachment {file_id[:32]}")
    return _view(row)


def attachment_of_sender(session: Session, file_id: str, channel: Channel | str, sender_id: str) -> AttachmentView:
    """The attachment, only when it belongs to the conversation `sender_id` on `channel`."""
    row = session.scalars(
        select(Attachment).where(Attachment.file_id == file_id, Attachment.sender_key == sender_key(channel, sender_id))
    ).first()
    if row is None:
        raise NotFound(f"no attachment {file_id[:32]} in this conversation")
    return _view(row)


def conversation_attachments(session: Session, conversation_id: int) -> list[AttachmentView]:
    """The images of a conversation, oldest first: those linked to it, and those sent with its sender key
    while it ran but before the CRM knew the conversation."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return []
    unlinked = and_(
        Attachment.conversation_id.is_(None),
        Attachment.sender_key == conversation.sender_key,
        Attachment.created_at >= conversation.started_at - timedelta(minutes=5),
    )
    if conversation.ended_at is not None:
        unlinked = and_(unlinked, Attachment.created_at <= conversation.ended_at)
    condition = Attachment.conversation_id == conversation_id
    if conversation.sender_key is not None:
        condition = or_(condition, unlinked)
    rows = session.scalars(select(Attachment).where(condition).order_by(Attachment.created_at, Attachment.id))
    return [_view(row) for row in rows]

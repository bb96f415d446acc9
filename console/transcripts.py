"""Finding conversations: filters in SQL, full-text search in Python.

Message texts are encrypted at rest (AES-GCM with a random nonce), so the database cannot search them. A
search index would have to hold the words of every message in a form the database can compare: in clear it
undoes the encryption, and as keyed hashes of tokens it leaks word frequencies, cannot match parts of words
and needs a Chinese word segmenter that agrees with how staff type. So the console decrypts instead: the
filters (channel, dates, intent, confidence, outcome, customer, language…) narrow the conversations in SQL,
and the texts of the newest `SEARCH_SCAN_LIMIT` of them are decrypted and matched as case-insensitive
substrings (which works for Chinese and English alike). Decrypting is a few microseconds per message, so
a search over 2,000 conversations takes a fraction of a second; the page says when older conversations
were not searched, and narrower filters (a date range) reach them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotFound
from crm.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Customer,
    HandoffRequest,
    Language,
    Message,
    MessageSender,
)
from crm.repository.workspace import normalize_tag, tagged_conversations

from console.customers import customer_by_reference
from console.i18n import refusal
from console.masking import mask_secrets
from console.rasa import AGENT_MESSAGE_ACTION

E = TypeVar("E", bound=Enum)

PAGE_SIZE = 50
SEARCH_SCAN_LIMIT = 2000
LOW_CONFIDENCE = 0.5
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Filters:
    channel: Channel | None = None
    date_from: date | None = None
    date_to: date | None = None
    intent: str | None = None
    low_confidence: bool = False
    fallback: bool = False
    handoff: bool = False
    outcome: ConversationStatus | None = None
    customer: str | None = None
    language: Language | None = None
    query: str | None = None
    page: int = 1
    tag: str | None = None  # a staff tag (agent workspace), normalised

    @classmethod
    def parse(cls, params: Any) -> "Filters":
        """From the query string of the list page; a malformed value is an InvalidInput naming the field."""

        def text(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value or None

        def choice(name: str, kind: type[E]) -> E | None:
            value = text(name)
            if value is None:
                return None
            try:
                return kind(value)
            except ValueError:
                raise refusal(
                    InvalidInput,
                    "refusal.filter_choice",
                    name=name,
                    value=repr(value[:40]),
                    choices=", ".join(v.value for v in kind),
                ) from None

        def day(name: str) -> date | None:
            value = text(name)
            if value is None:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise refusal(InvalidInput, "refusal.filter_date", name=name, value=repr(value[:40])) from None

        try:
            page = max(1, int(text("page") or 1))
        except ValueError:
            raise refusal(InvalidInput, "refusal.filter_page") from None

        def flag(name: str) -> bool:
            return text(name) in ("1", "on", "true", "yes")

        return cls(
            channel=choice("channel", Channel),
            date_from=day("from"),
            date_to=day("to"),
            intent=text("intent"),
            low_confidence=flag("low_confidence"),
            fallback=flag("fallback"),
            handoff=flag("handoff"),
            outcome=choice("outcome", ConversationStatus),
            customer=text("customer"),
            language=choice("language", Language),
            query=text("q"),
            page=page,
            tag=None if text("tag") is None else normalize_tag(text("tag") or ""),
        )

    def query_string(self, **changes: Any) -> str:
        """The list page's query string for these filters (with `changes`), for links such as the next page."""
        values = {
            "channel": self.channel,
            "from": self.date_from,
            "to": self.date_to,
            "intent": self.intent,
            "low_confidence": self.low_confidence,
            "fallback": self.fallback,
            "handoff": self.handoff,
            "outcome": self.outcome,
            "customer": self.customer,
            "language": self.language,
            "q": self.query,
            "page": self.page,
            "tag": self.tag,
        }
        values.update(changes)
        pairs = {
            k: ("1" if v is True else str(v.value if hasattr(v, "value") else v))
            for k, v in values.items()
            if v not in (None, False, "") and not (k == "page" and v == 1)
        }
        return urlencode(pairs)


@dataclass(frozen=True)
class ConversationRow:
    id: int
    started_at: datetime
    channel: Channel
    language: Language | None
    status: ConversationStatus
    customer_id: int | None
    customer_name: str | None
    messages: int
    min_confidence: float | None
    intents: tuple[str, ...]
    handoff: bool
    preview: str  # the first customer message, or the matching message of a search
    matches: int = 0


@dataclass(frozen=True)
class ConversationList:
    rows: list[ConversationRow]
    total: int  # conversations matching (for a search: matching among those scanned)
    page: int
    pages: int
    scanned: int | None = None  # a search: how many conversations were decrypted and searched
    candidates: int | None = None  # a search: how many matched the filters
    error: InvalidInput | NotFound | None = None  # a filter refused: `describe` words it for the reader


@dataclass(frozen=True)
class MessageRow:
    id: int
    sender: str
    text: str
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]]
    action: str | None
    created_at: datetime


@dataclass(frozen=True)
class ConversationDetail:
    id: int
    channel: Channel
    language: Language | None
    status: ConversationStatus
    started_at: datetime
    ended_at: datetime | None
    customer_id: int | None
    messages: list[MessageRow] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)


def _bounds(filters: Filters, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    start = None if filters.date_from is None else datetime.combine(filters.date_from, time(), tz)
    end = None if filters.date_to is None else datetime.combine(filters.date_to + timedelta(days=1), time(), tz)
    return start, end


def _filtered(session: Session, filters: Filters, tz: ZoneInfo) -> Select[int]:
    query = select(Conversation.id)
    if filters.channel is not None:
        query = query.where(Conversation.channel == filters.channel)
    if filters.language is not None:
        query = query.where(Conversation.language == filters.language)
    if filters.outcome is not None:
        query = query.where(Conversation.status == filters.outcome)
    start, end = _bounds(filters, tz)
    if start is not None:
        query = query.where(Conversation.started_at >= start)
    if end is not None:
        query = query.where(Conversation.started_at < end)
    if filters.customer:
        query = query.where(Conversation.customer_id == customer_by_reference(session, filters.customer).id)
    if filters.tag:
        query = query.where(Conversation.id.in_(tagged_conversations(filters.tag)))
    customer_says = and_(Message.conversation_id == Conversation.id, Message.sender == MessageSender.CUSTOMER)
    if filters.intent:
        query = query.where(exists().where(customer_says, Message.intent == filters.intent))
    if filters.low_confidence:
        query = query.where(exists().where(customer_says, Message.confidence < LOW_CONFIDENCE))
    if filters.fallback:
        query = query.where(exists().where(customer_says, Message.intent == FALLBACK_INTENT))
    if filters.handoff:
        query = query.where(exists().where(HandoffRequest.conversation_id == Conversation.id))
    return query


def _rows(
    session: Session, ids: list[int], previews: dict[int, tuple[str, int]] | None = None
) -> list[ConversationRow]:
    if not ids:
        return []
    conversations = {c.id: c for c in session.scalars(select(Conversation).where(Conversation.id.in_(ids)))}
    stats = {
        cid: (n, low)
        for cid, n, low in session.execute(
            select(Message.conversation_id, func.count(), func.min(Message.confidence))
            .where(Message.conversation_id.in_(ids))
            .group_by(Message.conversation_id)
        )
    }
    intents: dict[int, list[str]] = defaultdict(list)
    first: dict[int, str] = {}
    for cid, intent, text in session.execute(
        select(Message.conversation_id, Message.intent, Message.text)
        .where(Message.conversation_id.in_(ids), Message.sender == MessageSender.CUSTOMER)
        .order_by(Message.created_at, Message.id)
    ):
        if intent and intent not in intents[cid]:
            intents[cid].append(intent)
        first.setdefault(cid, text)
    handed = set(session.scalars(select(HandoffRequest.conversation_id).where(HandoffRequest.conversation_id.in_(ids))))
    customer_ids = {c.customer_id for c in conversations.values() if c.customer_id is not None}
    names = (
        {
            cid: name
            for cid, name in session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids)))
        }
        if customer_ids
        else {}
    )
    rows = []
    for cid in ids:
        c = conversations[cid]
        count, low = stats.get(cid, (0, None))
        preview, matches = (previews or {}).get(cid, (first.get(cid, ""), 0))
        rows.append(
            ConversationRow(
                c.id,
                c.started_at,
                c.channel,
                c.language,
                c.status,
                c.customer_id,
                None if c.customer_id is None else names.get(c.customer_id),
                count,
                low,
                tuple(intents[cid]),
                cid in handed,
                preview,
                matches,
            )
        )
    return rows


def find_conversations(session: Session, filters: Filters, tz: ZoneInfo) -> ConversationList:
    try:
        base = _filtered(session, filters, tz)
    except (InvalidInput, NotFound) as error:
        return ConversationList([], 0, 1, 1, error=error)
    newest = base.order_by(Conversation.started_at.desc(), Conversation.id.desc())
    if not filters.query:
        total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages)
        ids = list(session.scalars(newest.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        return ConversationList(_rows(session, ids), total, page, pages)
    candidates = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    scan = list(session.scalars(newest.limit(SEARCH_SCAN_LIMIT)))
    needle = filters.query.casefold()
    hits: dict[int, tuple[str, int]] = {}
    for cid, text in session.execute(
        select(Message.conversation_id, Message.text).where(Message.conversation_id.in_(scan)).order_by(Message.id)
    ):
        if needle in mask_secrets(text).casefold():  # no finding a link code by searching for its digits
            preview, count = hits.get(cid, (text, 0))
            hits[cid] = (preview, count + 1)
    matched = [cid for cid in scan if cid in hits]
    pages = max(1, -(-len(matched) // PAGE_SIZE))
    page = min(filters.page, pages)
    ids = matched[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return ConversationList(
        _rows(session, ids, hits), len(matched), page, pages, scanned=len(scan), candidates=candidates
    )


def conversation_detail(session: Session, conversation_id: int) -> ConversationDetail:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise refusal(NotFound, "refusal.no_conversation", id=conversation_id)
    # An agent's reply is said by the bot's `action_agent_message`; the feedback consumer records it as the bot's.
    messages = [
        MessageRow(
            m.id,
            "agent" if m.action == AGENT_MESSAGE_ACTION else m.sender.value,
            m.text,
            m.intent,
            m.confidence,
            list(m.entities or []),
            m.action,
            m.created_at,
        )
        for m in session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.created_at, Message.id)
        )
    ]
    handoffs = [
        {
            "id": h.id,
            "status": h.status.value,
            "reason": h.reason,
            "agent": h.agent,
            "requested_at": h.requested_at,
            "closed_at": h.closed_at,
        }
        for h in session.scalars(
            select(HandoffRequest)
            .where(HandoffRequest.conversation_id == conversation_id)
            .order_by(HandoffRequest.requested_at)
        )
    ]
    return ConversationDetail(
        conversation.id,
        conversation.channel,
        conversation.language,
        conversation.status,
        conversation.started_at,
        conversation.ended_at,
        conversation.customer_id,
        messages,
        handoffs,
    )

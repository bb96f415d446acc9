"""The agent workspace's records (#16): quick replies (canned answers with a shortcut and variables),
internal notes on a conversation or a customer, and tags on both.

Everything here is staff input, so every value is bounded and checked before anything is written: a quick
reply's variables must be ones the console can fill (an unknown `{name}` would reach a customer as is), a
tag's name is normalised so one label is one tag, and a note is plain text that only staff pages show.

A refusal is a `WorkspaceInputError` whose `message_key` (`workspace.error.<code>`) and values let the
console say it in the staff member's language; its English text is for logs and the command line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from crm.db import changed_rows
from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import (
    Conversation,
    ConversationTag,
    Customer,
    CustomerTag,
    Message,
    MessageSender,
    Order,
    QuickReply,
    StaffNote,
    Tag,
)
from crm.privacy import utcnow
from crm.repository.orders import find_order_numbers

# The variables a quick reply may hold, filled from the conversation when an agent inserts it.
VARIABLES = ("customer_name", "order_number", "agent_name")
SHORTCUT_MAX_CHARS = 24
TITLE_MAX_CHARS = 80
QUICK_REPLY_MAX_CHARS = 1000
QUICK_REPLIES_MAX = 500
NOTE_MAX_CHARS = 2000
TAG_MAX_CHARS = 24
TAGS_PER_SUBJECT_MAX = 20
# Typed after "/" in the reply box: ASCII, so it works the same with or without a Chinese input method.
SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Letters and digits of any script, inner spaces, "-", "_" and "."; no markup, no separators of lists.
_TAG = re.compile(r"[\w][\w .\-]*", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How many of the conversation's newest customer messages are read for an order number.
ORDER_SCAN_MESSAGES = 50


class WorkspaceInputError(InvalidInput):
    """Staff input the workspace refuses; `code` names the problem (`workspace.error.<code>` in the console)."""

    def __init__(self, code: str, english: str, **values: Any) -> None:
        super().__init__(english.format(**values))
        self.code = code
        self.message_key = f"workspace.error.{code}"
        self.message_values = values


@dataclass(frozen=True)
class QuickReplyView:
    id: int
    shortcut: str
    title: str
    text_zh: str | None
    text_en: str | None
    updated_by: str
    updated_at: datetime

    def text_for(self, language: str | None) -> str:
        """The text in `language` when the reply has one, else the one it has."""
        preferred = self.text_en if language == "en" else self.text_zh
        return preferred or self.text_zh or self.text_en or ""


@dataclass(frozen=True)
class NoteView:
    id: int
    conversation_id: int | None
    customer_id: int | None
    author: str
    text: str
    created_at: datetime
    edited_at: datetime | None = None
    edited_by: str | None = None


def _note_view(note: StaffNote) -> NoteView:
    return NoteView(
        note.id,
        note.conversation_id,
        note.customer_id,
        note.author,
        note.text,
        note.created_at,
        note.edited_at,
        note.edited_by,
    )


# --- quick replies -----------------------------------------------------------------------------------------


def placeholders(text: str) -> list[str]:
    """The variable names a text holds, in order; a brace that opens or closes no `{name}` is refused."""
    if _PLACEHOLDER.sub("", text).count("{") or _PLACEHOLDER.sub("", text).count("}"):
        raise WorkspaceInputError(
            "stray_brace",
            "a brace that is not part of a variable: write variables as {example}",
            example="{agent_name}",
        )
    return _PLACEHOLDER.findall(text)


def check_variables(text: str) -> None:
    unknown = [name for name in placeholders(text) if name not in VARIABLES]
    if unknown:
        raise WorkspaceInputError(
            "unknown_variable",
            "unknown variable {name}: use {known}",
            name="{" + unknown[0][:30] + "}",
            known=", ".join("{" + v + "}" for v in VARIABLES),
        )


def unfilled(text: str) -> list[str]:
    """The known variables still written as `{name}` in a reply about to be sent (an agent inserted a quick
    reply whose value the conversation did not have)."""
    return [name for name in _PLACEHOLDER.findall(text) if name in VARIABLES]


def fill(text: str, values: dict[str, str | None]) -> tuple[str, list[str]]:
    """The text with each known variable replaced by its value (as plain text: the console inserts it into a
    text box and Rasa sends text), and the variables that had no value (left as `{name}`)."""
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = values.get(name)
        if name not in VARIABLES or not found:
            if name in VARIABLES and name not in missing:
                missing.append(name)
            return match.group(0)
        return found

    return _PLACEHOLDER.sub(value, text), missing


def _clean_text(value: str | None, *, limit: int, what: str) -> str | None:
    """Control characters dropped, Windows line ends made plain, ends trimmed; None when nothing is left. Over
    `limit` characters is refused (`<what>_too_long`)."""
    if value is None:
        return None
    value = _CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if not value:
        return None
    if len(value) > limit:
        raise WorkspaceInputError(f"{what}_too_long", "the {what} is longer than {n} characters", what=what, n=limit)
    return value


def normalize_shortcut(shortcut: str) -> str:
    value = unicodedata.normalize("NFKC", shortcut).strip().lstrip("/").lower()
    if not value or len(value) > SHORTCUT_MAX_CHARS or not SHORTCUT.fullmatch(value):
        raise WorkspaceInputError(
            "bad_shortcut",
            "a shortcut is 1 to {n} letters, digits, '-' or '_' (ASCII), e.g. hello",
            n=SHORTCUT_MAX_CHARS,
        )
    return value


def _view(reply: QuickReply) -> QuickReplyView:
    return QuickReplyView(
        reply.id, reply.shortcut, reply.title, reply.text_zh, reply.text_en, reply.updated_by, reply.updated_at
    )


def quick_replies(session: Session) -> list[QuickReplyView]:
    return [_view(r) for r in session.scalars(select(QuickReply).order_by(QuickReply.shortcut))]


def get_quick_reply(session: Session, reply_id: int) -> QuickReplyView:
    reply = session.get(QuickReply, reply_id)
    if reply is None:
        raise NotFound(f"no quick reply {reply_id}")
    return _view(reply)


def save_quick_reply(
    session: Session,
    *,
    shortcut: str,
    title: str,
    text_zh: str | None,
    text_en: str | None,
    actor: str,
    reply_id: int | None = None,
    now: datetime | None = None,
) -> QuickReplyView:
    """Create (no `reply_id`) or change a quick reply; every field is checked before anything is written."""
    now = now or utcnow()
    shortcut = normalize_shortcut(shortcut)
    title_clean = _clean_text(title, limit=TITLE_MAX_CHARS, what="title")
    if title_clean is None or "\n" in title_clean:
        raise WorkspaceInputError("no_title", "a quick reply needs a title (one line)")
    zh = _clean_text(text_zh, limit=QUICK_REPLY_MAX_CHARS, what="text")
    en = _clean_text(text_en, limit=QUICK_REPLY_MAX_CHARS, what="text")
    if zh is None and en is None:
        raise WorkspaceInputError("no_text", "a quick reply needs its text in Chinese, English or both")
    for text in (zh, en):
        if text is not None:
            check_variables(text)
    with session.begin_nested():
        same = session.scalar(select(QuickReply).where(QuickReply.shortcut == shortcut))
        if same is not None and same.id != reply_id:
            raise WorkspaceInputError("shortcut_taken", "the shortcut /{shortcut} is taken", shortcut=shortcut)
        if reply_id is None:
            if (session.scalar(select(func.count()).select_from(QuickReply)) or 0) >= QUICK_REPLIES_MAX:
                raise WorkspaceInputError(
                    "too_many", "the library holds {n} quick replies already", n=QUICK_REPLIES_MAX
                )
            reply = QuickReply(shortcut=shortcut, created_by=actor, created_at=now)
            session.add(reply)
        else:
            found = session.get(QuickReply, reply_id)
            if found is None:
                raise NotFound(f"no quick reply {reply_id}")
            reply = found
        reply.shortcut, reply.title, reply.text_zh, reply.text_en = shortcut, title_clean, zh, en
        reply.updated_by, reply.updated_at = actor, now
        session.flush()
        return _view(reply)


def delete_quick_reply(session: Session, reply_id: int) -> None:
    if not changed_rows(session, delete(QuickReply).where(QuickReply.id == reply_id)):
        raise NotFound(f"no quick reply {reply_id}")


def conversation_values(session: Session, conversation_id: int, *, agent: str) -> dict[str, str | None]:
    """What a quick reply's variables become in this conversation: the customer's name, the order it is about
    (the newest order number the customer wrote that is theirs, else their latest order) and the agent's name.
    A guest has no name and no order here: an order number a guest types is not proof it is theirs."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}")
    customer = None if conversation.customer_id is None else session.get(Customer, conversation.customer_id)
    if customer is None or customer.erased_at is not None:
        return {"customer_name": None, "order_number": None, "agent_name": agent}
    theirs = set(session.scalars(select(Order.number).where(Order.customer_id == customer.id)))
    number = None
    texts = session.scalars(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.sender == MessageSender.CUSTOMER)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(ORDER_SCAN_MESSAGES)
    )
    for text in texts:
        mentioned = [n for n in find_order_numbers(text) if n in theirs]
        if mentioned:
            number = mentioned[-1]
            break
    if number is None:
        number = session.scalar(
            select(Order.number).where(Order.customer_id == customer.id).order_by(Order.placed_at.desc()).limit(1)
        )
    return {"customer_name": customer.name or None, "order_number": number, "agent_name": agent}


# --- internal notes ----------------------------------------------------------------------------------------


def add_note(
    session: Session,
    *,
    author: str,
    text: str,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    now: datetime | None = None,
) -> NoteView:
    """A note on a conversation or on a customer (exactly one). It is stored in the CRM only: nothing here
    talks to Rasa or a channel, so a note cannot reach the customer."""
    if (conversation_id is None) == (customer_id is None):
        raise ValueError("a note is on a conversation or on a customer")
    body = _clean_text(text, limit=NOTE_MAX_CHARS, what="note")
    if body is None:
        raise WorkspaceInputError("empty_note", "write the note first")
    _subject(session, conversation_id, customer_id)
    note = StaffNote(
        conversation_id=conversation_id, customer_id=customer_id, author=author, text=body, created_at=now or utcnow()
    )
    with session.begin_nested():
        session.add(note)
        session.flush()
    return NoteView(note.id, conversation_id, customer_id, author, body, note.created_at)


def notes(
    session: Session, *, conversation_id: int | None = None, customer_id: int | None = None, limit: int = 200
) -> list[NoteView]:
    """The notes on a conversation or on a customer, newest first."""
    column = StaffNote.conversation_id if conversation_id is not None else StaffNote.customer_id
    subject = conversation_id if conversation_id is not None else customer_id
    rows = session.scalars(
        select(StaffNote)
        .where(column == subject)
        .order_by(StaffNote.created_at.desc(), StaffNote.id.desc())
        .limit(limit)
    )
    return [_note_view(n) for n in rows]


class NoteNotYours(NotAllowed):
    """Someone else's note: only its author (or a supervisor) may change it."""

    def __init__(self, note_id: int) -> None:
        super().__init__(f"note {note_id} is someone else's: only its author or a supervisor may change it")
        self.note_id = note_id
        self.message_key = "workspace.error.note_not_yours"
        self.message_values: dict[str, Any] = {}


def _own_note(
    session: Session,
    note_id: int,
    actor: str,
    *,
    supervisor: bool,
    conversation_id: int | None,
    customer_id: int | None,
) -> StaffNote:
    """The note, on the subject the page named, that `actor` may change (its author, or any supervisor)."""
    note = session.get(StaffNote, note_id)
    if note is None or (note.conversation_id, note.customer_id) != (conversation_id, customer_id):
        raise NotFound(f"no note {note_id} here")
    if note.author != actor and not supervisor:
        raise NoteNotYours(note_id)
    return note


def edit_note(
    session: Session,
    note_id: int,
    *,
    actor: str,
    text: str,
    supervisor: bool = False,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    now: datetime | None = None,
) -> NoteView:
    """A note's new text (bounded like a new note), with when and by whom; the author keeps the note."""
    body = _clean_text(text, limit=NOTE_MAX_CHARS, what="note")
    if body is None:
        raise WorkspaceInputError("empty_note", "write the note first")
    note = _own_note(
        session, note_id, actor, supervisor=supervisor, conversation_id=conversation_id, customer_id=customer_id
    )
    if body != note.text:
        note.text, note.edited_at, note.edited_by = body, now or utcnow(), actor
        session.flush()
    return _note_view(note)


def delete_note(
    session: Session,
    note_id: int,
    *,
    actor: str,
    supervisor: bool = False,
    conversation_id: int | None = None,
    customer_id: int | None = None,
) -> None:
    note = _own_note(
        session, note_id, actor, supervisor=supervisor, conversation_id=conversation_id, customer_id=customer_id
    )
    session.delete(note)
    session.flush()


# --- tags --------------------------------------------------------------------------------------------------


def normalize_tag(name: str) -> str:
    """NFKC (full-width letters become ASCII), lower case, inner spaces collapsed; 1 to TAG_MAX_CHARS letters,
    digits, spaces, '-', '_' or '.'."""
    value = " ".join(unicodedata.normalize("NFKC", name).split()).lower()
    if not value:
        raise WorkspaceInputError("empty_tag", "write the tag first")
    if len(value) > TAG_MAX_CHARS:
        raise WorkspaceInputError("tag_too_long", "a tag is at most {n} characters", n=TAG_MAX_CHARS)
    if not _TAG.fullmatch(value):
        raise WorkspaceInputError("bad_tag", "a tag holds letters, digits, spaces, '-', '_' or '.'")
    return value


def _subject(session: Session, conversation_id: int | None, customer_id: int | None) -> None:
    if conversation_id is not None and session.get(Conversation, conversation_id) is None:
        raise NotFound(f"no conversation {conversation_id}")
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None or customer.erased_at is not None:
            raise NotFound(f"no customer {customer_id}")


def _link_table(conversation_id: int | None) -> tuple[Any, Any]:
    if conversation_id is not None:
        return ConversationTag, ConversationTag.conversation_id
    return CustomerTag, CustomerTag.customer_id


def add_tag(
    session: Session,
    name: str,
    *,
    actor: str,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    now: datetime | None = None,
) -> str:
    """Put a tag (created on first use) on a conversation or a customer; the normalised name is returned.
    Adding a tag that is already there changes nothing."""
    if (conversation_id is None) == (customer_id is None):
        raise ValueError("a tag goes on a conversation or on a customer")
    now = now or utcnow()
    tag_name = normalize_tag(name)
    _subject(session, conversation_id, customer_id)
    link, column = _link_table(conversation_id)
    subject = conversation_id if conversation_id is not None else customer_id
    with session.begin_nested():
        tag = session.scalar(select(Tag).where(Tag.name == tag_name))
        if tag is None:
            tag = Tag(name=tag_name, created_by=actor, created_at=now)
            session.add(tag)
            session.flush()
        elif session.scalar(select(func.count()).select_from(link).where(column == subject, link.tag_id == tag.id)):
            return tag_name
        if (session.scalar(select(func.count()).select_from(link).where(column == subject)) or 0) >= (
            TAGS_PER_SUBJECT_MAX
        ):
            raise WorkspaceInputError("too_many_tags", "at most {n} tags on one", n=TAGS_PER_SUBJECT_MAX)
        key = "conversation_id" if conversation_id is not None else "customer_id"
        session.add(link(**{key: subject}, tag_id=tag.id, added_by=actor, added_at=now))
        session.flush()
    return tag_name


def remove_tag(
    session: Session, name: str, *, conversation_id: int | None = None, customer_id: int | None = None
) -> bool:
    """Take a tag off; False when it was not there."""
    if (conversation_id is None) == (customer_id is None):
        raise ValueError("a tag comes off a conversation or a customer")
    tag_name = normalize_tag(name)
    link, column = _link_table(conversation_id)
    subject = conversation_id if conversation_id is not None else customer_id
    tag_id = select(Tag.id).where(Tag.name == tag_name).scalar_subquery()
    return bool(changed_rows(session, delete(link).where(column == subject, link.tag_id == tag_id)))


def tags_of(
    session: Session, *, conversation_ids: Sequence[int] = (), customer_ids: Sequence[int] = ()
) -> dict[int, list[str]]:
    """Tag names (sorted) of each conversation, or of each customer, that has any."""
    link: type[ConversationTag] | type[CustomerTag]
    if conversation_ids:
        link, column, ids = ConversationTag, ConversationTag.conversation_id, list(conversation_ids)
    else:
        link, column, ids = CustomerTag, CustomerTag.customer_id, list(customer_ids)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for subject, name in session.execute(
        select(column, Tag.name).join(Tag, Tag.id == link.tag_id).where(column.in_(ids)).order_by(Tag.name)
    ):
        found.setdefault(subject, []).append(name)
    return found


def tag_id(session: Session, name: str) -> int | None:
    """The id of the tag `name` (normalised), None when there is none."""
    return session.scalar(select(Tag.id).where(Tag.name == normalize_tag(name)))


def all_tags(session: Session, limit: int = 500) -> list[str]:
    return list(session.scalars(select(Tag.name).order_by(Tag.name).limit(limit)))


def tagged_conversations(name: str) -> Select[int]:
    """The ids of the conversations carrying tag `name` (normalised), for a list's `IN` filter."""
    return (
        select(ConversationTag.conversation_id)
        .join(Tag, Tag.id == ConversationTag.tag_id)
        .where(Tag.name == normalize_tag(name))
    )


def tagged_customers(session: Session, name: str, *, limit: int = 50) -> list[int]:
    """Customers (not erased) carrying tag `name`, newest tag first."""
    return list(
        session.scalars(
            select(CustomerTag.customer_id)
            .join(Tag, Tag.id == CustomerTag.tag_id)
            .join(Customer, Customer.id == CustomerTag.customer_id)
            .where(Tag.name == normalize_tag(name), Customer.erased_at.is_(None))
            .order_by(CustomerTag.added_at.desc(), CustomerTag.customer_id)
            .limit(limit)
        )
    )

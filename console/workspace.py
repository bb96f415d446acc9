"""What the agent workspace shows beside a conversation or a customer: the quick replies an agent can insert,
the internal notes and the tags (crm.repository.workspace keeps them), read in one transaction for a page.

Notes are shown through the page's masker, as the transcript is: a note may repeat the customer's phone
number, and a masked page stays masked. So a note is offered for editing with its text only when the page shows
all of it (nothing masked): editing a masked text would save the stars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm.repository.workspace import (
    QUICK_REPLY_MAX_CHARS,
    NoteView,
    QuickReplyView,
    all_tags,
    notes,
    quick_replies,
    tags_of,
)


@dataclass(frozen=True)
class ShownNote:
    id: int
    author: str
    text: str
    created_at: object
    edited_at: object = None
    edited_by: str | None = None
    editable: bool = False  # the page shows the whole text (nothing masked), so it can be edited as shown


@dataclass(frozen=True)
class Panel:
    """The notes and tags of one conversation (and of its customer), and the quick-reply library."""

    conversation_id: int | None
    customer_id: int | None
    conversation_notes: list[ShownNote]
    customer_notes: list[ShownNote]
    conversation_tags: list[str]
    customer_tags: list[str]
    known_tags: list[str]
    quick_replies: list[QuickReplyView]


def _shown(found: list[NoteView], show: Callable[[str], str]) -> list[ShownNote]:
    shown = []
    for n in found:
        text = show(n.text)
        shown.append(ShownNote(n.id, n.author, text, n.created_at, n.edited_at, n.edited_by, text == n.text))
    return shown


def panel(
    session: Session,
    *,
    conversation_id: int | None,
    customer_id: int | None,
    show: Callable[[str], str],
    with_quick_replies: bool = False,
) -> Panel:
    return Panel(
        conversation_id,
        customer_id,
        [] if conversation_id is None else _shown(notes(session, conversation_id=conversation_id), show),
        [] if customer_id is None else _shown(notes(session, customer_id=customer_id), show),
        []
        if conversation_id is None
        else tags_of(session, conversation_ids=[conversation_id]).get(conversation_id, []),
        [] if customer_id is None else tags_of(session, customer_ids=[customer_id]).get(customer_id, []),
        all_tags(session),
        quick_replies(session) if with_quick_replies else [],
    )


def quick_reply_menu(replies: list[QuickReplyView], language: str | None) -> list[dict[str, object]]:
    """The reply box's menu (shortcut, title, the text with its `{variables}` as written): the page's script
    filters it as the agent types `/`; the filled text comes from the server when one is picked."""
    return [
        {"id": r.id, "shortcut": r.shortcut, "title": r.title, "text": r.text_for(language)[:QUICK_REPLY_MAX_CHARS]}
        for r in replies
    ]

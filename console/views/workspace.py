"""The agent workspace (#16): the quick-reply library (supervisors and admins manage it, agents read and use
it), filling a quick reply for the conversation an agent is serving, internal notes and tags on conversations
and customers.

Notes and tags are written with plain forms (the page works without script) that come back to the page they
were sent from (`next`, a console path only). A quick reply is filled on the server, for the agent serving the
hand-off only, and audited: it may put the customer's name into the reply box of a masked page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.models import Conversation, StaffRole
from crm.privacy import audit, mask_name
from crm.repository import get_customer
from crm.repository.workspace import (
    NOTE_MAX_CHARS,
    QUICK_REPLY_MAX_CHARS,
    SHORTCUT_MAX_CHARS,
    TAG_MAX_CHARS,
    TITLE_MAX_CHARS,
    VARIABLES,
    NoteNotYours,
    QuickReplyView,
    WorkspaceInputError,
    add_note,
    all_tags,
    add_tag,
    conversation_values,
    delete_note,
    delete_quick_reply,
    edit_note,
    fill,
    get_quick_reply,
    normalize_tag,
    quick_replies,
    remove_tag,
    save_quick_reply,
    tag_id,
    tagged_customers,
    tags_of,
    unfilled,
)

from console import handoffs
from console.customers import personal_data_of
from console.handoffs import InboxItem
from console.i18n import describe
from console.notices import display_name
from console.masking import Masker, mask_secrets
from console.workspace import Panel, panel, quick_reply_menu
from console.web import db, form, language, path_id, requires, safe_next, staff, text

routes = web.RouteTableDef()


# --- the quick-reply library ---------------------------------------------------------------------------------


def _library(request: web.Request, replies: list[QuickReplyView], **extra: Any) -> web.Response:
    return aiohttp_jinja2.render_template(
        "quick_replies.html",
        request,
        {
            "replies": replies,
            "variables": ["{" + v + "}" for v in VARIABLES],
            "limits": {
                "shortcut": SHORTCUT_MAX_CHARS,
                "title": TITLE_MAX_CHARS,
                "text": QUICK_REPLY_MAX_CHARS,
            },
            "editing": None,
            "notice": None,
            **extra,
        },
    )


@routes.get("/quick-replies")
@requires(StaffRole.AGENT)
async def library(request: web.Request) -> web.StreamResponse:
    done = request.query.get("done", "")
    notice = text(request, f"quick_replies.done.{done}") if done in ("saved", "deleted") else None
    return _library(request, await db(request).run(quick_replies), notice=notice)


def _fields(data: dict[str, str]) -> dict[str, Any]:
    return {
        "shortcut": data.get("shortcut", ""),
        "title": data.get("title", ""),
        "text_zh": data.get("text_zh"),
        "text_en": data.get("text_en"),
    }


@routes.post("/quick-replies")
@requires(StaffRole.SUPERVISOR)
async def create(request: web.Request) -> web.StreamResponse:
    data, actor = await form(request), staff(request).user.username
    await db(request).run(lambda s: save_quick_reply(s, **_fields(data), actor=actor))
    raise web.HTTPSeeOther("/quick-replies?done=saved")


@routes.get("/quick-replies/{id}")
@requires(StaffRole.SUPERVISOR)
async def edit(request: web.Request) -> web.StreamResponse:
    reply_id = path_id(request)

    def load(session: Session) -> tuple[list[QuickReplyView], QuickReplyView]:
        return quick_replies(session), get_quick_reply(session, reply_id)

    replies, editing = await db(request).run(load)
    return _library(request, replies, editing=editing)


@routes.post("/quick-replies/{id}")
@requires(StaffRole.SUPERVISOR)
async def save(request: web.Request) -> web.StreamResponse:
    reply_id, data, actor = path_id(request), await form(request), staff(request).user.username
    await db(request).run(lambda s: save_quick_reply(s, **_fields(data), actor=actor, reply_id=reply_id))
    raise web.HTTPSeeOther("/quick-replies?done=saved")


@routes.post("/quick-replies/{id}/delete")
@requires(StaffRole.SUPERVISOR)
async def remove(request: web.Request) -> web.StreamResponse:
    reply_id = path_id(request)
    await db(request).run(lambda s: delete_quick_reply(s, reply_id))
    raise web.HTTPSeeOther("/quick-replies?done=deleted")


# --- filling a quick reply for the conversation being served -------------------------------------------------


@routes.post(r"/handoffs/{id}/quick-replies/{reply}")
@requires(StaffRole.AGENT)
async def fill_for_handoff(request: web.Request) -> web.StreamResponse:
    """The quick reply's text in the conversation's language with its variables filled (as text, never markup:
    the page puts it into a text box), and the variables this conversation has no value for."""
    handoff_id, reply_id, user = path_id(request), path_id(request, "reply"), staff(request).user

    def work(session: Session) -> tuple[str, list[str]]:
        case = handoffs.served_case(session, handoff_id, user)
        reply = get_quick_reply(session, reply_id)
        values = conversation_values(session, case.handoff.conversation_id, agent=display_name(user))
        filled, missing = fill(reply.text_for(case.language), values)
        audit(
            session,
            actor=user.username,
            action="quick_reply_fill",
            customer_id=case.handoff.customer_id,
            handoff_id=handoff_id,
            quick_reply=reply.shortcut,
        )
        return filled, missing

    filled, missing = await db(request).run(work)
    notice = text(request, "workspace.missing_values", names=", ".join("{" + m + "}" for m in missing))
    return web.json_response({"text": filled, "missing": missing, "notice": notice if missing else None})


# --- notes and tags ----------------------------------------------------------------------------------------


def _back(data: dict[str, str], default: str) -> web.HTTPSeeOther:
    target = safe_next(data.get("next"))
    return web.HTTPSeeOther(default if target == "/" else target)


class Subject(TypedDict, total=False):
    """Whom notes and tags are about: one of the two, as the repository functions take it."""

    conversation_id: int
    customer_id: int


def _subject(request: web.Request) -> tuple[Subject, str]:
    """Whose notes or tags the URL names (a conversation or a customer) and the page to come back to."""
    subject_id = path_id(request)
    if request.path.startswith("/customers/"):
        return {"customer_id": subject_id}, f"/customers/{subject_id}"
    return {"conversation_id": subject_id}, f"/conversations/{subject_id}"


def _audit(session: Session, actor: str, action: str, subject: Subject, **detail: Any) -> None:
    """Notes and tags are what staff record about a person: each change is in the audit log, under the
    customer (a conversation's customer, when it has one); a tag by its id, since the log outlives an erasure
    and a tag's name can describe the person."""
    if "conversation_id" in subject:
        conversation = session.get(Conversation, subject["conversation_id"])
        customer_id = None if conversation is None else conversation.customer_id
        detail["conversation_id"] = subject["conversation_id"]
    else:
        customer_id = subject["customer_id"]
    audit(session, actor=actor, action=action, customer_id=customer_id, **detail)


@routes.post("/conversations/{id}/notes")
@routes.post("/customers/{id}/notes")
@requires(StaffRole.AGENT)
async def note(request: web.Request) -> web.StreamResponse:
    (subject, default), data, author = _subject(request), await form(request), staff(request).user.username

    def work(session: Session) -> None:
        added = add_note(session, author=author, text=data.get("text", ""), **subject)
        _audit(session, author, "staff_note_add", subject, note_id=added.id)

    await db(request).run(work)
    raise _back(data, default)


@routes.post("/conversations/{id}/notes/{note}")
@routes.post("/customers/{id}/notes/{note}")
@requires(StaffRole.AGENT)
async def edit_a_note(request: web.Request) -> web.StreamResponse:
    """A note's new text: its author's, or a supervisor's (an agent may not change a colleague's note)."""
    (subject, default), data, user = _subject(request), await form(request), staff(request).user
    note_id = path_id(request, "note")

    def work(session: Session) -> None:
        edit_note(
            session,
            note_id,
            actor=user.username,
            text=data.get("text", ""),
            supervisor=user.has_role(StaffRole.SUPERVISOR),
            **subject,
        )
        _audit(session, user.username, "staff_note_edit", subject, note_id=note_id)

    await _as_author(request, work)
    raise _back(data, default)


@routes.post("/conversations/{id}/notes/{note}/delete")
@routes.post("/customers/{id}/notes/{note}/delete")
@requires(StaffRole.AGENT)
async def delete_a_note(request: web.Request) -> web.StreamResponse:
    (subject, default), data, user = _subject(request), await form(request), staff(request).user
    note_id = path_id(request, "note")

    def work(session: Session) -> None:
        delete_note(session, note_id, actor=user.username, supervisor=user.has_role(StaffRole.SUPERVISOR), **subject)
        _audit(session, user.username, "staff_note_delete", subject, note_id=note_id)

    await _as_author(request, work)
    raise _back(data, default)


async def _as_author(request: web.Request, work: Callable[[Session], None]) -> None:
    """Runs a change of a note; someone else's note is refused as forbidden (403), in the page's language."""
    try:
        await db(request).run(work)
    except NoteNotYours as error:
        raise web.HTTPForbidden(text=describe(language(request), error)) from error


@routes.post("/conversations/{id}/tags")
@routes.post("/customers/{id}/tags")
@requires(StaffRole.AGENT)
async def tag(request: web.Request) -> web.StreamResponse:
    (subject, default), data, actor = _subject(request), await form(request), staff(request).user.username

    def work(session: Session) -> None:
        name = add_tag(session, data.get("name", ""), actor=actor, **subject)
        _audit(session, actor, "tag_add", subject, tag_id=tag_id(session, name))

    await db(request).run(work)
    raise _back(data, default)


@routes.post("/conversations/{id}/tags/remove")
@routes.post("/customers/{id}/tags/remove")
@requires(StaffRole.AGENT)
async def untag(request: web.Request) -> web.StreamResponse:
    (subject, default), data, actor = _subject(request), await form(request), staff(request).user.username

    def work(session: Session) -> None:
        if remove_tag(session, data.get("name", ""), **subject):
            _audit(session, actor, "tag_remove", subject, tag_id=tag_id(session, data.get("name", "")))

    await db(request).run(work)
    raise _back(data, default)


# --- the panel the hand-off, transcript and customer pages include -----------------------------------------


async def workspace_panel(
    request: web.Request,
    *,
    conversation_id: int | None,
    customer_id: int | None,
    show: Callable[[str], str] | None = None,
    reveal: bool = False,
    handoff_id: int | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The context of `_workspace.html`: notes and tags of the conversation and its customer and, on a hand-off
    page (`handoff_id`), the quick-reply menu in the conversation's `language`. Notes are shown through `show`
    (the page's masker) or, without one, masked with the customer's personal data unless `reveal`."""

    def load(session: Session) -> Panel:
        shown = show
        if shown is None:
            shown = mask_secrets if reveal else Masker(*personal_data_of(session, customer_id)).text
        return panel(
            session,
            conversation_id=conversation_id,
            customer_id=customer_id,
            show=shown,
            with_quick_replies=handoff_id is not None,
        )

    found = await db(request).run(load)
    return {
        "p": found,
        "menu": quick_reply_menu(found.quick_replies, language),
        "handoff_id": handoff_id,
        "limits": {"note": NOTE_MAX_CHARS, "tag": TAG_MAX_CHARS},
        "next": request.path + "#workspace",
    }


async def conversation_tags(request: web.Request, conversation_ids: list[int]) -> dict[int, list[str]]:
    """The tags of each listed conversation (the transcripts list shows them)."""
    return await db(request).run(lambda s: tags_of(s, conversation_ids=conversation_ids))


async def tagged_customer_rows(request: web.Request, tag: str) -> list[dict[str, Any]]:
    """The customer list's rows for `?tag=` (names masked as the list masks them)."""
    name = normalize_tag(tag[: TAG_MAX_CHARS * 4])

    def load(session: Session) -> list[Any]:
        return [get_customer(session, cid) for cid in tagged_customers(session, name, limit=50)]

    return [{"c": c, "name": mask_name(c.name) if c.name else None} for c in await db(request).run(load)]


def unfilled_notice(request: web.Request, answer: str) -> str | None:
    """Why a reply cannot be sent as written: it still holds a quick reply's `{variable}` (None: it can)."""
    missing = unfilled(answer)
    if not missing:
        return None
    return text(request, "workspace.unfilled", names=", ".join("{" + m + "}" for m in dict.fromkeys(missing)))


async def inbox_tags(
    request: web.Request, waiting: list[InboxItem], serving: list[InboxItem]
) -> tuple[list[InboxItem], list[InboxItem], dict[str, Any]]:
    """The inbox's tags: each row's conversation tags and, with `?tag=`, only the rows carrying that tag."""
    raw = (request.query.get("tag") or "")[: TAG_MAX_CHARS * 4]
    chosen, problem = None, None
    if raw.strip():
        try:
            chosen = normalize_tag(raw)
        except WorkspaceInputError as error:
            problem = describe(language(request), error)
    ids = [item.handoff.conversation_id for item in (*waiting, *serving)]

    def load(session: Session) -> tuple[dict[int, list[str]], list[str]]:
        return tags_of(session, conversation_ids=ids), all_tags(session)

    tags, known = await db(request).run(load)
    if chosen is not None:
        waiting = [item for item in waiting if chosen in tags.get(item.handoff.conversation_id, [])]
        serving = [item for item in serving if chosen in tags.get(item.handoff.conversation_id, [])]
    return waiting, serving, {"tag": chosen, "error": problem, "tags": tags, "known": known}

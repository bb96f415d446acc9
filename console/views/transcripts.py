"""Transcripts: the list with filters and search, one conversation with what the NLU understood of each
message, corrections of it, and their export as Rasa training data."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import Channel, ConversationStatus, Language, Message, StaffRole
from crm.privacy import audit

from console import corrections as fixes
from console.customers import personal_data_of
from console.i18n import as_read, describe, intent_label, intent_labels, refusal
from console.masking import Masker, mask_secrets
from console.transcripts import Filters, conversation_detail, find_conversations
from console.web import config, db, form, language, path_id, requires, safe_next, staff, text

routes = web.RouteTableDef()
ENTITY_ROWS = 5


@routes.get("/conversations")
@requires(StaffRole.AGENT)
async def conversation_list(request: web.Request) -> web.StreamResponse:
    cfg, info = config(request), staff(request)
    try:
        filters = Filters.parse(request.query)
        error = None
    except InvalidInput as problem:
        filters, error = Filters(), describe(language(request), problem)
    vocabulary = fixes.domain_vocabulary(cfg.domain_dir)

    def load(session: Session) -> Any:
        found = find_conversations(session, filters, cfg.tz)
        if filters.query:
            audit(
                session,
                actor=info.user.username,
                action="search_transcripts",
                customer_id=None,
                query_length=len(filters.query),
                matches=found.total,
            )
        return found

    found = await db(request).run(load)
    lang, labels = language(request), intent_labels(cfg.intent_labels_path)
    rows = []
    for row in found.rows:
        masker = Masker(names=[row.customer_name] if row.customer_name else [])
        rows.append(
            {
                "row": row,
                "customer": masker.text(row.customer_name) if row.customer_name else None,
                "preview": as_read(lang, masker.text(row.preview), labels)[:160],
            }
        )
    return aiohttp_jinja2.render_template(
        "conversations.html",
        request,
        {
            "filters": filters,
            "found": found,
            "rows": rows,
            "error": error or found.error,
            "channels": [c.value for c in Channel],
            "outcomes": [s.value for s in ConversationStatus],
            "languages": [language.value for language in Language],
            "intents": sorted({*vocabulary.intents, fixes.RASA_FALLBACK_INTENT}),
        },
    )


async def _conversation_page(
    request: web.Request, conversation_id: int, *, reveal: bool, error: str | None = None, status: int = 200
) -> web.Response:
    cfg, info = config(request), staff(request)
    vocabulary = fixes.domain_vocabulary(cfg.domain_dir)

    def load(session: Session) -> Any:
        detail = conversation_detail(session, conversation_id)
        names, identifiers = personal_data_of(session, detail.customer_id)
        known = fixes.corrections(session, message_ids=[m.id for m in detail.messages])
        audit(
            session,
            actor=info.user.username,
            action="reveal_personal_data" if reveal else "read_transcript",
            customer_id=detail.customer_id,
            conversation_id=conversation_id,
            messages=len(detail.messages),
            revealed=reveal,
        )
        return detail, names, identifiers, {c.message_id: c for c in known}

    detail, names, identifiers, known = await db(request).run(load)
    masker = None if reveal else Masker(names, identifiers)
    show = mask_secrets if masker is None else masker.text
    lang, labels = language(request), intent_labels(cfg.intent_labels_path)
    messages = []
    for m in detail.messages:
        correction = known.get(m.id)
        messages.append(
            {
                "m": m,
                "text": as_read(lang, show(m.text), labels) if m.sender == "customer" else show(m.text),
                "correction": correction,
                "entities": [{"entity": e.get("entity"), "value": show(str(e.get("value", "")))} for e in m.entities],
                "corrected_entities": []
                if correction is None
                else [{"entity": e["entity"], "value": show(str(e["value"]))} for e in correction.entities],
                "prefill": _prefill(correction.entities if correction else m.entities, show),
            }
        )
    return aiohttp_jinja2.render_template(
        "conversation.html",
        request,
        {
            "c": detail,
            "messages": messages,
            "revealed": reveal,
            "vocabulary": vocabulary,
            "error": error,
            "low": 0.5,
            "fixed": request.query.get("fixed"),
        },
        status=status,
    )


def _prefill(entities: list[dict[str, Any]], show: Any) -> list[dict[str, str]]:
    """The correction form's entity rows: the current entities, a value left empty where masking changed it
    (a masked value would not be found in the example)."""
    rows = []
    for entity in entities[:ENTITY_ROWS]:
        value = str(entity.get("value", ""))
        rows.append({"value": value if show(value) == value else "", "entity": str(entity.get("entity", ""))})
    return rows + [{"value": "", "entity": ""}] * (ENTITY_ROWS - len(rows))


@routes.get("/conversations/{id}")
@requires(StaffRole.AGENT)
async def conversation(request: web.Request) -> web.StreamResponse:
    return await _conversation_page(request, path_id(request), reveal=False)


@routes.post("/conversations/{id}")
@requires(StaffRole.AGENT)
async def conversation_revealed(request: web.Request) -> web.StreamResponse:
    """ "Show personal data": the same page unmasked, for this one response; the reveal is audited."""
    return await _conversation_page(request, path_id(request), reveal=True)


@routes.post("/messages/{id}/correction")
@requires(StaffRole.AGENT)
async def correct(request: web.Request) -> web.StreamResponse:
    cfg, info, data = config(request), staff(request), await form(request)
    message_id = path_id(request)
    vocabulary = fixes.domain_vocabulary(cfg.domain_dir)
    entities = [(data.get(f"entity_value_{i}", ""), data.get(f"entity_type_{i}", "")) for i in range(ENTITY_ROWS)]
    text = data.get("text") or None

    def conversation_of(session: Session) -> int:
        message = session.get(Message, message_id)
        if message is None:
            raise refusal(NotFound, "refusal.no_message", id=message_id)
        return message.conversation_id

    conversation_id = await db(request).run(conversation_of)
    try:
        await db(request).run(
            lambda s: fixes.save_correction(
                s,
                message_id,
                intent=data.get("intent", ""),
                entities=entities,
                text=text,
                author=info.user.username,
                vocabulary=vocabulary,
            )
        )
    except (InvalidInput, NotAllowed) as problem:
        return await _conversation_page(
            request, conversation_id, reveal=False, error=describe(language(request), problem), status=400
        )
    raise web.HTTPSeeOther(f"/conversations/{conversation_id}?fixed={message_id}#m{message_id}")


@routes.post("/corrections/{id}/delete")
@requires(StaffRole.AGENT)
async def delete_correction(request: web.Request) -> web.StreamResponse:
    correction_id = path_id(request)
    await db(request).run(lambda s: fixes.delete_correction(s, correction_id))
    target = safe_next((await form(request)).get("back"))
    raise web.HTTPSeeOther(target if target.startswith("/conversations/") else "/corrections")


@routes.get("/corrections")
@requires(StaffRole.AGENT)
async def correction_list(request: web.Request) -> web.StreamResponse:
    cfg = config(request)

    def load(session: Session) -> Any:
        items = fixes.corrections(session, limit=500)
        pending = {
            language: fixes.render_export(items, language, fixes.training_examples(cfg.nlu_dir, language))
            for language in Language
        }
        return items, pending

    items, pending = await db(request).run(load)
    lang, labels = language(request), intent_labels(cfg.intent_labels_path)
    skipped = {
        s.correction_id: text(request, "corrections.skip.known")
        if s.trained_as == s.intent
        else text(request, "corrections.skip.labelled", intent=intent_label(lang, s.trained_as, labels))
        for export in pending.values()
        for s in export.skipped
    }
    rows = [{"c": c, "text": Masker().text(c.text), "skipped": skipped.get(c.id)} for c in items]
    return aiohttp_jinja2.render_template(
        "corrections.html",
        request,
        {"rows": rows, "exports": pending, "can_export": staff(request).user.has_role(StaffRole.SUPERVISOR)},
    )


@routes.get("/corrections/export/{lang}.yml")
@requires(StaffRole.SUPERVISOR)
async def export_corrections(request: web.Request) -> web.StreamResponse:
    cfg, info = config(request), staff(request)
    try:
        language = Language(request.match_info["lang"])
    except ValueError:
        raise web.HTTPNotFound() from None

    def build(session: Session) -> fixes.Export:
        result = fixes.export(session, language, cfg.nlu_dir)
        audit(
            session,
            actor=info.user.username,
            action="export_corrections",
            customer_id=None,
            language=language.value,
            examples=result.examples,
        )
        return result

    result = await db(request).run(build)
    return web.Response(
        text=result.yaml,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="corrections-{language.value}.yml"'},
    )

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
from crm.repository.attachments import conversation_attachments

from console import corrections as fixes
from console.customers import personal_data_of
from console.i18n import as_read, describe, intent_label, intent_labels, refusal, translate
from console.masking import Masker, mask_secrets
from console.transcripts import Filters, conversation_detail, find_conversations
from console.views.workspace import conversation_tags, workspace_panel
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
            "error": error or (describe(lang, found.error) if found.error else None),
            "channels": [c.value for c in Channel],
            "outcomes": [s.value for s in ConversationStatus],
            "languages": [language.value for language in Language],
            "intents": sorted({*vocabulary.intents, fixes.RASA_FALLBACK_INTENT}),
            "tags": await conversation_tags(request, [row.id for row in found.rows]),  # agent workspace
        },
    )


async def _conversation_page(
    request: web.Request,
    conversation_id: int,
    *,
    reveal: bool,
    error: str | None = None,
    status: int = 200,
    saved_without: tuple[int, list[str]] | None = None,
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
    attachments = await db(request).run(lambda s: conversation_attachments(s, conversation_id))
    masker = None if reveal else Masker(names, identifiers)
    show = mask_secrets if masker is None else masker.text
    lang, labels = language(request), intent_labels(cfg.intent_labels_path)
    messages = []
    for m in detail.messages:
        correction = known.get(m.id)
        prefill, not_prefilled = _prefill(
            m.text, correction.entities if correction else m.entities, show, vocabulary, lang
        )
        messages.append(
            {
                "m": m,
                "text": as_read(lang, show(m.text), labels) if m.sender == "customer" else show(m.text),
                "correction": correction,
                "entities": [{"entity": e.get("entity"), "value": show(str(e.get("value", "")))} for e in m.entities],
                "corrected_entities": []
                if correction is None
                else [{"entity": e["entity"], "value": show(str(e["value"]))} for e in correction.entities],
                "prefill": prefill,
                "not_prefilled": not_prefilled,
                "saved_without": saved_without[1] if saved_without and saved_without[0] == m.id else [],
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
            "attachments": attachments,  # attachments: the conversation's images
            "fixed": saved_without[0] if saved_without else request.query.get("fixed"),
            # agent workspace: internal notes and tags
            "ws": await workspace_panel(
                request, conversation_id=conversation_id, customer_id=detail.customer_id, show=show
            ),
        },
        status=status,
    )


def _dropped(lang: str, dropped: tuple[fixes.DroppedEntity, ...], show: Any) -> list[str]:
    """Why each entity row was left out, in the reader's language (values masked like the page)."""
    return [translate(lang, d.key, value=show(d.value), entity=d.entity, **dict(d.values)) for d in dropped]


def _prefill(
    text: str, entities: list[dict[str, Any]], show: Any, vocabulary: fixes.Vocabulary, lang: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The correction form's entity rows: the current entities that fit the message and the domain
    (`fixes.prefilled_entities`), and why the others were not pre-filled. A value masking would change is not
    written into the page: its row shows the masked value as a placeholder and names the entity by its place
    (`entity_own_<row>`), and saving takes the value from the CRM (`_entity_rows`)."""
    placement = fixes.prefilled_entities(text, entities, vocabulary)
    rows: list[dict[str, Any]] = []
    for index, entity in enumerate(placement.entities[:ENTITY_ROWS]):
        value = str(entity["value"])
        masked = show(value) != value
        rows.append(
            {
                "value": "" if masked else value,
                "entity": entity["entity"],
                "masked": show(value) if masked else "",
                "own": index,
            }
        )
    blank = {"value": "", "entity": "", "masked": "", "own": ""}
    return rows + [blank] * (ENTITY_ROWS - len(rows)), _dropped(lang, placement.dropped, show)


def _entity_rows(data: dict[str, str], own: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(value, type) of the form's rows; an empty value of a row that names one of the pre-filled entities
    (`entity_own_<row>`, its place among them, with the same type) is that entity's value from the CRM."""
    rows = []
    for i in range(ENTITY_ROWS):
        value, entity = data.get(f"entity_value_{i}", ""), data.get(f"entity_type_{i}", "")
        place = data.get(f"entity_own_{i}", "")
        if not value.strip() and place.isdigit() and int(place) < len(own) and own[int(place)]["entity"] == entity:
            value = str(own[int(place)]["value"])
        rows.append((value, entity))
    return rows


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
    text = data.get("text") or None

    def conversation_of(session: Session) -> int:
        message = session.get(Message, message_id)
        if message is None:
            raise refusal(NotFound, "refusal.no_message", id=message_id)
        return message.conversation_id

    def save(session: Session) -> fixes.Saved:
        message = session.get(Message, message_id)
        if message is None:
            raise refusal(NotFound, "refusal.no_message", id=message_id)
        known = fixes.corrections(session, message_ids=[message_id])
        # the rows the form was pre-filled from (`_prefill`): the same entities, placed the same way
        own = fixes.prefilled_entities(
            message.text, known[0].entities if known else (message.entities or []), vocabulary
        )
        return fixes.save_correction(
            session,
            message_id,
            intent=data.get("intent", ""),
            entities=_entity_rows(data, own.entities[:ENTITY_ROWS]),
            text=text,
            author=info.user.username,
            vocabulary=vocabulary,
        )

    conversation_id = await db(request).run(conversation_of)
    try:
        saved = await db(request).run(save)
    except (InvalidInput, NotAllowed) as problem:
        return await _conversation_page(
            request, conversation_id, reveal=False, error=describe(language(request), problem), status=400
        )
    if saved.dropped:
        # Saved, and the page says which rows were left out (a redirect would lose the reasons).
        lang = language(request)
        return await _conversation_page(
            request,
            conversation_id,
            reveal=False,
            saved_without=(message_id, _dropped(lang, saved.dropped, Masker().text)),
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

"""The live hand-off inbox and the agent's workspace for one conversation: its history, the live exchange
(read from the Rasa tracker, the ground truth while the bot is paused), replies delivered through Rasa to
the customer's channel, and handing the conversation back to the bot."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.models import HandoffStatus, StaffRole
from crm.images import MAX_BYTES
from crm.privacy import audit
from crm.repository.attachments import conversation_attachments

from console import handoffs
from console import orders as order_panel
from console.customers import personal_data_of
from console.i18n import as_read, intent_labels, label, readable_summary
from console.masking import Masker, mask_secrets
from console.notices import announce, display_name
from console.rasa import RasaClient, RasaUnavailable, live_messages
from console.survey import ask_rating
from console.transcripts import conversation_detail
from console.views.queue import inbox_queue
from console.views.workspace import inbox_tags, unfilled_notice, workspace_panel
from console.web import config, db, form, language, path_id, requires, staff, text

routes = web.RouteTableDef()
RASA = web.AppKey("rasa", RasaClient)
REPLY_MAX_CHARS = 2000


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@routes.get("/")
@requires(StaffRole.AGENT)
async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/inbox")


@routes.get("/inbox")
@requires(StaffRole.AGENT)
async def inbox(request: web.Request) -> web.StreamResponse:
    waiting, serving = await db(request).run(handoffs.inbox)
    waiting, serving, tagging = await inbox_tags(request, waiting, serving)  # agent workspace: tags
    waiting, serving, queue = await inbox_queue(request, waiting, serving)  # queue: mine / unassigned / all

    def shown(items: list[handoffs.InboxItem]) -> list[dict[str, Any]]:
        return [
            {"i": item, "name": Masker([item.customer_name]).text(item.customer_name) if item.customer_name else None}
            for item in items
        ]

    template = "inbox_rows.html" if request.query.get("fragment") else "inbox.html"
    done = request.query.get("done", "")
    return aiohttp_jinja2.render_template(
        template,
        request,
        {
            "waiting": shown(waiting),
            "serving": shown(serving),
            "me": staff(request).user.username,
            "tagging": tagging,
            "queue": queue,
            "notice": text(request, f"inbox.done.{done}") if done in ("closed", "closed_unreachable") else None,
        },
    )


@routes.post("/handoffs/{id}/take")
@requires(StaffRole.AGENT)
async def take(request: web.Request) -> web.StreamResponse:
    handoff_id, user = path_id(request), staff(request).user
    taken = await db(request).run(lambda s: handoffs.take(s, handoff_id, user))
    if taken:  # notices: the customer is told who joined
        sender = (await db(request).run(lambda s: handoffs.case(s, handoff_id))).sender_id
        await announce(request.app[RASA], sender, "joined", user)
    raise web.HTTPSeeOther(f"/handoffs/{handoff_id}")


async def _live(
    request: web.Request, case: handoffs.HandoffCase, masker: Masker | None
) -> tuple[list[dict[str, Any]], str | None]:
    if case.sender_id is None:
        return [], text(request, "handoff.no_sender")
    try:
        tracker = await request.app[RASA].tracker(case.sender_id)
    except RasaUnavailable as problem:
        return [], text(request, "handoff.live_unavailable", problem=problem)
    show = mask_secrets if masker is None else masker.text
    lang = language(request)
    said = [
        {
            **m,
            "text": show(m["text"]),
            "label": label(lang, "sender", m["who"]),
            "at": None if m.get("at") is None else datetime.fromtimestamp(m["at"], timezone.utc),
        }
        for m in live_messages(tracker)
    ]
    # orders panel: what staff did to the customer's orders, as internal lines among the messages
    internal = await db(request).run(lambda s: order_panel.internal_lines(s, case.handoff, lang))
    return order_panel.merged(said, [{**m, "label": label(lang, "sender", m["who"])} for m in internal]), None


async def _workspace(
    request: web.Request, *, reveal: bool, error: str | None = None, status: int = 200
) -> web.Response:
    handoff_id, info = path_id(request), staff(request)

    def load(session: Session) -> Any:
        case = handoffs.case(session, handoff_id)
        detail = conversation_detail(session, case.handoff.conversation_id)
        names, identifiers = personal_data_of(session, case.handoff.customer_id)
        audit(
            session,
            actor=info.user.username,
            action="reveal_personal_data" if reveal else "read_transcript",
            customer_id=case.handoff.customer_id,
            conversation_id=case.handoff.conversation_id,
            handoff_id=handoff_id,
            revealed=reveal,
        )
        orders = order_panel.panel(session, case.handoff.customer_id, reveal=reveal)
        return case, detail, names, identifiers, orders, conversation_attachments(session, case.handoff.conversation_id)

    case, detail, names, identifiers, orders, attachments = await db(request).run(load)
    masker = None if reveal else Masker(names, identifiers)
    show = mask_secrets if masker is None else masker.text
    live, live_problem = await _live(request, case, masker)
    lang, labels = language(request), intent_labels(config(request).intent_labels_path)
    history = [
        {"m": m, "text": as_read(lang, show(m.text), labels) if m.sender == "customer" else show(m.text)}
        for m in detail.messages
    ]
    return aiohttp_jinja2.render_template(
        "handoff.html",
        request,
        {
            "case": case,
            "h": case.handoff,
            "summary": readable_summary(lang, show(case.handoff.summary or ""), labels),
            "history": history,
            "live": live,
            "live_problem": live_problem,
            "revealed": reveal,
            "error": error,
            "serving": handoffs.may_serve(case.handoff, info.user),
            "waiting": case.handoff.status == HandoffStatus.WAITING,
            "closed": case.handoff.status == HandoffStatus.CLOSED,
            # agent workspace: quick replies, internal notes, tags (console/views/workspace.py)
            "ws": await workspace_panel(
                request,
                conversation_id=case.handoff.conversation_id,
                customer_id=case.handoff.customer_id,
                show=show,
                handoff_id=case.handoff.id,
                language=case.language,
            ),
            "reply_max": REPLY_MAX_CHARS,
            "orders": orders,
            "attachments": attachments,  # attachments: the conversation's images, and sending one
            "image_max_mb": MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@routes.get("/handoffs/{id}")
@requires(StaffRole.AGENT)
async def workspace(request: web.Request) -> web.StreamResponse:
    return await _workspace(request, reveal=False)


@routes.post("/handoffs/{id}")
@requires(StaffRole.AGENT)
async def workspace_revealed(request: web.Request) -> web.StreamResponse:
    return await _workspace(request, reveal=True)


@routes.get("/handoffs/{id}/live")
@requires(StaffRole.AGENT)
async def live(request: web.Request) -> web.StreamResponse:
    """The live exchange as JSON (masked), for the workspace page to poll."""
    handoff_id = path_id(request)

    def load(session: Session) -> Any:
        case = handoffs.case(session, handoff_id)
        return case, personal_data_of(session, case.handoff.customer_id)

    case, (names, identifiers) = await db(request).run(load)
    messages, problem = await _live(request, case, Masker(names, identifiers))
    return web.json_response(
        {
            "status": case.handoff.status.value,
            "problem": problem,
            "messages": [
                {
                    "who": m["who"],
                    "label": m["label"],
                    "text": m["text"],
                    "at": None if m["at"] is None else m["at"].isoformat(),
                    "image": f"/attachments/{m['image']}" if m.get("image") else None,
                }
                for m in messages
            ],
        }
    )


@routes.post("/handoffs/{id}/reply")
@requires(StaffRole.AGENT)
async def reply(request: web.Request) -> web.StreamResponse:
    handoff_id, user = path_id(request), staff(request).user
    answer = (await form(request)).get("text", "").strip()

    case = await db(request).run(lambda s: handoffs.served_case(s, handoff_id, user))
    # 400: the message itself; 409: this conversation cannot be answered from here; 502: Rasa did not take it.
    problem, status = None, 200
    if not answer:
        problem, status = text(request, "handoff.write_first"), 400
    elif len(answer) > REPLY_MAX_CHARS:
        problem, status = text(request, "handoff.too_long", n=REPLY_MAX_CHARS), 400
    elif (unfilled := unfilled_notice(request, answer)) is not None:  # a quick reply's {variable} left in it
        problem, status = unfilled, 400
    elif case.sender_id is None:
        problem, status = text(request, "handoff.cannot_answer"), 409
    else:
        try:
            await request.app[RASA].say_as_agent(case.sender_id, answer, agent=display_name(user))
        except RasaUnavailable as error:
            problem, status = text(request, "handoff.not_delivered", problem=error), 502
    if problem is None:
        await db(request).run(
            lambda s: audit(
                s,
                actor=user.username,
                action="handoff_reply",
                customer_id=case.handoff.customer_id,
                handoff_id=handoff_id,
                characters=len(answer),
            )
        )
    if _wants_json(request):
        return web.json_response({"ok": problem is None, "error": problem}, status=status)
    if problem is not None:
        return await _workspace(request, reveal=False, error=problem, status=status)
    raise web.HTTPSeeOther(f"/handoffs/{handoff_id}#reply")


@routes.post("/handoffs/{id}/close")
@requires(StaffRole.AGENT)
async def hand_back(request: web.Request) -> web.StreamResponse:
    """Rasa first (`resume` + `action_listen`), then the CRM: if Rasa cannot be told, the conversation stays
    with the agent rather than being closed while the bot is still paused."""
    handoff_id, user = path_id(request), staff(request).user

    case = await db(request).run(lambda s: handoffs.served_case(s, handoff_id, user, "refusal.hand_back"))
    if case.sender_id is not None:
        await announce(request.app[RASA], case.sender_id, "left", user)
        try:
            await request.app[RASA].hand_back(case.sender_id)
        except RasaUnavailable as error:
            return await _workspace(
                request, reveal=False, error=text(request, "handoff.not_handed_back", problem=error), status=502
            )
    await db(request).run(lambda s: handoffs.finish(s, handoff_id, user))
    await ask_rating(request.app[RASA], case.sender_id, handoff_id)  # CSAT: the customer rates the help
    raise web.HTTPSeeOther("/inbox?done=closed" if case.sender_id is not None else "/inbox?done=closed_unreachable")

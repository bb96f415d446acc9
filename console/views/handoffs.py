"""The live hand-off inbox and the agent's workspace for one conversation: its history, the live exchange
(read from the Rasa tracker, the ground truth while the bot is paused), replies delivered through Rasa to
the customer's channel, and handing the conversation back to the bot."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import NotAllowed
from crm.models import HandoffStatus, StaffRole
from crm.privacy import audit

from console import handoffs
from console.customers import personal_data_of
from console.masking import Masker, mask_secrets
from console.rasa import RasaClient, RasaUnavailable, live_messages
from console.transcripts import conversation_detail
from console.web import db, form, path_id, requires, staff

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

    def shown(items: list[handoffs.InboxItem]) -> list[dict[str, Any]]:
        return [{"i": item, "name": Masker([item.customer_name]).text(item.customer_name) if item.customer_name else None}
                for item in items]

    template = "inbox_rows.html" if request.query.get("fragment") else "inbox.html"
    return aiohttp_jinja2.render_template(template, request, {
        "waiting": shown(waiting), "serving": shown(serving), "me": staff(request).user.username,
        "notice": {"closed": "Handed back to the assistant.",
                   "closed_unreachable": "Closed in the CRM. Its Rasa sender is not known, so the assistant could "
                                         "not be resumed from here."}.get(request.query.get("done", ""))})


@routes.post("/handoffs/{id}/take")
@requires(StaffRole.AGENT)
async def take(request: web.Request) -> web.StreamResponse:
    handoff_id, user = path_id(request), staff(request).user
    await db(request).run(lambda s: handoffs.take(s, handoff_id, user))
    raise web.HTTPSeeOther(f"/handoffs/{handoff_id}")


async def _live(request: web.Request, case: handoffs.HandoffCase, masker: Masker | None) -> tuple[list[dict[str, Any]], str | None]:
    if case.sender_id is None:
        return [], ("This conversation's Rasa sender is not known (the hand-off was queued without it), so the "
                    "console cannot show the live exchange or answer here.")
    try:
        tracker = await request.app[RASA].tracker(case.sender_id)
    except RasaUnavailable as problem:
        return [], f"Live exchange unavailable: {problem}."
    show = mask_secrets if masker is None else masker.text
    return [{**m, "text": show(m["text"]),
             "at": None if m.get("at") is None else datetime.fromtimestamp(m["at"], timezone.utc)}
            for m in live_messages(tracker)], None


async def _workspace(request: web.Request, *, reveal: bool, error: str | None = None, status: int = 200) -> web.Response:
    handoff_id, info = path_id(request), staff(request)

    def load(session: Session) -> Any:
        case = handoffs.case(session, handoff_id)
        detail = conversation_detail(session, case.handoff.conversation_id)
        names, identifiers = personal_data_of(session, case.handoff.customer_id)
        audit(session, actor=info.user.username, action="reveal_personal_data" if reveal else "read_transcript",
              customer_id=case.handoff.customer_id, conversation_id=case.handoff.conversation_id,
              handoff_id=handoff_id, revealed=reveal)
        return case, detail, names, identifiers

    case, detail, names, identifiers = await db(request).run(load)
    masker = None if reveal else Masker(names, identifiers)
    show = mask_secrets if masker is None else masker.text
    live, live_problem = await _live(request, case, masker)
    history = [{"m": m, "text": show(m.text)} for m in detail.messages]
    return aiohttp_jinja2.render_template("handoff.html", request, {
        "case": case, "h": case.handoff, "summary": show(case.handoff.summary or ""), "history": history,
        "live": live, "live_problem": live_problem, "revealed": reveal, "error": error,
        "serving": handoffs.may_serve(case.handoff, info.user), "waiting": case.handoff.status == HandoffStatus.WAITING,
        "closed": case.handoff.status == HandoffStatus.CLOSED, "reply_max": REPLY_MAX_CHARS}, status=status)


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
    return web.json_response({"status": case.handoff.status.value, "problem": problem, "messages": [
        {"who": m["who"], "text": m["text"], "at": None if m["at"] is None else m["at"].isoformat()} for m in messages]})


@routes.post("/handoffs/{id}/reply")
@requires(StaffRole.AGENT)
async def reply(request: web.Request) -> web.StreamResponse:
    handoff_id, user = path_id(request), staff(request).user
    text = (await form(request)).get("text", "").strip()

    def check(session: Session) -> handoffs.HandoffCase:
        case = handoffs.case(session, handoff_id)
        if not handoffs.may_serve(case.handoff, user):
            raise NotAllowed("take the conversation first: only the agent serving it can answer")
        return case

    case = await db(request).run(check)
    # 400: the message itself; 409: this conversation cannot be answered from here; 502: Rasa did not take it.
    problem, status = None, 200
    if not text:
        problem, status = "Write a message first.", 400
    elif len(text) > REPLY_MAX_CHARS:
        problem, status = f"A message has at most {REPLY_MAX_CHARS} characters.", 400
    elif case.sender_id is None:
        problem, status = "This conversation's Rasa sender is not known: the console cannot answer it.", 409
    else:
        try:
            await request.app[RASA].say_as_agent(case.sender_id, text)
        except RasaUnavailable as error:
            problem, status = f"Not delivered: {error}.", 502
    if problem is None:
        await db(request).run(lambda s: audit(s, actor=user.username, action="handoff_reply",
                                              customer_id=case.handoff.customer_id, handoff_id=handoff_id,
                                              characters=len(text)))
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

    def check(session: Session) -> handoffs.HandoffCase:
        case = handoffs.case(session, handoff_id)
        if not handoffs.may_serve(case.handoff, user):
            raise NotAllowed("only the agent serving this conversation (or a supervisor) can hand it back")
        return case

    case = await db(request).run(check)
    if case.sender_id is not None:
        try:
            await request.app[RASA].hand_back(case.sender_id)
        except RasaUnavailable as error:
            return await _workspace(request, reveal=False, error=f"Not handed back: {error}.", status=502)
    await db(request).run(lambda s: handoffs.finish(s, handoff_id, user))
    raise web.HTTPSeeOther("/inbox?done=closed" if case.sender_id is not None else "/inbox?done=closed_unreachable")

"""Queue operations in the console (#16 item 3): an agent's presence (set in the header, kept alive by the
page's heartbeat), their cap on concurrent conversations, a supervisor routing a waiting request to an agent,
and the inbox's "mine / unassigned / all" with the agents' presence shown to supervisors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.hours import QueueSettings
from crm.models import HandoffRequest, PresenceStatus, StaffRole
from crm.privacy import audit, utcnow
from crm.repository import queue

from console.handoffs import InboxItem
from console.web import db, form, path_id, requires, safe_next, staff, text

routes = web.RouteTableDef()
VIEWS = ("all", "mine", "unassigned")
USERNAME_MAX_CHARS = 64


def settings() -> QueueSettings:
    return QueueSettings.from_environment()


def _back(request: web.Request) -> str:
    referer = request.headers.get("Referer", "")
    parts = urlsplit(referer)
    if parts.netloc != request.host:
        return "/inbox"
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


@routes.post("/presence")
@requires(StaffRole.AGENT)
async def set_presence(request: web.Request) -> web.StreamResponse:
    data = await form(request)
    status = data.get("status", "")
    if status not in {s.value for s in PresenceStatus}:
        raise web.HTTPBadRequest(text=text(request, "queue.bad_presence"))
    user = staff(request).user
    await db(request).run(lambda s: queue.set_presence(s, user.id, status))
    raise web.HTTPSeeOther(_back(request))


@routes.post("/presence/heartbeat")
@requires(StaffRole.AGENT)
async def heartbeat(request: web.Request) -> web.StreamResponse:
    """The page is open: keeps the agent's presence alive; answers what counts now."""
    user, config = staff(request).user, settings()

    def beat(session: Session) -> dict[str, Any]:
        queue.heartbeat(session, user.id)
        mine = next(a for a in queue.agents(session, config) if a.username == user.username)
        return {"status": mine.status.value, "chosen": mine.chosen.value}

    return web.json_response(await db(request).run(beat))


@routes.post("/presence/cap")
@requires(StaffRole.AGENT)
async def set_cap(request: web.Request) -> web.StreamResponse:
    raw = (await form(request)).get("max_open", "").strip()
    if raw and (not raw.isdigit() or len(raw) > 3):
        raise web.HTTPBadRequest(text=text(request, "queue.bad_cap"))
    user = staff(request).user
    try:
        await db(request).run(lambda s: queue.set_max_open(s, user.id, int(raw) if raw else None))
    except InvalidInput:
        raise web.HTTPBadRequest(text=text(request, "queue.bad_cap")) from None
    raise web.HTTPSeeOther(_back(request))


@routes.post("/handoffs/{id}/assign")
@requires(StaffRole.SUPERVISOR)
async def assign(request: web.Request) -> web.StreamResponse:
    handoff_id, actor = path_id(request), staff(request).user.username
    agent = (await form(request)).get("agent", "").strip()
    if not agent or len(agent) > USERNAME_MAX_CHARS:
        raise web.HTTPBadRequest(text=text(request, "queue.bad_agent"))

    def work(session: Session) -> None:
        queue.assign_to(session, handoff_id, agent, by=actor)
        customer_id = session.get_one(HandoffRequest, handoff_id).customer_id  # assign_to found it
        audit(
            session, actor=actor, action="handoff_assign", customer_id=customer_id, handoff_id=handoff_id, agent=agent
        )

    try:
        await db(request).run(work)
    except NotFound:
        raise web.HTTPBadRequest(text=text(request, "queue.bad_agent")) from None
    except NotAllowed:
        raise web.HTTPConflict(text=text(request, "queue.not_waiting")) from None
    raise web.HTTPSeeOther("/inbox?view=all")


async def inbox_queue(
    request: web.Request, waiting: list[InboxItem], serving: list[InboxItem]
) -> tuple[list[InboxItem], list[InboxItem], dict[str, Any]]:
    """The inbox's queue view: `?view=mine` (routed to me or taken by me), `unassigned` (waiting, routed to
    nobody) or `all`; each waiting row's routed agent; the agents' presence for supervisors; my own."""
    view = request.query.get("view", "all")
    view = view if view in VIEWS else "all"
    user, config = staff(request).user, settings()
    ids = [item.handoff.id for item in waiting]

    def load(session: Session) -> tuple[dict[int, str | None], list[queue.AgentState]]:
        return queue.routes_of(session, ids), queue.agents(session, config, now=utcnow())

    routed, agents = await db(request).run(load)
    me = user.username
    if view == "mine":
        waiting = [item for item in waiting if routed.get(item.handoff.id) == me]
        serving = [item for item in serving if item.handoff.agent == me]
    elif view == "unassigned":
        waiting = [item for item in waiting if routed.get(item.handoff.id) is None]
        serving = []
    mine = next((a for a in agents if a.username == me), None)
    return (
        waiting,
        serving,
        {
            "view": view,
            "routed": routed,
            "agents": agents if user.has_role(StaffRole.SUPERVISOR) else [],
            "mine": mine,
            "auto_assign": config.auto_assign,
        },
    )

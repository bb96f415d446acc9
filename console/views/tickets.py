"""Tickets in the console (#16 item 7): the list (status, assignee, type, number; counts per status), a
ticket's page (customer, type, the promise given, the conversation, its history), and the changes — assign
(oneself; a supervisor to anyone), an internal comment, open / pending, and closing with a resolution note,
which tells the customer on their channel. Plain forms with the page's CSRF token; every change is audited.

An agent works the tickets that are theirs or nobody's (working an unassigned one makes it theirs); a
supervisor works any. Comments are open to every agent."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import StaffRole, TicketCategory
from crm.privacy import audit
from crm.repository.support import (
    ASSIGNEE_FILTERS,
    COMMENT_MAX_CHARS,
    RESOLUTION_MAX_CHARS,
    STATUS_FILTERS,
    TICKET_NUMBER,
    TicketError,
    assign_ticket,
    change_ticket_status,
    close_ticket,
    comment_ticket,
    list_tickets,
    ticket_detail,
    ticket_exists,
    ticket_number,
)

from console import tickets
from console.i18n import describe
from console.views.handoffs import RASA
from console.web import db, form, language, requires, staff, text

routes = web.RouteTableDef()
DONE = ("assigned", "commented", "status", "closed", "told", "not_told", "unchanged")
QUERY_MAX_CHARS = 40


def _number(request: web.Request) -> str:
    try:
        return ticket_number(request.match_info["number"])
    except TicketError:
        raise web.HTTPNotFound() from None


def _choice(request: web.Request, name: str, allowed: tuple[str, ...] | list[str], default: str) -> str:
    value = request.query.get(name, default)
    return value if value in allowed else default


@routes.get("/tickets")
@requires(StaffRole.AGENT)
async def ticket_list(request: web.Request) -> web.StreamResponse:
    me = staff(request).user.username
    status = _choice(request, "status", tuple(STATUS_FILTERS), "open")
    assignee = _choice(request, "assignee", ASSIGNEE_FILTERS, "all")
    category = _choice(request, "type", [""] + [c.value for c in TicketCategory], "")
    query = (request.query.get("q") or "").strip()[:QUERY_MAX_CHARS]
    customer = request.query.get("customer", "")
    customer_id = int(customer) if customer.isascii() and customer.isdigit() and len(customer) <= 18 else None
    whole = query.upper()
    if TICKET_NUMBER.fullmatch(whole) is not None and await db(request).run(lambda s: ticket_exists(s, whole)):
        raise web.HTTPSeeOther(f"/tickets/{whole}")  # a whole number: its page, whatever its status
    error = None
    try:
        listing = await db(request).run(
            lambda s: list_tickets(
                s,
                me=me,
                status=status,
                assignee=assignee,
                category=category or None,
                number=query or None,
                customer_id=customer_id,
            )
        )
    except TicketError as problem:
        error = describe(language(request), problem)
        listing = await db(request).run(
            lambda s: list_tickets(s, me=me, status=status, assignee=assignee, customer_id=customer_id)
        )

    def link(**changes: str) -> str:
        chosen = {"status": status, "assignee": assignee, "type": category, "q": query, "customer": customer}
        chosen.update(changes)
        return "/tickets?" + urlencode({k: v for k, v in chosen.items() if v})

    return aiohttp_jinja2.render_template(
        "tickets.html",
        request,
        {
            "listing": listing,
            "status": status,
            "assignee": assignee,
            "category": category,
            "query": query,
            "customer_id": customer_id,
            "statuses": [(s, text(request, f"tickets.status.{s}")) for s in ("open", "pending", "closed", "all")],
            "assignees": [(a, text(request, f"tickets.assignee.{a}")) for a in ASSIGNEE_FILTERS],
            "categories": [c.value for c in TicketCategory],
            "link": link,
            "error": error,
        },
    )


async def _page(request: web.Request, number: str, *, error: str | None = None, status: int = 200) -> web.Response:
    shown = await db(request).run(lambda s: tickets.page(s, number))
    done = request.query.get("done", "")
    user = staff(request).user
    ticket = shown.ticket
    return aiohttp_jinja2.render_template(
        "ticket.html",
        request,
        {
            "p": shown,
            "k": ticket,
            "error": error,
            "notice": text(request, f"tickets.done.{done}") if done in DONE and error is None else None,
            "may_work": ticket.assignee in (None, user.username) or user.has_role(StaffRole.SUPERVISOR),
            "supervisor": user.has_role(StaffRole.SUPERVISOR),
            "comment_max": COMMENT_MAX_CHARS,
            "resolution_max": RESOLUTION_MAX_CHARS,
            "untold": ticket.status.value == "closed" and ticket.customer_told_at is None and ticket.reachable,
        },
        status=status,
    )


@routes.get("/tickets/{number}")
@requires(StaffRole.AGENT)
async def ticket_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, _number(request))


async def _change(request: web.Request, number: str, work: Any, done: str) -> web.StreamResponse:
    """Runs `work(session) -> changed` in one transaction; a refusal is the ticket's page saying why."""
    try:
        changed = await db(request).run(work)
    except (InvalidInput, NotAllowed, NotFound) as problem:
        code = 400 if isinstance(problem, InvalidInput) else 404 if isinstance(problem, NotFound) else 409
        if isinstance(problem, NotFound) and getattr(problem, "code", None) == "not_found":
            raise web.HTTPNotFound() from None
        return await _page(request, number, error=describe(language(request), problem), status=code)
    raise web.HTTPSeeOther(f"/tickets/{number}?done={done if changed else 'unchanged'}")


def _audited(session: Session, number: str, actor: str, action: str, **detail: Any) -> None:
    customer_id = ticket_detail(session, number).customer_id
    audit(session, actor=actor, action=action, customer_id=customer_id, ticket=number, **detail)


@routes.post("/tickets/{number}/assign")
@requires(StaffRole.AGENT)
async def assign(request: web.Request) -> web.StreamResponse:
    number, user = _number(request), staff(request).user
    chosen = (await form(request)).get("agent", "").strip()[:64] or user.username
    supervisor = user.has_role(StaffRole.SUPERVISOR)

    def work(session: Session) -> bool:
        changed = assign_ticket(session, number, chosen, actor=user.username, supervisor=supervisor)
        if changed:
            _audited(session, number, user.username, "ticket_assign", agent=chosen)
        return changed

    return await _change(request, number, work, "assigned")


@routes.post("/tickets/{number}/comment")
@requires(StaffRole.AGENT)
async def comment(request: web.Request) -> web.StreamResponse:
    number, user = _number(request), staff(request).user
    said = (await form(request)).get("text", "")

    def work(session: Session) -> bool:
        comment_ticket(session, number, said, actor=user.username)
        _audited(session, number, user.username, "ticket_comment", characters=len(said.strip()))
        return True

    return await _change(request, number, work, "commented")


@routes.post("/tickets/{number}/status")
@requires(StaffRole.AGENT)
async def set_status(request: web.Request) -> web.StreamResponse:
    number, user = _number(request), staff(request).user
    chosen = (await form(request)).get("status", "")[:20]
    supervisor = user.has_role(StaffRole.SUPERVISOR)

    def work(session: Session) -> bool:
        changed = change_ticket_status(session, number, chosen, actor=user.username, supervisor=supervisor)
        if changed:
            _audited(session, number, user.username, "ticket_status", status=chosen)
        return changed

    return await _change(request, number, work, "status")


@routes.post("/tickets/{number}/close")
@requires(StaffRole.AGENT)
async def close(request: web.Request) -> web.StreamResponse:
    """Closed (once: closing a closed ticket changes nothing), then the customer is told on their channel; a
    customer Rasa could not reach is told when the ticket is closed again (the page offers it)."""
    number, user = _number(request), staff(request).user
    note = (await form(request)).get("resolution", "")
    supervisor = user.has_role(StaffRole.SUPERVISOR)

    def work(session: Session) -> bool:
        changed = close_ticket(session, number, note, actor=user.username, supervisor=supervisor)
        if changed:
            _audited(session, number, user.username, "ticket_close", characters=len(note.strip()))
        return changed

    try:
        closed = await db(request).run(work)
    except (InvalidInput, NotAllowed, NotFound) as problem:
        code = 400 if isinstance(problem, InvalidInput) else 404 if isinstance(problem, NotFound) else 409
        return await _page(request, number, error=describe(language(request), problem), status=code)
    told = await tickets.tell_closed(db(request), request.app[RASA], number, actor=user.username)
    done = "not_told" if told is False else "closed" if closed else "told" if told else "unchanged"
    raise web.HTTPSeeOther(f"/tickets/{number}?done={done}")

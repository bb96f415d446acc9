"""Customer 360: finding a customer, and everything the shop knows about them on one page."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotFound
from crm.models import Segment, StaffRole
from crm.privacy import mask_name
from crm.repository import customers_in_segment, get_customer

from console.customers import Recommendations, customer_by_reference, customer_page
from console.i18n import describe
from console.views.workspace import tagged_customer_rows, workspace_panel
from console.web import db, language, path_id, requires, staff, text

routes = web.RouteTableDef()
RECOMMENDATIONS = web.AppKey("recommendations", Recommendations)


@routes.get("/customers")
@requires(StaffRole.AGENT)
async def find(request: web.Request) -> web.StreamResponse:
    query = (request.query.get("q") or "").strip()
    segment = (request.query.get("segment") or "").strip()
    error = None
    if query:
        try:
            found = await db(request).run(lambda s: customer_by_reference(s, query))
        except (InvalidInput, NotFound) as problem:
            error = describe(language(request), problem)
        else:
            raise web.HTTPSeeOther(f"/customers/{found.id}")
    listed: list[Any] = []
    if segment:
        try:
            chosen = Segment(segment)
        except ValueError:
            error = text(request, "customers.not_segment", segment=repr(segment[:40]))
        else:

            def load(session: Session) -> list[Any]:
                return [get_customer(session, cid) for cid in customers_in_segment(session, chosen, limit=50)]

            listed = [{"c": c, "name": mask_name(c.name) if c.name else None} for c in await db(request).run(load)]
    tag = (request.query.get("tag") or "").strip()
    if tag:  # agent workspace: the customers staff tagged so
        try:
            listed = await tagged_customer_rows(request, tag)
        except InvalidInput as problem:
            error = describe(language(request), problem)
    return aiohttp_jinja2.render_template(
        "customers.html",
        request,
        {
            "q": query,
            "segment": segment,
            "segments": [s.value for s in Segment],
            "listed": listed,
            "error": error,
            "tag": tag,
        },
    )


async def _page(request: web.Request, *, reveal: bool) -> web.Response:
    info = staff(request)
    customer_id = path_id(request)
    page = await db(request).run(lambda s: customer_page(s, customer_id, actor=info.user.username, reveal=reveal))
    profile = page.profile.customer
    recommendations: list[Any] = []
    notice: str | None = None
    if profile.erased:
        notice = text(request, "customer.notice.erased")
    elif not profile.personalization_consent:
        notice = text(request, "customer.notice.no_consent")
    else:
        recommendations, problem = await _recommend(request, customer_id, profile.preferred_language.value)
        notice = None if problem is None else text(request, "customer.notice.recommender", problem=problem)
    return aiohttp_jinja2.render_template(
        "customer.html",
        request,
        {
            "p": page,
            "c": profile,
            "revealed": reveal,
            "recommendations": recommendations,
            "rec_notice": notice,
            # agent workspace: internal notes and tags
            "ws": await workspace_panel(request, conversation_id=None, customer_id=customer_id, reveal=reveal),
        },
    )


async def _recommend(request: web.Request, customer_id: int, language: str) -> tuple[list[Any], str | None]:
    recommendations = request.app[RECOMMENDATIONS]
    return await db(request).run(lambda s: recommendations.for_customer(s, customer_id, language=language))


@routes.get("/customers/{id}")
@requires(StaffRole.AGENT)
async def customer(request: web.Request) -> web.StreamResponse:
    return await _page(request, reveal=False)


@routes.post("/customers/{id}")
@requires(StaffRole.AGENT)
async def customer_revealed(request: web.Request) -> web.StreamResponse:
    """ "Show personal data" for this one response; `customer_360` audits the reveal."""
    return await _page(request, reveal=True)

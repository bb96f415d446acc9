"""The orders panel's actions on the hand-off page: one POST per action on one of the customer's orders, with
the page's CSRF token and the agent's confirmation; the work and its rules are console/orders.py's."""

from __future__ import annotations

from aiohttp import web

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import StaffRole

from console import orders
from console.i18n import describe
from console.views.handoffs import _workspace
from console.web import db, form, language, path_id, requires, staff, text

routes = web.RouteTableDef()


@routes.post("/handoffs/{id}/orders/{number}/{action}")
@requires(StaffRole.AGENT)
async def order_action(request: web.Request) -> web.StreamResponse:
    """Done: back to the hand-off, where the transcript shows it as an internal line. Refused (not the agent
    serving it, not in this state, the CRM's own rules): the hand-off page again, saying why."""
    handoff_id, user = path_id(request), staff(request).user
    action, number = request.match_info["action"], request.match_info["number"]
    fields = await form(request)
    if fields.get("confirm") != "yes":
        return await _workspace(request, reveal=False, error=text(request, "orders.confirm_first"), status=400)
    try:
        await db(request).run(lambda s: orders.act(s, handoff_id, user, action, number, fields))
    except (InvalidInput, NotAllowed, NotFound) as error:
        status = 400 if isinstance(error, InvalidInput) else 404 if isinstance(error, NotFound) else 409
        problem = describe(language(request), error)
        if getattr(error, "message_key", None) is None:  # the CRM's own words, in English
            problem = text(request, "orders.crm_refused", reason=problem)
        return await _workspace(request, reveal=False, error=problem, status=status)
    raise web.HTTPSeeOther(f"/handoffs/{handoff_id}#orders")

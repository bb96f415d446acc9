"""The metrics dashboard: figures with their definitions, and charts drawn on the server as SVG."""

from __future__ import annotations

import asyncio
import time

import aiohttp_jinja2
from aiohttp import web

from crm.models import StaffRole

from console.charts import CHARTS
from console.dashboard import Dashboard, compute_dashboard
from console.i18n import intent_labels
from console.service_csv import service_csv
from console.web import config, db, language, requires

routes = web.RouteTableDef()
PERIODS = (7, 30, 90, 365)
CACHE_SECONDS = 60.0
CACHE = web.AppKey("dashboard_cache", dict)


def _days(request: web.Request) -> int:
    try:
        days = int(request.query.get("days", "30"))
    except ValueError:
        days = 30
    return days if days in PERIODS else 30


async def _board(request: web.Request, days: int) -> Dashboard:
    """The page and its five charts read the same figures: computed once a minute per period."""
    cache = request.app[CACHE]
    hit = cache.get(days)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    tz = config(request).tz
    board = await db(request).run(lambda s: compute_dashboard(s, days, tz))
    cache[days] = (time.monotonic(), board)
    return board


@routes.get("/dashboard")
@requires(StaffRole.SUPERVISOR)
async def dashboard(request: web.Request) -> web.StreamResponse:
    days = _days(request)
    board = await _board(request, days)
    return aiohttp_jinja2.render_template(
        "dashboard.html", request, {"b": board, "days": days, "periods": PERIODS, "charts": list(CHARTS)}
    )


@routes.get("/dashboard/service.csv")
@requires(StaffRole.SUPERVISOR)
async def service_export(request: web.Request) -> web.StreamResponse:
    """The service figures of the page's period as a CSV download (a GET that changes nothing: no CSRF)."""
    days = _days(request)
    board = await _board(request, days)
    return web.Response(
        body=service_csv(board.service).encode("utf-8-sig"),  # the BOM: spreadsheets then read the Chinese
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="kelian-service-{days}d.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@routes.get("/dashboard/charts/{name}.svg")
@requires(StaffRole.SUPERVISOR)
async def chart(request: web.Request) -> web.StreamResponse:
    draw = CHARTS.get(request.match_info["name"])
    if draw is None:
        raise web.HTTPNotFound()
    board = await _board(request, _days(request))
    svg = await asyncio.to_thread(draw, board, language(request), intent_labels(config(request).intent_labels_path))
    # The page's language is in the chart's URL (`lang`, ignored here): a language just switched is not served
    # from the browser's cache.
    return web.Response(body=svg, content_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})

"""The experiments page (#17): what `python -m crm experiments list|create|start|stop|report` does, for the
marketing team — the list, a create form (recommendation strategies, reply wordings, outreach offers), start
and stop (each confirmed, with an optional time), and the report with its charts and a JSON download equal to
the CLI's `report KEY --json`.

Who: supervisors and admins, for everything (reading too). Starting an experiment changes what customers are
shown, and its figures are business figures like the dashboard's; agents do neither. The console has no
marketer role (staff_role is agent < supervisor < admin): the marketing team signs in as supervisors.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed
from crm.experiments.definitions import KEY_PATTERN
from crm.models import StaffRole

from console import charts
from console import experiments as pages
from console.i18n import describe
from console.web import config, db, form, language, requires, text

routes = web.RouteTableDef()
ROLE = StaffRole.SUPERVISOR
DONE = {done: f"experiments.done.{done}" for done in ("created", "started", "stopped", "stop_scheduled")}
CHARTS: dict[str, Callable[..., bytes]] = {"rates": charts.experiment_rates, "daily": charts.experiment_daily}


def _key(request: web.Request) -> str:
    """The experiment key in the URL; anything a key cannot be is a page that does not exist."""
    key = request.match_info["key"]
    if not KEY_PATTERN.fullmatch(key):
        raise web.HTTPNotFound()
    return key


def _form_defaults() -> dict[str, str]:
    return {"window_days": "7", "alpha": "0.05", "target": "all", "surface": "recommendations"}


async def _list(
    request: web.Request, *, error: str | None = None, values: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    listed = await db(request).run(pages.list_page)
    return aiohttp_jinja2.render_template(
        "experiments.html",
        request,
        {
            "listed": listed,
            "error": error,
            "f": {**_form_defaults(), **(values or {})},
            "rows": range(pages.ARM_ROWS),
            "metrics": pages.METRICS,
            "surfaces": pages.SURFACES,
            "targets": pages.TARGETS,
            "strategies": pages.ARM_STRATEGIES,
            "diversity": pages.DIVERSITY,
            "setting_keys": ", ".join(pages.SETTING_KEYS),
            "message_keys": pages.MESSAGE_KEYS,
            "wording_max": pages.WORDING_MAX_CHARS,
        },
        status=status,
    )


@routes.get("/experiments")
@requires(ROLE)
async def experiments(request: web.Request) -> web.StreamResponse:
    return await _list(request)


@routes.post("/experiments")
@requires(ROLE)
async def create(request: web.Request) -> web.StreamResponse:
    data = await form(request)
    data.pop("csrf_token", None)
    try:
        key = await db(request).run(lambda s: pages.create_from_form(s, data).key)
    except InvalidInput as error:
        message = text(request, "experiments.refused", reason=describe(language(request), error))
        return await _list(request, error=message, values=data, status=400)
    raise web.HTTPSeeOther(f"/experiments/{key}?done=created")


async def _report_page(request: web.Request, key: str, *, error: str | None = None, status: int = 200) -> web.Response:
    as_of_text = request.query.get("as_of", "")
    as_of = pages.moment(as_of_text, config(request).tz)
    found = await db(request).run(lambda s: pages.report(s, key, as_of))
    done = DONE.get(request.query.get("done", ""))
    return aiohttp_jinja2.render_template(
        "experiment.html",
        request,
        {
            "r": found,
            "e": found.experiment,
            "a": found.analysis,
            "as_of_text": as_of_text[: pages.MOMENT_MAX_CHARS] if as_of is not None else "",
            "error": error,
            "done": None if done is None else text(request, done),
        },
        status=status,
    )


@routes.get("/experiments/{key}")
@requires(ROLE)
async def experiment(request: web.Request) -> web.StreamResponse:
    return await _report_page(request, _key(request))


@routes.get("/experiments/{key}/report.json")
@requires(ROLE)
async def report_json(request: web.Request) -> web.StreamResponse:
    key = _key(request)
    as_of = pages.moment(request.query.get("as_of"), config(request).tz)
    found = await db(request).run(lambda s: pages.report(s, key, as_of))
    body = json.dumps(pages.document(found), ensure_ascii=False, indent=2)
    return web.Response(
        text=body,
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="experiment-{key}.json"'},
    )


@routes.get("/experiments/{key}/charts/{name}.svg")
@requires(ROLE)
async def chart(request: web.Request) -> web.StreamResponse:
    key, name = _key(request), request.match_info["name"]
    draw = CHARTS.get(name)
    if draw is None:
        raise web.HTTPNotFound()
    tz = config(request).tz
    as_of = pages.moment(request.query.get("as_of"), tz)

    def load(session: Session) -> Any:
        if name == "daily":
            return pages.daily(session, key, as_of, tz)
        return pages.report(session, key, as_of).analysis

    figures = await db(request).run(load)
    svg = await asyncio.to_thread(draw, figures, language(request))
    # The page's language is in the chart's URL (`lang`, ignored here), as on the dashboard.
    return web.Response(body=svg, content_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


async def _change(request: web.Request, command: str) -> web.StreamResponse:
    key = _key(request)
    data = await form(request)
    try:
        at = pages.moment(data.get("at"), config(request).tz)
        changed = await db(request).run(lambda s: pages.change(s, key, command, at))
    except (InvalidInput, NotAllowed) as error:
        message = text(request, "experiments.refused", reason=describe(language(request), error))
        return await _report_page(request, key, error=message, status=400)
    done = "started" if command == "start" else ("stop_scheduled" if pages.is_running(changed) else "stopped")
    raise web.HTTPSeeOther(f"/experiments/{key}?done={done}")


@routes.post("/experiments/{key}/start")
@requires(ROLE)
async def start(request: web.Request) -> web.StreamResponse:
    return await _change(request, "start")


@routes.post("/experiments/{key}/stop")
@requires(ROLE)
async def stop(request: web.Request) -> web.StreamResponse:
    return await _change(request, "stop")

"""The console's aiohttp application: pages, templates, static files, and what it opens and closes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from jinja2.runtime import Context
from sqlalchemy.orm import sessionmaker

from crm.attachment_store import AttachmentStore, default_dir
from crm.db import make_engine
from crm.migrate import is_up_to_date

from console.config import ConsoleConfig
from console.customers import Recommendations
from console.i18n import format_moment, intent_label, intent_labels, label, translate
from console.rasa import RasaClient
from console.queue import worker as queue_worker
from console.training import Trainer, TrainingSettings
from console.views import model as model_views
from console.views import queue as queue_views
from console.views import tickets as ticket_views
from console.views import workspace as workspace_views
from console.views import attachments as attachment_views
from console.views import admin, auth, customers, dashboard, dead_letters, experiments, handoffs, orders, transcripts
from console.web import (
    CONFIG,
    DB,
    FORM_MAX_BYTES,
    SECRET,
    Database,
    access,
    base_context,
    csrf,
    errors,
    security_headers,
    sessions,
    unruled_routes,
)

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


class ConsoleError(RuntimeError):
    """The console cannot start (the CRM is not migrated…); the message says what to do."""


def _helpers(config: ConsoleConfig) -> dict[str, Callable[..., str]]:
    """The template helpers; each reads the page's language (`lang`, from `base_context`)."""
    tz = config.tz

    @jinja2.pass_context
    def t(context: Context, key: str, /, **values: Any) -> str:
        return translate(context["lang"], key, **values)

    @jinja2.pass_context
    def when(context: Context, moment: datetime | None, kind: str = "datetime") -> str:
        return format_moment(context["lang"], moment, tz, kind)

    @jinja2.pass_context
    def pct(context: Context, value: float | None, digits: int = 1) -> str:
        return translate(context["lang"], "common.n_a") if value is None else f"{value * 100:.{digits}f} %"

    @jinja2.pass_context
    def number(context: Context, value: float | int | None, digits: int = 0) -> str:
        return translate(context["lang"], "common.n_a") if value is None else f"{value:,.{digits}f}"

    @jinja2.pass_context
    def named(context: Context, kind: str, value: Any) -> str:
        return label(context["lang"], kind, value)

    @jinja2.pass_context
    def intent(context: Context, name: str | None) -> str:
        return intent_label(context["lang"], name, intent_labels(config.intent_labels_path))

    return {"t": t, "when": when, "pct": pct, "number": number, "label": named, "intent": intent}


async def _context(request: web.Request) -> dict[str, object]:
    return base_context(request)


def make_app(config: ConsoleConfig) -> web.Application:
    engine = make_engine(config.database_url)
    if not is_up_to_date(engine):
        engine.dispose()
        raise ConsoleError("the CRM database is not migrated to the current schema: run `python -m crm migrate`")
    app = web.Application(
        middlewares=[security_headers, errors, sessions, csrf, access], client_max_size=FORM_MAX_BYTES
    )
    app[CONFIG] = config
    app[DB] = Database(sessionmaker(bind=engine, expire_on_commit=False))
    app[SECRET] = config.secret()
    app[handoffs.RASA] = RasaClient(config.rasa_url, config.api_token())
    app[customers.RECOMMENDATIONS] = Recommendations(config.recommender_path)
    app[dashboard.CACHE] = {}
    helpers = _helpers(config)
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        context_processors=[_context],
        filters=helpers,
        undefined=jinja2.StrictUndefined,
    )
    environment.globals.update(helpers)
    for module in (auth, handoffs, transcripts, customers, dashboard, dead_letters, experiments, admin, orders):
        app.router.add_routes(module.routes)
    app.router.add_routes(workspace_views.routes)
    app.router.add_routes(queue_views.routes)
    app.router.add_routes(model_views.routes)  # the Model page: retraining and activation
    app[model_views.TRAINER] = Trainer(TrainingSettings.from_env(config.var_dir, config.models_dir))
    app.router.add_routes(attachment_views.routes)
    app[attachment_views.STORE] = AttachmentStore(default_dir(config.var_dir))
    app.router.add_routes(ticket_views.routes)  # tickets: list, page, assign, comment, status, close
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    missing = unruled_routes(app)
    if missing:
        engine.dispose()
        raise ConsoleError(f"routes without an access rule (requires(role), public or mfa_step): {', '.join(missing)}")

    async def start(app: web.Application) -> None:
        asyncio.get_running_loop().run_in_executor(None, app[customers.RECOMMENDATIONS].load)

    async def stop(app: web.Application) -> None:
        await app[model_views.TRAINER].stop()
        await app[handoffs.RASA].close()
        engine.dispose()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.cleanup_ctx.append(queue_worker(DB, handoffs.RASA))  # routing and expiry, every 30 s
    return app


def serve(config: ConsoleConfig) -> None:
    app = make_app(config)
    print(f"Kelian staff console on http://{config.host}:{config.port}/ (Rasa at {config.rasa_url})", flush=True)
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)

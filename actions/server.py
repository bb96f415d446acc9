"""The Sanic app of the action server: rasa-sdk's, plus loading the services in each worker before it
serves (`python -m actions` runs it), and the service boundary: every call but `/health` must carry
the secret the Rasa server sends (`X-Kelian-Action-Token`, bot/endpoints.yml), no browser origin is
allowed (no CORS), and request bodies are bounded. A module of its own because Sanic pickles the
factory into its worker processes by module and name, which `__main__` cannot provide."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from typing import Optional

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.manager import WorkerManager
from sanic.worker.process import WorkerProcess

from actions.runtime import services

log = logging.getLogger(__name__)

# Loading the recommender and embedding the FAQ can take a while on a cold, busy machine; Sanic's
# default 30 s for a worker to report ready would kill the server instead (`allow_slow_start`).
WORKER_READY_TIMEOUT = 300.0
TOKEN_HEADER = "X-Kelian-Action-Token"
TOKEN_ENV = "KELIAN_ACTION_TOKEN"
# A tracker with a long conversation is a few hundred KB; nothing legitimate comes near this.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
OPEN_PATHS = frozenset({"/health"})


class MissingToken(RuntimeError):
    """The action server refuses to start without its shared secret: it would answer anyone."""


def shared_token(environ: Optional[dict[str, str]] = None) -> str:
    token = (environ if environ is not None else os.environ).get(TOKEN_ENV, "").strip()
    if not token:
        raise MissingToken(
            f"{TOKEN_ENV} is not set: the action server would answer anyone who reaches it "
            "(make run and the tests set it; see docs/security.md)"
        )
    return token


async def _warm_up(app: Sanic) -> None:
    await asyncio.to_thread(services().warm_up)


def allow_slow_start() -> None:
    """Sanic 25 counts a worker's start-up against class constants (tenths of a second) of the
    process manager, not against a config value (the WORKER_ACK_TIMEOUT setting it once read is gone)."""
    ticks = int(WORKER_READY_TIMEOUT * 10)
    WorkerManager.THRESHOLD = ticks
    WorkerProcess.THRESHOLD = ticks


def create_app(executor: ActionExecutor, endpoints: str) -> Sanic:
    token = shared_token()
    app = create_app_for_serve(executor, cors_origins=None, endpoints=endpoints)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.register_listener(_warm_up, "before_server_start")

    @app.on_request
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), token.encode()):
            return None
        log.warning(
            "action server: refused a %s %s without the shared token from %s", request.method, request.path, request.ip
        )
        return response.json({"error": "unauthorized"}, status=401)

    return app

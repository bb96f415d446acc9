"""The Sanic app of the action server: rasa-sdk's, plus loading the services in each worker before it
serves (`python -m actions` runs it). A module of its own because Sanic pickles the factory into its
worker processes by module and name, which `__main__` cannot provide."""
from __future__ import annotations

import asyncio

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from actions.runtime import services

# Loading the recommender and embedding the FAQ can take a while on a cold, busy machine; Sanic's
# default 30 s for a worker to report ready would kill the server instead.
WORKER_READY_TIMEOUT = 300.0


async def _warm_up(app: Sanic) -> None:
    await asyncio.to_thread(services().warm_up)


def create_app(executor: ActionExecutor, endpoints: str) -> Sanic:
    app = create_app_for_serve(executor, cors_origins="*", endpoints=endpoints)
    app.config.WORKER_ACK_TIMEOUT = WORKER_READY_TIMEOUT
    app.register_listener(_warm_up, "before_server_start")
    return app

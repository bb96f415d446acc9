"""`python -m actions`: rasa-sdk's action server, with the CRM, the recommender and the FAQ index
loaded in each worker before it accepts its first request (so `/health` answers only when the
server can really answer). Takes rasa-sdk's own command-line options (`--port`, `--actions`...).
Listens on 127.0.0.1 unless KELIAN_ACTION_HOST says otherwise (the scaled deployment, where the Rasa
servers are on other hosts: the shared token still guards every call)."""

from __future__ import annotations

import logging
import os
from functools import partial

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_argument_parser
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic
from sanic.worker.loader import AppLoader

from actions.server import MissingToken, allow_slow_start, create_app, shared_token


def main() -> None:
    args = create_argument_parser().parse_args()
    try:
        shared_token()
    except MissingToken as error:
        raise SystemExit(f"actions: {error}") from None
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    allow_slow_start()
    loader = AppLoader(factory=partial(create_app, executor, args.endpoints))
    app = loader.load()
    app.prepare(
        host=os.environ.get("KELIAN_ACTION_HOST", "127.0.0.1"), port=args.port, workers=utils.number_of_sanic_workers()
    )
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()

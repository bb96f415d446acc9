"""The scaled deployment (bot/endpoints-scaled.yml) on this machine's PostgreSQL, Redis and RabbitMQ, as the
scaled end-to-end test and `bench-turns --scale-out` start it: a tracker database of its own, dropped
afterwards, and a stack configuration with its own RabbitMQ queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from devstack.config import ROOT, StackConfig, free_port

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@contextmanager
def tracker_database(prefix: str = "kelian_tracker") -> Iterator[str]:
    """The name of a PostgreSQL database for the tracker store (Rasa creates it on first use), dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def scaled_config(var_dir: Path, crm_url: str, database: str, *, rasa_servers: int = 1) -> StackConfig:
    """A stack on free ports with the scaled endpoints, the given CRM and tracker database, a new queue."""
    action_port = free_port()
    return StackConfig(
        rasa_port=free_port(),
        action_port=action_port,
        var_dir=var_dir,
        extra_env={
            "CRM_DATABASE_URL": crm_url,
            "KELIAN_PG_HOST": "127.0.0.1",
            "KELIAN_PG_DATABASE": database,
            "KELIAN_REDIS_HOST": "127.0.0.1",
            "KELIAN_AMQP_HOST": "127.0.0.1",
            "KELIAN_AMQP_QUEUE": f"kelian-{uuid.uuid4().hex[:8]}",
            "KELIAN_AMQP_URL": AMQP_URL,
            "KELIAN_ACTION_URL": f"http://127.0.0.1:{action_port}/webhook",
        },
        endpoints=ROOT / "bot" / "endpoints-scaled.yml",
        event_broker="rabbitmq",
        rasa_servers=rasa_servers,
    )

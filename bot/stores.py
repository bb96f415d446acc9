"""Rasa's SQL tracker store and SQL event broker on SQLite (the embedded default of bot/endpoints.yml),
in write-ahead-log mode.

Rasa commits every turn's tracker and then every event of it one by one, and SQLite's default
rollback journal waits for the disk at each commit: a fifth of the Rasa server's CPU under
`make bench`'s greeting load went to commits. In WAL mode with `synchronous=NORMAL` a commit is an
append to the log, and the feedback consumer reading the events (`python -m crm consume`) no longer
blocks the server's writes, nor they its reads. What this gives up: on a power cut (not a crash of
the process) the last turns before it may be lost; the scaled deployment (PostgreSQL, RabbitMQ:
bot/endpoints-scaled.yml) does not use these classes.

Rasa falls back to an in-memory tracker store (and to no broker at all) when a custom class cannot be
imported, with a warning only: tests/bot/test_stores.py loads bot/endpoints.yml the way the server
does and checks these classes are what it gets.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore

PRAGMAS = ("PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000")


def _on_connect(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def use_wal(engine: sqlalchemy.engine.Engine) -> None:
    """WAL mode for the database file (it stays in WAL, for every process that opens it) and the
    per-connection settings for every connection `engine` opens from now on."""
    if engine.dialect.name != "sqlite":
        return
    sqlalchemy.event.listen(engine, "connect", _on_connect)
    engine.dispose()  # connections opened before the listener (creating the tables) are not reused
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")


class SQLiteTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose SQLite file is in WAL mode (any other dialect: unchanged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_wal(self.engine)


class SQLiteEventBroker(SQLEventBroker):
    """`SQLEventBroker` whose SQLite file is in WAL mode (any other dialect: unchanged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_wal(self.engine)

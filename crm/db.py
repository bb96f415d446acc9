"""Engine and sessions for the CRM database named by `CRM_DATABASE_URL`.

SQLite (the embedded default) gets WAL so the action server, the feedback consumer and the
console can read while one of them writes, foreign keys (off by default in SQLite), and real
transactions with savepoints (pysqlite's own transaction handling is switched off so that
SQLAlchemy emits BEGIN itself). PostgreSQL URLs are pointed at psycopg 3.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Delete, Engine, Update, create_engine, event
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import OperationalError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
URL_ENV = "CRM_DATABASE_URL"
DEFAULT_URL = f"sqlite:///{REPO_ROOT / 'var' / 'crm.db'}"


def database_url(url: str | None = None) -> URL:
    """The URL to use: the argument, else `CRM_DATABASE_URL`, else `var/crm.db` in the repository."""
    parsed = make_url(url or os.environ.get(URL_ENV) or DEFAULT_URL)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None) -> Engine:
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        _configure_sqlite(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=make_engine(url), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed when the block ends normally and rolled back otherwise."""
    with factory() as session, session.begin():
        yield session


def changed_rows(session: Session, statement: Update | Delete) -> int:
    """The rows an UPDATE or DELETE matched: `Session.execute` is typed to return a plain `Result`, but for
    these statements it is always the cursor's result, which has the count."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


BUSY_ATTEMPTS = 5


def run_transaction(factory: sessionmaker[Session], work: Callable[[Session], T], attempts: int = BUSY_ATTEMPTS) -> T:
    """`work(session)` in one transaction, run again when SQLite reports "database is locked".

    With several processes writing (action server, feedback consumer, console), SQLite refuses a
    transaction that read and then wants to write after another process committed in between —
    at once, whatever the busy timeout, since waiting could deadlock. Running it again from the
    start is the remedy; PostgreSQL never raises this.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction(factory) as session:
                return work(session)
        except OperationalError as error:
            if "database is locked" not in str(error) or attempt == attempts:
                raise
            log.info("CRM busy (attempt %d of %d); running the transaction again", attempt, attempts)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")

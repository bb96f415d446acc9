"""Fixtures of the CRM suite: one small demo shop per database backend, built once per session.

Every test that takes `session` (or `demo_engine`) runs on SQLite and on PostgreSQL. PostgreSQL is
the server at 127.0.0.1:5432 (or KELIAN_TEST_PG_URL); the suite creates a uniquely named database and
drops it at the end. With CI=true the server must be reachable (the PostgreSQL tests fail otherwise);
on a developer machine without it they are deselected, and the run says so in its header and summary.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crm.crypto import generate_key

os.environ.setdefault("KELIAN_CRM_KEY", generate_key())

from crm.db import make_engine  # noqa: E402  (the key must be set before the models are used)
from crm.demo import DemoConfig, generate  # noqa: E402
from crm.migrate import upgrade  # noqa: E402
from crm.segments import SegmentationReport, recompute  # noqa: E402

PG_URL = os.environ.get("KELIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
AS_OF = datetime(2025, 11, 15, tzinfo=timezone.utc)
DEMO = DemoConfig(customers=200, products=100, interactions=5000, seed=11, as_of=AS_OF)


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means "unreachable", with the reason shown
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return None


_PG_PROBLEM: str | None = None
_DESELECTED = 0
_BACKENDS_USED: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    global _PG_PROBLEM
    _PG_PROBLEM = _postgres_problem()


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    global _DESELECTED
    if _PG_PROBLEM is None or IN_CI:
        return
    deselected = [
        item for item in items if item.get_closest_marker("postgres") and HERE in Path(str(item.path)).resolve().parents
    ]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]
        _DESELECTED = len(deselected)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    where = make_url(PG_URL).render_as_string(hide_password=True)
    if _DESELECTED:
        terminalreporter.write_sep(
            "!",
            f"crm: {_DESELECTED} PostgreSQL tests DESELECTED, PostgreSQL at {where} is unreachable "
            f"({_PG_PROBLEM}); start it or set KELIAN_TEST_PG_URL (with CI=true this fails instead)",
            yellow=True,
        )
    if _BACKENDS_USED:
        terminalreporter.write_line(
            f"crm: database tests ran on {', '.join(sorted(_BACKENDS_USED))}"
            + (f" ({where})" if "postgres" in _BACKENDS_USED else "")
        )


@dataclass(frozen=True)
class DemoShop:
    backend: str
    engine: Engine
    segmentation: SegmentationReport
    sqlite_path: Path | None


def _create_postgres_database() -> tuple[str, Engine]:
    name = f"kelian_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[Engine]:
    """A brand-new, unmigrated database on `backend`, removed afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{directory / f'crm-{uuid.uuid4().hex[:8]}.db'}")
        _BACKENDS_USED.add(backend)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    if _PG_PROBLEM is not None:
        pytest.fail(f"PostgreSQL is required (CI={os.environ.get('CI')}) but unreachable: {_PG_PROBLEM}")
    name, engine = _create_postgres_database()
    _BACKENDS_USED.add(backend)
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_postgres_database(name)


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def demo_shop(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoShop]:
    """Migrated, filled with the small demo shop, and scored; tests must not commit to it."""
    directory = tmp_path_factory.mktemp(f"crm-{backend}")
    with empty_database(backend, directory) as engine:
        upgrade(engine)
        generate(engine, DEMO, show_progress=False)
        with Session(engine) as session, session.begin():
            report = recompute(session, AS_OF)
        path = Path(str(engine.url.database)) if backend == "sqlite" else None
        yield DemoShop(backend, engine, report, path)


@pytest.fixture
def session(demo_shop: DemoShop) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test, whatever it committed."""
    with demo_shop.engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
            yield s
        outer.rollback()

"""Fixtures of the console's tests: a small demo CRM on SQLite (the demo generator, anchored today so the
dashboard's trailing windows hold data), an empty migrated CRM for exact figures, and console accounts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crm.crypto import generate_key

os.environ.setdefault("KELIAN_CRM_KEY", generate_key())

from crm.db import make_engine, run_transaction  # noqa: E402
from crm.demo import DemoConfig, generate  # noqa: E402
from crm.migrate import upgrade  # noqa: E402
from crm.models import StaffRole  # noqa: E402

from console.accounts import create_user  # noqa: E402

PASSWORD = "a long enough password"


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('console-crm') / 'crm.db'}")
    upgrade(engine)
    generate(engine, DemoConfig(customers=150, products=60, interactions=4000, seed=5), show_progress=False)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo(demo_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=demo_engine, expire_on_commit=False)


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated CRM with nothing in it, for tests that count exactly."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def new_user(factory: sessionmaker[Session], role: StaffRole | str = StaffRole.AGENT, language: str = "en") -> str:
    """A fresh account (unique name) with PASSWORD; its pages in English unless `language` says otherwise (a new
    account's default, Chinese, has its own tests)."""
    name = f"{StaffRole(role).value}-{uuid.uuid4().hex[:8]}"

    def make(session: Session) -> None:
        create_user(session, name, PASSWORD, role, language=language)

    run_transaction(factory, make)
    return name

"""The Alembic migrations build exactly the schema of the models, up and down, on both databases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import DateTime, bindparam, inspect, text
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.cli import main
from crm.migrate import HEAD, current_revision, downgrade, head_revision, is_up_to_date, upgrade
from crm.models import Base, HandoffRequest
from tests.crm.conftest import empty_database


def test_head_constant_matches_the_migration_scripts() -> None:
    assert head_revision() == HEAD


def test_migrations_match_the_models_and_downgrade_cleanly(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as engine:
        assert current_revision(engine) is None and not is_up_to_date(engine)
        upgrade(engine)
        assert is_up_to_date(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            indexes = {i["name"] for i in inspect(connection).get_indexes("interactions")}
        assert {
            "ix_interactions_customer_id_occurred_at",
            "ix_interactions_occurred_at",
            "ix_interactions_product_id",
        } <= indexes
        upgrade(engine)  # idempotent
        downgrade(engine, "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert is_up_to_date(engine)


def test_migrate_upgrades_a_database_of_the_previous_revision(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """0002 (hand-off priority and summary) on a database that already holds hand-offs, through the CLI."""
    with empty_database(backend, tmp_path) as engine:
        upgrade(engine, "0001")
        at = bindparam("at", type_=DateTime())  # stored as the models store timestamps
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO conversations (id, channel, status, started_at) VALUES (1, 'web', 'handed_off', :at)"
                ).bindparams(at),
                {"at": datetime(2025, 11, 1, 9)},
            )
            connection.execute(
                text(
                    "INSERT INTO handoff_requests (id, conversation_id, reason, status, requested_at) "
                    "VALUES (7, 1, 'fallback', 'waiting', :at)"
                ).bindparams(at),
                {"at": datetime(2025, 11, 1, 9, 1)},
            )
        url = engine.url.render_as_string(hide_password=False)
        assert main(["--database-url", url, "migrate"]) == 0
        assert f"upgraded from 0001 to revision {HEAD}" in capsys.readouterr().out
        assert is_up_to_date(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        with Session(engine) as session:
            handoff = session.get(HandoffRequest, 7)
            assert handoff is not None and (handoff.priority, handoff.summary, handoff.reason) == (0, None, "fallback")
            assert repo.handoff_wait(session, 7) == repo.HandoffWait(position=1, waiting=1, estimated_minutes=3)
        downgrade(engine, "0001")
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("handoff_requests")}
            assert not {"priority", "summary"} & columns
            assert connection.execute(text("SELECT reason FROM handoff_requests WHERE id = 7")).scalar() == "fallback"
        upgrade(engine)
        assert is_up_to_date(engine)

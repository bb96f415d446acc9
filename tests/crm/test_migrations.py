"""The Alembic migrations build exactly the schema of the models, up and down, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from crm.migrate import HEAD, current_revision, downgrade, head_revision, is_up_to_date, upgrade
from crm.models import Base
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
        assert {"ix_interactions_customer_id_occurred_at", "ix_interactions_occurred_at",
                "ix_interactions_product_id"} <= indexes
        upgrade(engine)  # idempotent
        downgrade(engine, "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert is_up_to_date(engine)

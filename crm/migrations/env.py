"""Alembic environment of the CRM: the models' metadata, the URL from `crm.db`, batch mode for SQLite."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext

from crm.db import make_engine
from crm.models import Base, Encrypted, UtcDateTime

config = context.config


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | bool:
    """Migrations stay free of application imports: custom column types are written as their storage types."""
    if kind == "type" and isinstance(item, Encrypted):
        return "sa.LargeBinary()"
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime()"
    return False


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    options: dict[str, Any] = {
        "target_metadata": Base.metadata,
        "render_as_batch": True,
        "render_item": render_item,
        "compare_type": True,
    }
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()

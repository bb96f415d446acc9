"""What the CRM's command lines share (`crm/cli.py`, `crm/experiments/cli.py`): plain-text tables, the
database named without its password, and the check that the schema is migrated."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from crm.errors import CRMError


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows as aligned plain-text columns under their headers."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def where(engine: Engine) -> str:
    """The database an engine points to, password hidden."""
    return engine.url.render_as_string(hide_password=True)


def require_schema(engine: Engine) -> None:
    from crm.migrate import is_up_to_date

    if not is_up_to_date(engine):
        raise CRMError(f"the CRM database ({where(engine)}) is not migrated; run `python -m crm migrate` first")

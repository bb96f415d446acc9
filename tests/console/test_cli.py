"""`python -m console create-user` and `export-corrections`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.models import StaffRole, StaffUser
from console import cli
from tests.console.conftest import PASSWORD


def url(factory: sessionmaker[Session]) -> str:
    return factory.kw["bind"].url.render_as_string(hide_password=False)


def test_create_user_from_stdin_and_twice_asked(
    empty: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["--database-url", url(empty), "create-user", "Ops", "--role", "admin", "--password-stdin"]) == 0
    assert "created console user ops (admin, pages in zh)" in capsys.readouterr().out
    answers = iter([PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["--database-url", url(empty), "create-user", "mei", "--role", "agent"]) == 1
    assert "differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert cli.main(["--database-url", url(empty), "create-user", "mei", "--role", "agent"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["--database-url", url(empty), "create-user", "li", "--role", "agent", "--password-stdin"]) == 1
    assert "at least 10" in capsys.readouterr().err
    with empty() as session:
        assert {u.username: u.role for u in session.scalars(select(StaffUser))} == {
            "ops": StaffRole.ADMIN,
            "mei": StaffRole.AGENT,
        }


def test_commands_refuse_an_unmigrated_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        cli.main(
            [
                "--database-url",
                f"sqlite:///{tmp_path / 'new.db'}",
                "create-user",
                "ops",
                "--role",
                "admin",
                "--password-stdin",
            ]
        )
        == 1
    )
    assert "python -m crm migrate" in capsys.readouterr().err


def test_export_with_nothing_to_export(
    empty: sessionmaker[Session], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nlu"
    assert cli.main(["--database-url", url(empty), "export-corrections", "--out", str(out)]) == 0
    assert "no corrections to export" in capsys.readouterr().out and not out.exists()

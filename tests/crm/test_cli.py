"""`python -m crm`: each command, its refusals and its help (SQLite; the commands are backend-neutral)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm.cli import main

SMALL = [
    "--customers",
    "60",
    "--products",
    "60",
    "--interactions",
    "1500",
    "--seed",
    "5",
    "--as-of",
    "2025-11-15",
    "--quiet",
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(url: str, *args: str) -> int:
    return main(["--database-url", url, *args])


def test_the_whole_workflow(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(url, "demo", *SMALL) == 1
    assert "python -m crm migrate" in capsys.readouterr().err

    assert run(url, "migrate") == 0
    assert "upgraded" in capsys.readouterr().out
    assert run(url, "migrate") == 0
    assert "already at revision" in capsys.readouterr().out

    assert run(url, "demo", *SMALL) == 0
    assert "60 customers" in capsys.readouterr().out
    assert run(url, "demo", *SMALL) == 1
    assert "--reset" in capsys.readouterr().err
    assert run(url, "demo", *SMALL, "--reset") == 0
    capsys.readouterr()

    assert run(url, "segment", "--as-of", "2025-11-15") == 0
    out = capsys.readouterr().out
    assert "ROC AUC" in out and "high_value" in out and "BG/NBD" in out

    assert run(url, "stats", "--as-of", "2025-11-15") == 0
    out = capsys.readouterr().out
    assert "conversion rate" in out and "containment" in out and "self-service" not in out and "interactions" in out

    assert run(url, "erase", "web:demo-alice", "--actor", "test") == 0
    assert "customer 1 erased" in capsys.readouterr().out
    assert run(url, "erase", "1") == 0
    assert "already erased" in capsys.readouterr().out
    assert run(url, "erase", "web:nobody") == 1
    assert "no customer" in capsys.readouterr().err
    assert run(url, "erase", "what?") == 1

    assert run(url, "ensure-demo") == 0
    assert "CRM ready: 60 customers" in capsys.readouterr().out


def test_ensure_demo_builds_and_scores_an_empty_database(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(url, "ensure-demo", *SMALL) == 0
    out = capsys.readouterr().out
    assert "demo shop written" in out and "scored 60 customers" in out


@pytest.mark.parametrize("command", ["migrate", "demo", "segment", "erase", "stats", "ensure-demo", "links"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([command, "--help"])
    assert exit.value.code == 0
    assert len(capsys.readouterr().out) > 100


def test_bad_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["demo", "--customers", "-3"])
    assert exit.value.code == 2
    with pytest.raises(SystemExit):
        main(["segment", "--as-of", "yesterday"])
    assert "ISO date" in capsys.readouterr().err


def test_module_entry_point(tmp_path: Path) -> None:
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "crm", "migrate"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "m.db") in done.stdout


def test_staff_list_and_undo_a_customers_links(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The customer is told of every link; when one was not theirs, staff see it and remove it here."""
    from crm.db import session_factory, transaction
    from crm.repository import find_customer, issue_link_code, redeem_link_code

    assert run(url, "migrate") == 0
    assert run(url, "demo", *SMALL) == 0
    crm = session_factory(url)
    with transaction(crm) as session:
        alice = find_customer(session, "web", "demo-alice").id
        code = issue_link_code(session, alice, channel="web").code
        redeem_link_code(session, code, channel="wechat", sender_id="wx-somebody-else")
    capsys.readouterr()
    assert run(url, "links", "web:demo-alice") == 0
    listed = capsys.readouterr().out
    assert "wechat" in listed and "wx-somebody-else" not in listed  # the id is masked
    identity_id = int(listed.split()[0])
    assert run(url, "links", "web:demo-alice", "--remove", str(identity_id), "--actor", "test") == 0
    with transaction(crm) as session:
        assert find_customer(session, "wechat", "wx-somebody-else") is None
    capsys.readouterr()
    assert run(url, "links", "web:demo-alice") == 0 and "no linked channels" in capsys.readouterr().out

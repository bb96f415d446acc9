"""Conversations at rest in var/ are the owner's only (issue #18, part two).

Before: var/ was 755 and Rasa created var/rasa-tracker.db and var/rasa-events.db itself, 644 under the
usual umask, with every message in plain text: any local user could read every conversation. After:
devstack makes var/ 700 and creates these files 600 before Rasa opens them (`python -m devstack setup`
and every stack start, through `StackConfig.env()`); SQLite keeps the mode of an existing file and gives
its WAL and journal the same. Fails on the code before the change (nothing set the modes).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from devstack.config import PRIVATE_FILES, StackConfig, private_var_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_stack_start_makes_var_private_before_rasa_opens_its_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = tmp_path / "var"
    monkeypatch.setenv("KELIAN_RASA_TOKEN", "t")
    monkeypatch.setenv("KELIAN_ACTION_TOKEN", "t")
    StackConfig(var_dir=var).env()
    assert mode(var) == 0o700
    assert {name: mode(var / name) for name in PRIVATE_FILES} == dict.fromkeys(PRIVATE_FILES, 0o600)
    for name in PRIVATE_FILES:  # what Rasa then does with them: SQLite, WAL and all
        connection = sqlite3.connect(var / name)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT)")
        connection.execute("INSERT INTO events (data) VALUES ('my phone is 13800138000')")
        connection.commit()
        assert mode(var / name) == 0o600 and mode(var / f"{name}-wal") == 0o600
        connection.close()


def test_files_made_before_are_tightened(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    for name in PRIVATE_FILES:
        (var / name).write_text("")
        (var / name).chmod(0o644)
    (var / "rasa-events.db-wal").write_text("")
    (var / "rasa-events.db-wal").chmod(0o644)
    private_var_dir(var)
    private_var_dir(var)  # idempotent
    assert mode(var) == 0o700 and mode(var / "rasa-events.db-wal") == 0o600
    assert all(mode(var / name) == 0o600 for name in PRIVATE_FILES)

"""The embedded default's tracker store and event broker (bot/stores.py): loaded from bot/endpoints.yml
the way the Rasa server loads them (Rasa falls back to memory or to no broker when a custom class
cannot be imported), in WAL mode, and still Rasa's SQL store and broker underneath."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.stores import SQLiteEventBroker, SQLiteTrackerStore

ENDPOINTS = Path(__file__).resolve().parents[2] / "bot" / "endpoints.yml"


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KELIAN_VAR", str(tmp_path))
    monkeypatch.setenv("KELIAN_ACTION_PORT", "5055")
    monkeypatch.setenv("KELIAN_ACTION_TOKEN", "test")
    return tmp_path


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def test_endpoints_yml_gives_the_wal_store_and_broker_and_a_turn_is_kept(var: Path):
    asyncio.run(a_turn_kept(var))


async def a_turn_kept(var: Path) -> None:
    broker = await EventBroker.create(read_endpoint_config(str(ENDPOINTS), "event_broker"))
    store = TrackerStore.create(read_endpoint_config(str(ENDPOINTS), "tracker_store"), Domain.empty(), broker)
    assert type(broker) is SQLiteEventBroker
    assert type(store) is SQLiteTrackerStore
    assert journal_mode(var / "rasa-tracker.db") == "wal" and journal_mode(var / "rasa-events.db") == "wal"

    tracker = DialogueStateTracker("sender-1", slots=[])
    tracker.update(UserUttered("你好", {"name": "greet", "confidence": 1.0}))
    await store.save(tracker)
    kept = await store.retrieve("sender-1")
    assert kept is not None and kept.latest_message.text == "你好"
    with sqlite3.connect(var / "rasa-events.db") as connection:
        (published,) = connection.execute("SELECT count(*) FROM events WHERE sender_id = 'sender-1'").fetchone()
    assert published == 1
    with store.engine.connect() as connection:  # every connection of the store gets the settings
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

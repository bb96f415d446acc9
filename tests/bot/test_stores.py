"""The embedded default's tracker store and event broker (bot/stores.py): loaded from bot/endpoints.yml
the way the Rasa server loads them (Rasa falls back to memory or to no broker when a custom class
cannot be imported), in WAL mode, and still Rasa's SQL store and broker underneath."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.stores import LeanSQLTrackerStore, SQLiteEventBroker, SQLiteTrackerStore

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


def rows(path: Path) -> list[dict]:
    """The events a broker published, or a tracker store kept, in order (both tables are `events`)."""
    with sqlite3.connect(path) as connection:
        return [json.loads(data) for (data,) in connection.execute("SELECT data FROM events ORDER BY id")]


def stored(path: Path) -> list[tuple]:
    """Every column a tracker store keeps of each event but the row id, in order."""
    with sqlite3.connect(path) as connection:
        query = "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        return connection.execute(query).fetchall()


def test_a_turn_is_streamed_and_stored_as_rasa_does_without_replaying_the_session(tmp_path: Path):
    """Three turns (and a new session) saved by Rasa's SQL store and broker and by ours: the broker and
    the tracker database hold the same events in the same order, each once; ours never retrieves."""
    asyncio.run(same_as_rasa(tmp_path))


async def same_as_rasa(tmp_path: Path) -> None:
    domain = Domain.from_dict({"intents": ["greet", "thank"], "slots": {}})
    theirs = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t-rasa.db"))
    theirs.event_broker = SQLEventBroker(db=str(tmp_path / "e-rasa.db"))
    ours = SQLiteTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t-ours.db"))
    ours.event_broker = SQLiteEventBroker(db=str(tmp_path / "e-ours.db"))

    async def no_replay(_sender: str) -> None:
        raise AssertionError("save retrieved the stored session")

    turns = [
        [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0})],
        [BotUttered("Hello!"), ActionExecuted("action_listen")],
        [UserUttered("谢谢", {"name": "thank", "confidence": 0.9}), BotUttered("不客气")],
        [SessionStarted(), ActionExecuted("action_listen"), UserUttered("hi again", {"name": "greet"})],
    ]
    trackers = {id(store): DialogueStateTracker("sender-1", slots=[]) for store in (theirs, ours)}
    for turn in turns:
        for store in (theirs, ours):
            for event in turn:
                trackers[id(store)].update(event)
            if store is ours:
                ours.retrieve = no_replay  # type: ignore[method-assign]
            await store.save(trackers[id(store)])
    expected = [{"sender_id": "sender-1", **event.as_dict()} for turn in turns for event in turn]
    assert rows(tmp_path / "e-ours.db") == rows(tmp_path / "e-rasa.db") == expected
    assert stored(tmp_path / "t-ours.db") == stored(tmp_path / "t-rasa.db")
    assert len(stored(tmp_path / "t-ours.db")) == len(expected)


def test_the_scaled_deployment_uses_the_lean_store():
    settings = yaml.safe_load(ENDPOINTS.with_name("endpoints-scaled.yml").read_text())
    assert settings["tracker_store"]["type"] == "bot.stores.LeanSQLTrackerStore"
    assert issubclass(SQLiteTrackerStore, LeanSQLTrackerStore)


# --- the tracker kept for the next turn -------------------------------------------------------------


DOMAIN = Domain.from_dict({"intents": ["greet", "thank"], "slots": {}})


def store_at(path: Path) -> SQLiteTrackerStore:
    return SQLiteTrackerStore(DOMAIN, dialect="sqlite", db=str(path))


def say(tracker: DialogueStateTracker, text: str) -> None:
    for event in (UserUttered(text, {"name": "greet", "confidence": 1.0}), BotUttered("Hello!")):
        tracker.update(event)
    tracker.update(ActionExecuted("action_listen"))


def no_database_read(store: SQLiteTrackerStore, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the session was read from the database")

    monkeypatch.setattr(SQLTrackerStore, "_retrieve", refuse)


def dicts(tracker: DialogueStateTracker | None) -> list[dict]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


def test_the_next_turn_gets_the_tracker_its_conversation_saved_without_reading_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    asyncio.run(kept_for_the_next_turn(tmp_path, monkeypatch))


async def kept_for_the_next_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_at(tmp_path / "t.db")
    tracker = DialogueStateTracker("c-1", slots=[])
    say(tracker, "hi")
    await store.save(tracker)
    with monkeypatch.context() as patch:
        no_database_read(store, patch)
        assert await store.retrieve("c-1") is tracker
        say(tracker, "hi again")
        await store.save(tracker)
        assert await store.retrieve("c-1") is tracker
    # handed out once: a second retrieve (say the console's, during the turn) reads the database
    again = await store.retrieve("c-1")
    assert again is not tracker and dicts(again) == dicts(tracker)
    assert dicts(await store_at(tmp_path / "t.db").retrieve("c-1")) == dicts(tracker)


def test_a_kept_tracker_is_not_used_once_another_server_wrote_or_it_changed_unsaved(tmp_path: Path):
    asyncio.run(not_used_when_stale(tmp_path))


async def not_used_when_stale(tmp_path: Path) -> None:
    one, two = store_at(tmp_path / "t.db"), store_at(tmp_path / "t.db")  # two servers, one database
    tracker = DialogueStateTracker("c-1", slots=[])
    say(tracker, "hi")
    await one.save(tracker)
    elsewhere = await two.retrieve("c-1")
    assert elsewhere is not None
    say(elsewhere, "a turn the other server took")
    await two.save(elsewhere)
    served = await one.retrieve("c-1")
    assert served is not tracker and dicts(served) == dicts(elsewhere)

    await one.save(tracker := served)
    tracker.update(UserUttered("never saved", {"name": "thank"}))
    unsaved = await one.retrieve("c-1")
    assert unsaved is not tracker and dicts(unsaved) == dicts(tracker)[:-1]

    await one.save(tracker := unsaved)
    one.domain = Domain.from_dict({"intents": ["greet"], "slots": {}})  # a new model: its slots
    assert await one.retrieve("c-1") is not tracker


def test_a_kept_tracker_is_not_used_once_its_rows_moved_in_time_or_were_deleted(tmp_path: Path):
    """Rows changed in place, not added: the events moved two hours back (what the stale-form test does
    to expire a session) or one deleted; the next retrieve reads what the database now holds."""
    asyncio.run(not_used_when_rows_changed(tmp_path))


async def not_used_when_rows_changed(tmp_path: Path) -> None:
    store = store_at(tmp_path / "t.db")
    tracker = DialogueStateTracker("c-1", slots=[])
    say(tracker, "hi")
    await store.save(tracker)
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "UPDATE events SET timestamp = timestamp - 7200, "
            "data = json_set(data, '$.timestamp', json_extract(data, '$.timestamp') - 7200)"
        )
    moved = await store.retrieve("c-1")
    assert moved is not tracker and moved is not None
    assert moved.events[-1].timestamp == pytest.approx(tracker.events[-1].timestamp - 7200)

    await store.save(moved)
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("DELETE FROM events WHERE id = (SELECT min(id) FROM events)")
    shorter = await store.retrieve("c-1")
    assert shorter is not moved and shorter is not None and len(shorter.events) == len(moved.events) - 1


def test_turns_through_a_new_session_store_what_rasa_stores(tmp_path: Path):
    """Each turn retrieves, adds and saves (a new session started in the third): the database holds the
    same rows as Rasa's own store's, and every retrieve the same events as Rasa's."""
    asyncio.run(through_a_new_session(tmp_path))


async def through_a_new_session(tmp_path: Path) -> None:
    theirs = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t-rasa.db"))
    ours = store_at(tmp_path / "t-ours.db")
    turns = [
        [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}), BotUttered("Hello!")],
        [ActionExecuted("action_listen"), UserUttered("谢谢", {"name": "thank"}), BotUttered("不客气")],
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
        [UserUttered("hi again", {"name": "greet"}), BotUttered("Hello again!")],
        [ActionExecuted("action_listen"), UserUttered("thanks", {"name": "thank"})],
    ]
    for turn in turns:
        for store in (theirs, ours):
            tracker = await store.retrieve("c-1") or DialogueStateTracker("c-1", slots=[])
            for event in turn:
                tracker.update(event)
            await store.save(tracker)
        assert dicts(await ours.retrieve("c-1")) == dicts(await theirs.retrieve("c-1"))
    assert stored(tmp_path / "t-ours.db") == stored(tmp_path / "t-rasa.db")


def test_at_most_so_many_conversations_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("bot.stores.KEPT_CONVERSATIONS", 2)
    asyncio.run(bounded(tmp_path))


async def bounded(tmp_path: Path) -> None:
    store = store_at(tmp_path / "t.db")
    trackers = [DialogueStateTracker(f"c-{n}", slots=[]) for n in range(3)]
    for tracker in trackers:
        say(tracker, "hi")
        await store.save(tracker)
    assert [await store.retrieve(t.sender_id) is t for t in trackers] == [False, True, True]

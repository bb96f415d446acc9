"""Retention of Rasa's plain-text stores (`python -m crm purge-events`, crm/retention.py).

Before: nothing ever deleted the SQL event broker's rows or the tracker store's conversations, so every
message stayed in plain text in var/ forever (the command did not exist). After: broker events older
than the retention that the consumer has committed are deleted (never one it has not read), and Rasa
conversations idle for longer than theirs are deleted whole (never a live one cut in the middle).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from crm.consumer import FeedbackWriter, SqlEventSource, consume_once
from crm.db import session_factory
from crm.demo import DemoConfig
from crm.retention import purge_broker_events, purge_trackers
from tests.crm.test_consumer import EventLog, conversation_events
from tests.demo_crm import demo_crm_url

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0


@pytest.fixture(scope="module")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_crm_url(
        tmp_path_factory.mktemp("retention"), DemoConfig(customers=20, products=60, interactions=200, seed=2)
    )


@pytest.fixture(scope="module")
def crm(crm_url: str) -> sessionmaker[Session]:
    return session_factory(crm_url)


def broker_ids(log: EventLog) -> list[int]:
    with log.engine.connect() as connection:
        return [int(i) for i in connection.execute(text("SELECT id FROM events ORDER BY id")).scalars()]


def test_only_old_events_the_consumer_committed_are_purged(crm: sessionmaker[Session], tmp_path: Path) -> None:
    """The broker appends in time order: 40-day-old events the consumer read go; 35-day-old ones it has
    not read yet stay until it has; recent ones stay."""
    log = EventLog(tmp_path / "events.db")
    now = time.time()
    log.publish(conversation_events("old-read", "web", "tea", now - 40 * DAY))  # ids 1-12
    consume_once(crm, SqlEventSource(log.url), FeedbackWriter())
    log.publish(conversation_events("old-unread", "web", "tea", now - 35 * DAY))  # ids 13-24, not consumed yet
    assert purge_broker_events(crm, log.url, days=30) == 12
    assert broker_ids(log) == list(range(13, 25))
    assert purge_broker_events(crm, log.url, days=30) == 0  # nothing it may delete
    log.publish(conversation_events("recent", "web", "tea", now - 2 * DAY))  # ids 25-36
    consume_once(crm, SqlEventSource(log.url), FeedbackWriter())
    assert purge_broker_events(crm, log.url, days=30) == 12  # read now: the old ones go, the recent stay
    assert broker_ids(log) == list(range(25, 37))


class TrackerStore:
    """Rasa's SQL tracker store table, as Rasa creates it."""

    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"
        self.engine = create_engine(self.url)
        with self.engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                    "action_name VARCHAR(255), data TEXT)"
                )
            )

    def add(self, sender: str, at: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, '{}')"),
                {"s": sender, "t": at},
            )

    def senders(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return dict(connection.execute(text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all())


def test_idle_conversations_are_purged_whole_and_live_ones_kept(tmp_path: Path) -> None:
    store = TrackerStore(tmp_path / "tracker.db")
    now = time.time()
    for days in (200, 150, 120):
        store.add("idle", now - days * DAY)
    for days in (200, 1):
        store.add("live", now - days * DAY)  # started long ago, still talking: not cut
    store.add("recent", now - 10 * DAY)
    assert purge_trackers(store.url, days=90) == (1, 3)
    assert store.senders() == {"live": 2, "recent": 1}


def test_the_purge_command(crm_url: str, crm: sessionmaker[Session], tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.db")
    log.publish(conversation_events("cli-old", "web", "tea", time.time() - 40 * DAY))
    consume_once(crm, SqlEventSource(log.url), FeedbackWriter())
    store = TrackerStore(tmp_path / "tracker.db")
    store.add("cli-idle", time.time() - 100 * DAY)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm",
            "--database-url",
            crm_url,
            "purge-events",
            "--events-url",
            log.url,
            "--tracker-url",
            store.url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "purged 12 broker events" in done.stdout and "1 Rasa conversations (1 tracker events)" in done.stdout
    assert broker_ids(log) == [] and store.senders() == {}

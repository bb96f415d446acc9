"""Rasa's SQL tracker store and SQL event broker on SQLite (the embedded default of bot/endpoints.yml),
in write-ahead-log mode.

Rasa commits every turn's tracker and then every event of it one by one, and SQLite's default
rollback journal waits for the disk at each commit: a fifth of the Rasa server's CPU under
`make bench`'s greeting load went to commits. In WAL mode with `synchronous=NORMAL` a commit is an
append to the log, and the feedback consumer reading the events (`python -m crm consume`) no longer
blocks the server's writes, nor they its reads. Their connections stay open in a pool (Rasa's SQLAlchemy
opened and closed one per session, each close checkpointing the log). What this gives up: on a power cut (not a crash of
the process) the last turns before it may be lost; the scaled deployment (PostgreSQL, RabbitMQ:
bot/endpoints-scaled.yml) does not use these classes.

Rasa's save also streamed each turn's new events to the broker by retrieving the conversation's whole
session again (every stored event decoded and replayed into a tracker) only to count its events, and
the SQL broker commits each event in a transaction of its own. `LeanSQLTrackerStore` counts the stored
events with one SQL `count` (the same query Rasa's save uses to find what to store: the events are
exactly Rasa's) and hands a broker that can take them (`SQLiteEventBroker.publish_many`) the turn's
events in one transaction. The scaled deployment's PostgreSQL tracker store uses it too
(bot/endpoints-scaled.yml); its RabbitMQ broker publishes event by event, as Rasa's does.

Each turn also began by reading the conversation's latest session back from the database and replaying
every event into a new tracker — at 20 turns, more CPU than the turn's NLU. `LeanSQLTrackerStore` keeps
the tracker it saved (the last 500 conversations) and hands it to the conversation's next turn when one
SQL `max(id)` shows no event written since (by another Rasa server of the scaled deployment, or the
console through Rasa's API on another server) and nothing was added to it unsaved; a tracker is handed
out once (the turn owns it: Rasa runs a conversation's turns one at a time under its lock), and a save
that stored a new session's start is not kept (the database's latest session is shorter than the
tracker). tests/bot/test_stores.py checks each case against Rasa's own store.

Rasa falls back to an in-memory tracker store (and to no broker at all) when a custom class cannot be
imported, with a warning only: tests/bot/test_stores.py loads bot/endpoints.yml the way the server
does and checks these classes are what it gets.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy
import sqlalchemy.orm
from sqlalchemy.pool import QueuePool
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

PRAGMAS = ("PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000")


def _on_connect(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def use_wal(owner: Any) -> None:
    """For a store or broker on a SQLite file: WAL mode for the file (it stays in WAL, for every process
    that opens it), the per-connection settings, and a pool of open connections. Rasa's SQLAlchemy 1.4
    opens and closes a connection for every session on a SQLite file, and closing the last one checkpoints
    the log: 3–4 ms of CPU each, several times a turn. Other dialects: unchanged."""
    engine = owner.engine
    if engine.dialect.name != "sqlite":
        return
    engine.dispose()
    pooled = sqlalchemy.create_engine(engine.url, poolclass=QueuePool, connect_args={"check_same_thread": False})
    sqlalchemy.event.listen(pooled, "connect", _on_connect)
    with pooled.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    owner.engine, owner.sessionmaker = pooled, sqlalchemy.orm.sessionmaker(bind=pooled)


# Conversations whose last saved tracker the server keeps for their next turn (`LeanSQLTrackerStore`);
# a tracker of a few dozen turns holds some hundred kilobytes.
KEPT_CONVERSATIONS = 500


@dataclass
class _Kept:
    """A tracker as `save` stored it: its events, its last event (to notice one added since) and what the
    database held for the conversation (to notice another server's or process's writes)."""

    tracker: DialogueStateTracker
    length: int
    last_event: Event | None
    stored: tuple[Any, ...]


class LeanSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that saves a turn without replaying the stored session and hands the next turn the
    tracker it saved instead of reading and replaying the session again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._kept: OrderedDict[str, _Kept] = OrderedDict()  # before the base class sets the domain
        super().__init__(*args, **kwargs)

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        """A new model's domain (its slots) makes every kept tracker stale."""
        self._domain = domain or Domain.empty()
        self._kept.clear()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (the events past those the latest session holds in the database, found with one SQL
        `count`, stored as Rasa stores them) with the broker getting them first, as Rasa's `_stream_new_events`
        does, in one transaction when it can; then the tracker is kept for the conversation's next turn."""
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            as_dicts = [event.as_dict() for event in new_events]
            self._publish(tracker.sender_id, as_dicts)
            if as_dicts:  # one INSERT for the turn's rows (Rasa's ORM flush inserts them one by one)
                rows = [
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                    for event, data in zip(new_events, as_dicts)
                ]
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
            stored = self._stored(session, tracker.sender_id)
        self._keep(tracker, new_events, stored)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker the last `save` of this conversation kept, if nothing was added to it since and the
        database holds no event written after it; else Rasa's retrieve (read and replay the latest session).
        A kept tracker is handed out once: whoever retrieves it owns it (a turn runs under the conversation's
        lock), and its save keeps it again."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None and self._unchanged(kept):
            with self.session_scope() as session:
                if self._stored(session, sender_id) == kept.stored:
                    return kept.tracker
        return await super().retrieve(sender_id)

    def _publish(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        if self.event_broker is None:
            return
        bodies = [{"sender_id": sender_id, **event} for event in events]
        if isinstance(self.event_broker, SQLiteEventBroker):
            self.event_broker.publish_many(bodies)
        else:
            for body in bodies:
                self.event_broker.publish(body)

    def _stored(self, session: Any, sender_id: str) -> tuple[Any, ...]:
        """What the database holds of a conversation, in one indexed query: its number of events, the last
        one's id (another server's save) and the newest timestamp (rows moved in time, as a test of session
        expiry does); a purge or retention delete changes the count."""
        event = self.SQLEvent
        functions = sqlalchemy.func
        query = session.query(functions.count(event.id), functions.max(event.id), functions.max(event.timestamp))
        return tuple(query.filter(event.sender_id == sender_id).one())

    def _keep(self, tracker: DialogueStateTracker, new_events: list[Event], stored: tuple[Any, ...]) -> None:
        """Keep `tracker` when its events are exactly what a retrieve would read back: the latest session's,
        all of them. Not when this save stored a new session's start (the tracker still holds the old
        session's events, a retrieve only the new one's) nor when it keeps a bounded history."""
        self._kept.pop(tracker.sender_id, None)
        if any(isinstance(event, SessionStarted) for event in new_events) or tracker.events.maxlen is not None:
            return
        events = tracker.events
        self._kept[tracker.sender_id] = _Kept(tracker, len(events), events[-1] if events else None, stored)
        while len(self._kept) > KEPT_CONVERSATIONS:
            self._kept.popitem(last=False)

    @staticmethod
    def _unchanged(kept: _Kept) -> bool:
        events = kept.tracker.events
        return len(events) == kept.length and (events[-1] if events else None) is kept.last_event


class SQLiteTrackerStore(LeanSQLTrackerStore):
    """`LeanSQLTrackerStore` whose SQLite file is in WAL mode (any other dialect: unchanged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_wal(self)


class SQLiteEventBroker(SQLEventBroker):
    """`SQLEventBroker` whose SQLite file is in WAL mode (any other dialect: unchanged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_wal(self)

    def publish_many(self, events: list[dict[str, Any]]) -> None:
        """Every event of a turn in one transaction (`publish` commits each event on its own)."""
        if not events:
            return
        with self.session_scope() as session:
            rows = [{"sender_id": event.get("sender_id"), "data": json.dumps(event)} for event in events]
            session.execute(self.SQLBrokerEvent.__table__.insert(), rows)
            session.commit()

"""How long Rasa's own copies of conversations live (`python -m crm purge-events`).

The CRM keeps the transcripts (encrypted) as long as the shop keeps customer data; Rasa's SQL event
broker and SQL tracker store hold the same messages in plain text and need them only briefly:

- broker events: only until the feedback consumer has committed them — a row is deleted once it is
  older than `--days` (default 30) *and* at or below the consumer's committed position, so nothing the
  CRM has not read yet is ever lost;
- trackers: a conversation (all events of a sender) whose newest event is older than `--tracker-days`
  (default 90) is deleted whole; Rasa starts a fresh tracker if that sender writes again. A live
  conversation is never cut in the middle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from crm.errors import InvalidInput

DEFAULT_EVENT_DAYS = 30
DEFAULT_TRACKER_DAYS = 90
CHUNK = 1000


@dataclass(frozen=True)
class PurgeReport:
    broker_events: int
    trackers: int
    tracker_events: int


def _cutoff(days: int, now: datetime | None) -> float:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidInput("a retention period is a whole number of days, at least 1")
    return ((now or datetime.now(timezone.utc)) - timedelta(days=days)).timestamp()


def _timestamp(data: object) -> float | None:
    try:
        value = json.loads(data)["timestamp"]  # type: ignore[arg-type]
        return float(value)
    except (TypeError, ValueError, KeyError, IndexError):
        return None


def purge_broker_events(
    crm: sessionmaker[Session], events_url: str, *, days: int = DEFAULT_EVENT_DAYS, now: datetime | None = None
) -> int:
    """Delete the SQL broker's events older than `days` that the consumer of `events_url` has committed.
    Rows are read in id order (the broker appends in time order) and the purge stops at the first one
    that is recent; a row without a readable timestamp at or below the position is one the consumer set
    aside as a dead letter (the CRM has its copy), so it goes too."""
    from crm.consumer import SqlEventSource

    cutoff = _cutoff(days, now)
    source = SqlEventSource(events_url)
    position = source.position(crm)
    deleted, after = 0, 0
    try:
        while after < position:
            with source.engine.begin() as connection:
                rows = connection.execute(
                    text("SELECT id, data FROM events WHERE id > :after AND id <= :position ORDER BY id LIMIT :chunk"),
                    {"after": after, "position": position, "chunk": CHUNK},
                ).all()
                if not rows:
                    break
                old = []
                for row in rows:
                    stamp = _timestamp(row.data)
                    if stamp is not None and stamp >= cutoff:
                        break
                    old.append(int(row.id))
                for start in range(0, len(old), 500):
                    part = old[start : start + 500]
                    connection.execute(text(f"DELETE FROM events WHERE id IN ({', '.join(map(str, part))})"))
                deleted += len(old)
            if len(old) < len(rows):
                break
            after = int(rows[-1].id)
    except (OperationalError, ProgrammingError) as error:
        if "events" not in str(error):
            raise
        return 0  # the broker has not created its table yet: nothing to purge
    finally:
        source.engine.dispose()
    return deleted


def purge_trackers(
    tracker_url: str, *, days: int = DEFAULT_TRACKER_DAYS, now: datetime | None = None
) -> tuple[int, int]:
    """Delete whole conversations of Rasa's SQL tracker store (`events` table) whose newest event is older
    than `days`; returns (conversations, events) deleted."""
    cutoff = _cutoff(days, now)
    engine = create_engine(tracker_url)
    stale = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
    try:
        with engine.begin() as connection:
            senders = connection.execute(text(f"SELECT COUNT(*) FROM ({stale}) AS stale"), {"cutoff": cutoff}).scalar()
            removed = connection.execute(
                text(f"DELETE FROM events WHERE sender_id IN ({stale})"), {"cutoff": cutoff}
            ).rowcount
    except (OperationalError, ProgrammingError) as error:
        if "events" not in str(error):
            raise
        return 0, 0  # no tracker store yet
    finally:
        engine.dispose()
    return int(senders or 0), int(removed or 0)

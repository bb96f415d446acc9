"""Events the feedback consumer set aside (`dead_letters`): recorded by the consumer, listed for staff
(the console and `python -m crm dead-letters`), replayed or dropped by a person.

A letter holds the event as it came, which is customer text: listing shows what it is and why it was
refused, never the payload; reading the payload (`read_dead_letter`) and dropping a letter are audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import DeadLetter, DeadLetterStatus
from crm.privacy import audit, utcnow

MAX_STORED_PAYLOAD = 256 * 1024  # characters of an event kept for a replay; beyond, only its beginning
REASON_CHARS = 255


@dataclass(frozen=True)
class DeadLetterView:
    id: int
    source: str
    reference: str | None
    event_name: str | None
    reason: str
    payload_chars: int
    truncated: bool
    status: DeadLetterStatus
    attempts: int
    created_at: datetime
    updated_at: datetime


def _view(letter: DeadLetter) -> DeadLetterView:
    return DeadLetterView(
        letter.id,
        letter.source,
        letter.reference,
        letter.event_name,
        letter.reason,
        letter.payload_chars,
        letter.truncated,
        letter.status,
        letter.attempts,
        letter.created_at,
        letter.updated_at,
    )


def record_dead_letter(
    session: Session,
    *,
    source: str,
    payload: str,
    reason: str,
    reference: str | None = None,
    event_name: str | None = None,
    now: datetime | None = None,
) -> int | None:
    """Set an event aside; returns the letter's id, or None when the same payload from the same source is
    already a letter (a redelivery). Runs in a savepoint: the caller's transaction is untouched on failure."""
    now = now or utcnow()
    digest = hashlib.sha1(payload.encode("utf-8", "surrogatepass")).hexdigest()
    letter = DeadLetter(
        source=source[:64],
        reference=None if reference is None else str(reference)[:64],
        digest=digest,
        event_name=None if event_name is None else event_name[:64],
        reason=reason[:REASON_CHARS] or "?",
        payload=payload[:MAX_STORED_PAYLOAD].encode("utf-8", "replace").decode("utf-8"),
        payload_chars=len(payload),
        truncated=len(payload) > MAX_STORED_PAYLOAD,
        status=DeadLetterStatus.PENDING,
        attempts=1,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(letter)
            session.flush()
    except IntegrityError:
        return None
    return letter.id


def _status(value: DeadLetterStatus | str | None) -> DeadLetterStatus | None:
    if value is None:
        return None
    try:
        return DeadLetterStatus(value)
    except ValueError:
        raise InvalidInput(
            f"unknown dead-letter status {value!r}; expected {', '.join(s.value for s in DeadLetterStatus)}"
        ) from None


def list_dead_letters(
    session: Session, limit: int = 100, *, status: DeadLetterStatus | str | None = DeadLetterStatus.PENDING
) -> list[DeadLetterView]:
    """The newest letters first (`status=None`: every status). No payloads: see `read_dead_letter`."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise InvalidInput("limit is a whole number from 1 to 10000")
    query = select(DeadLetter).order_by(DeadLetter.created_at.desc(), DeadLetter.id.desc()).limit(limit)
    wanted = _status(status)
    if wanted is not None:
        query = query.where(DeadLetter.status == wanted)
    return [_view(letter) for letter in session.scalars(query)]


def count_dead_letters(session: Session, status: DeadLetterStatus | str = DeadLetterStatus.PENDING) -> int:
    return int(
        session.scalar(select(func.count()).select_from(DeadLetter).where(DeadLetter.status == _status(status))) or 0
    )


def _letter(session: Session, letter_id: int) -> DeadLetter:
    letter = session.get(DeadLetter, letter_id)
    if letter is None:
        raise NotFound(f"no dead letter {letter_id}")
    return letter


def read_dead_letter(session: Session, letter_id: int, *, actor: str) -> tuple[DeadLetterView, str | None]:
    """The letter and its payload (None once dropped); the read is audited, as transcripts are."""
    letter = _letter(session, letter_id)
    audit(session, actor=actor, action="read_dead_letter", customer_id=None, dead_letter=letter_id)
    return _view(letter), letter.payload


def pending_payload(session: Session, letter_id: int) -> tuple[str, str]:
    """(source, payload) of a pending letter that can be replayed whole."""
    letter = _letter(session, letter_id)
    if letter.status is not DeadLetterStatus.PENDING:
        raise NotAllowed(f"dead letter {letter_id} is {letter.status.value}, not pending")
    if letter.truncated or letter.payload is None:
        raise NotAllowed(
            f"dead letter {letter_id} keeps only the first {MAX_STORED_PAYLOAD} of its "
            f"{letter.payload_chars} characters and cannot be replayed; drop it"
        )
    return letter.source, letter.payload


def mark_retried(session: Session, letter_id: int, *, actor: str, now: datetime | None = None) -> None:
    letter = _letter(session, letter_id)
    letter.status, letter.updated_at = DeadLetterStatus.RETRIED, now or utcnow()
    letter.attempts += 1
    audit(session, actor=actor, action="retry_dead_letter", customer_id=None, dead_letter=letter_id, succeeded=True)


def retry_failed(session: Session, letter_id: int, reason: str, *, actor: str, now: datetime | None = None) -> None:
    letter = _letter(session, letter_id)
    letter.reason, letter.updated_at = reason[:REASON_CHARS] or "?", now or utcnow()
    letter.attempts += 1
    audit(session, actor=actor, action="retry_dead_letter", customer_id=None, dead_letter=letter_id, succeeded=False)


def drop_dead_letter(session: Session, letter_id: int, *, actor: str, now: datetime | None = None) -> None:
    """Give up on a letter: its payload (customer text) is deleted, the row stays as the trace."""
    letter = _letter(session, letter_id)
    if letter.status is DeadLetterStatus.DROPPED:
        return
    letter.status, letter.payload, letter.updated_at = DeadLetterStatus.DROPPED, None, now or utcnow()
    audit(session, actor=actor, action="drop_dead_letter", customer_id=None, dead_letter=letter_id)

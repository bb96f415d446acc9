"""Order proofs with a memory: "the last four digits of the phone or the email on the order" has 10 000
answers for the phone, so the number of guesses must be limited where a guesser cannot reset it — here,
per order and per sender, across conversations — not in a form slot that starts again with every form.

`MAX_FAILURES` wrong answers for one order (or `MAX_SENDER_FAILURES` from one sender, whatever the orders)
within `WINDOW` lock it for `FIRST_LOCK`; each lock that follows soon after (within `STRIKE_MEMORY`) lasts
twice as long as the one before, up to `LONGEST_LOCK`. While locked, no answer is checked at all, so a
guesser learns nothing. Every lock goes to the audit log. A right answer clears the order's strikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from crm.models import Order, ProofAttempt, ProofLock
from crm.privacy import audit, utcnow
from crm.repository.common import as_channel
from crm.repository.conversations import sender_key
from crm.repository.customers import verify_order_contact
from crm.repository.orders import parse_order_number

WINDOW = timedelta(hours=1)
MAX_FAILURES = 5
MAX_SENDER_FAILURES = 10
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)
STRIKE_MEMORY = timedelta(hours=24)


@dataclass(frozen=True)
class ProofResult:
    """`customer_id` when the proof matched; `locked_until` when the order or the sender is locked (the
    answer was not checked, or this failure brought the lock)."""

    customer_id: int | None
    locked_until: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def _active_lock(session: Session, scope: str, now: datetime) -> ProofLock | None:
    lock = session.get(ProofLock, scope)
    return lock if lock is not None and lock.locked_until > now else None


def _failures(session: Session, column: InstrumentedAttribute[str], value: str, scope: str, now: datetime) -> int:
    """Failures within the window and since the scope's last lock ended (a lock wipes the slate: after
    it, the next `MAX_FAILURES` bring the next, longer lock)."""
    since = now - WINDOW
    lock = session.get(ProofLock, scope)
    if lock is not None and lock.locked_until > since:
        since = lock.locked_until
    return int(
        session.scalar(
            select(func.count())
            .select_from(ProofAttempt)
            .where(column == value, ProofAttempt.succeeded.is_(False), ProofAttempt.attempted_at >= since)
        )
        or 0
    )


def _lock(session: Session, scope: str, now: datetime) -> ProofLock:
    lock = session.get(ProofLock, scope)
    if lock is None:
        lock = ProofLock(scope=scope, strikes=0, locked_until=now, updated_at=now)
        session.add(lock)
    elif lock.locked_until < now - STRIKE_MEMORY:
        lock.strikes = 0
    lock.strikes += 1
    lock.locked_until = now + min(FIRST_LOCK * 2 ** (lock.strikes - 1), LONGEST_LOCK)
    lock.updated_at = now
    return lock


def proof_lock(
    session: Session, number: str, *, channel: str, sender_id: str, now: datetime | None = None
) -> datetime | None:
    """Until when the order or this sender may not try a proof (None: they may)."""
    now = now or utcnow()
    number = parse_order_number(number)
    ends = [
        lock.locked_until
        for scope in (f"order:{number}", f"sender:{sender_key(channel, sender_id)}")
        if (lock := _active_lock(session, scope, now)) is not None
    ]
    return max(ends) if ends else None


def check_order_proof(
    session: Session, number: str, proof: str, *, channel: str, sender_id: str, now: datetime | None = None
) -> ProofResult:
    """`verify_order_contact` with the attempts counted: the attempt is recorded (the caller commits), a
    locked order or sender is refused without looking at the answer, and the failure that reaches the limit
    locks (audited). A malformed number raises `InvalidOrderNumber` and counts nothing."""
    now = now or utcnow()
    number = parse_order_number(number)
    channel = as_channel(channel).value
    key = sender_key(channel, sender_id)
    order_scope, sender_scope = f"order:{number}", f"sender:{key}"
    locked = proof_lock(session, number, channel=channel, sender_id=sender_id, now=now)
    if locked is not None:
        return ProofResult(None, locked)
    owner = verify_order_contact(session, number, proof)
    session.add(ProofAttempt(order_number=number, sender_key=key, succeeded=owner is not None, attempted_at=now))
    session.flush()
    if owner is not None:
        lock = session.get(ProofLock, order_scope)
        if lock is not None:
            lock.strikes, lock.updated_at = 0, now
        return ProofResult(owner)
    until: datetime | None = None
    for scope, column, value, limit in (
        (order_scope, ProofAttempt.order_number, number, MAX_FAILURES),
        (sender_scope, ProofAttempt.sender_key, key, MAX_SENDER_FAILURES),
    ):
        failures = _failures(session, column, value, scope, now)
        if failures >= limit:
            lock = _lock(session, scope, now)
            until = max(until or lock.locked_until, lock.locked_until)
            owner_id = session.scalar(select(Order.customer_id).where(Order.number == number))
            audit(
                session,
                actor=f"{channel}-chat",
                action="proof_locked",
                customer_id=owner_id,
                now=now,
                scope=scope.split(":", 1)[0],
                order=number,
                failures=failures,
                strikes=lock.strikes,
                minutes=int((lock.locked_until - now).total_seconds() // 60),
            )
    session.flush()
    return ProofResult(None, until)

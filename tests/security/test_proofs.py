"""Order proofs cannot be brute-forced (issue #18, part two).

Before: "the last four digits of the phone or the email on the order" was limited to three tries by a
form slot (`proof_attempts`), which starts again at zero with every run of the form: a guesser restarting
the form (or opening new conversations) had unlimited tries at 10 000 possible answers. After: the CRM
counts failures per order and per sender across conversations (`check_order_proof`, `proof_attempts`
table); five failures for one order within an hour lock it for 15 minutes, then 30, 60…; ten failures from
one sender lock the sender; while locked the answer is not even checked; every lock is audited.
All of these fail on the code before the change (there was no such check).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import make_engine, session_factory
from crm.demo import DemoConfig, generate
from crm.migrate import upgrade
from crm.models import AuditEntry, ProofAttempt
from crm.repository import check_order_proof, find_customer, proof_lock
from crm.repository.proofs import FIRST_LOCK, MAX_FAILURES, MAX_SENDER_FAILURES

T0 = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
ALICE_PHONE_TAIL, LI_PHONE_TAIL = "8000", "5678"


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path_factory.mktemp('proofs') / 'crm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    generate(engine, DemoConfig(customers=30, products=60, interactions=300, seed=9), show_progress=False)
    engine.dispose()
    return session_factory(url)


def attempt(crm: sessionmaker[Session], order: str, proof: str, sender: str, at: datetime, channel: str = "rest"):
    """One answer, committed, as the form's CRM call commits it."""
    with crm() as session, session.begin():
        return check_order_proof(session, order, proof, channel=channel, sender_id=sender, now=at)


def customer(crm: sessionmaker[Session], sender: str) -> int:
    with crm() as session:
        return find_customer(session, "rest", sender).id


def test_wrong_answers_from_new_conversations_lock_the_order_then_back_off(crm: sessionmaker[Session]) -> None:
    """Five wrong answers, each from a new conversation (a restarted form gives no fresh tries), lock the
    order: even the right answer is refused, unchecked, for 15 minutes; afterwards it works. Five more
    failures after the lock lock it again for twice as long."""
    order = "KL20250101"
    for i in range(MAX_FAILURES):
        result = attempt(crm, order, f"{1000 + i}", f"guesser-{i}", T0 + timedelta(minutes=i))
        assert result.customer_id is None
    assert result.locked and result.locked_until == T0 + timedelta(minutes=MAX_FAILURES - 1) + FIRST_LOCK

    refused = attempt(crm, order, ALICE_PHONE_TAIL, "the-owner", T0 + timedelta(minutes=10))
    assert refused.customer_id is None and refused.locked
    with crm() as session:
        tried = session.scalar(select(func.count()).select_from(ProofAttempt).where(ProofAttempt.order_number == order))
        assert tried == MAX_FAILURES  # the answers given while locked are not checked (nor counted)
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "proof_locked")).all()
        assert any(
            e.detail["order"] == order
            and e.detail["scope"] == "order"
            and e.detail["minutes"] == 15
            and e.customer_id == customer(crm, "demo-alice")
            for e in entries
        )

    after = T0 + timedelta(minutes=MAX_FAILURES - 1) + FIRST_LOCK + timedelta(seconds=1)
    for i in range(MAX_FAILURES):
        result = attempt(crm, order, f"{2000 + i}", f"guesser-b{i}", after + timedelta(seconds=i))
    assert result.locked_until == after + timedelta(seconds=MAX_FAILURES - 1) + 2 * FIRST_LOCK


def test_the_right_answer_still_works_below_the_limit_and_clears_the_strikes(crm: sessionmaker[Session]) -> None:
    order = "KL20250102"
    for i in range(MAX_FAILURES - 1):
        assert attempt(crm, order, f"{3000 + i}", f"typo-{i}", T0 + timedelta(minutes=i)).customer_id is None
    ok = attempt(crm, order, ALICE_PHONE_TAIL, "typo-0", T0 + timedelta(minutes=5))
    assert ok.customer_id == customer(crm, "demo-alice") and not ok.locked


def test_one_sender_guessing_across_orders_is_locked(crm: sessionmaker[Session]) -> None:
    """A sender trying one guess on many orders (each order below its own limit) is locked itself, on
    every order, also on the one it has not tried; other senders are not affected."""
    orders = [f"KL2025110{d}" for d in range(1, 8)] + [f"KL2025010{d}" for d in range(3, 8)]
    at = T0 + timedelta(hours=3)
    results = [attempt(crm, order, "0000", "sweeper", at + timedelta(seconds=i)) for i, order in enumerate(orders)]
    assert not any(r.locked for r in results[: MAX_SENDER_FAILURES - 1]) and results[MAX_SENDER_FAILURES - 1].locked
    with crm() as session:
        assert proof_lock(session, "KL20251107", channel="rest", sender_id="sweeper", now=at + timedelta(minutes=1))
        assert (
            proof_lock(session, "KL20251107", channel="rest", sender_id="someone-else", now=at + timedelta(minutes=1))
            is None
        )
    assert attempt(crm, "KL20251104", LI_PHONE_TAIL, "sweeper", at + timedelta(minutes=2)).locked
    assert attempt(crm, "KL20251104", LI_PHONE_TAIL, "li-herself", at + timedelta(minutes=2)).customer_id == customer(
        crm, "demo-li"
    )


def test_old_failures_fall_out_of_the_window(crm: sessionmaker[Session]) -> None:
    order = "KL20251103"
    for i in range(MAX_FAILURES - 1):
        attempt(crm, order, f"{4000 + i}", f"slow-{i}", T0 - timedelta(hours=5) + timedelta(minutes=i))
    late = attempt(crm, order, "4999", "slow-late", T0 - timedelta(hours=3))
    assert late.customer_id is None and not late.locked


def test_a_malformed_order_number_counts_nothing(crm: sessionmaker[Session]) -> None:
    from crm.errors import InvalidOrderNumber

    with crm() as session:
        before = session.scalar(select(func.count()).select_from(ProofAttempt))
        with pytest.raises(InvalidOrderNumber):
            check_order_proof(session, "KL123", "0000", channel="rest", sender_id="x", now=T0)
        assert session.scalar(select(func.count()).select_from(ProofAttempt)) == before

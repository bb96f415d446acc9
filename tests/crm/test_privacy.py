"""Encryption at rest, consent, erasure and the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.errors import CustomerErased, CustomerNotFound
from crm.models import (
    Address,
    AuditEntry,
    ConsentEvent,
    Conversation,
    Customer,
    Identity,
    Interaction,
    Message,
    Order,
    Review,
)
from crm.privacy import audit_trail, erase_customer, may_personalize, stop_personalization
from tests.crm.conftest import AS_OF, DemoShop

ALICE, LI = 1, 2


WELL_KNOWN_SECRETS = ("13800138000", "alice@example.com", "13912345678", "li.wei@example.cn", "Alice Chen", "李伟")
ENCRYPTED_COLUMNS = (
    ("customers", "name"),
    ("identities", "external_id"),
    ("addresses", "recipient"),
    ("addresses", "phone"),
    ("addresses", "street"),
    ("messages", "text"),
    ("tickets", "subject"),
    ("invoices", "title"),
)


def _personal_values(demo_shop: DemoShop) -> set[str]:
    with Session(demo_shop.engine) as session:
        identities = session.scalars(select(Identity)).all()
        values = {i.external_id for i in identities if i.channel in ("phone", "email")}
        values |= {c.name for c in session.scalars(select(Customer)) if c.name}
        values |= {a.street for a in session.scalars(select(Address))}
    assert len(values) > 300
    return values


def test_sqlite_file_holds_no_plaintext_personal_data(demo_shop: DemoShop) -> None:
    """On SQLite, the raw database file (and its write-ahead log); on PostgreSQL, the raw column bytes."""
    values = {v.encode() for v in _personal_values(demo_shop)} | {v.encode() for v in WELL_KNOWN_SECRETS}
    if demo_shop.sqlite_path is not None:
        files = list(demo_shop.sqlite_path.parent.glob(demo_shop.sqlite_path.name + "*"))
        raw = b"".join(path.read_bytes() for path in files)
        assert len(raw) > 1_000_000
        assert [v for v in values if v in raw] == []
        return
    with demo_shop.engine.connect() as connection:
        for table, column in ENCRYPTED_COLUMNS:
            stored = connection.execute(text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")).scalars()
            blobs = [bytes(b) for b in stored]
            assert blobs, table
            joined = b"\x00".join(blobs)
            assert [v for v in values if v in joined] == [], f"{table}.{column}"


def test_stop_personalization_is_recorded_and_audited(session: Session) -> None:
    assert may_personalize(session, LI)
    assert stop_personalization(session, LI, source="wechat-chat", now=AS_OF)
    assert not may_personalize(session, LI)
    assert not stop_personalization(session, LI, source="wechat-chat", now=AS_OF)  # already off: no new event
    events = session.scalars(
        select(ConsentEvent).where(ConsentEvent.customer_id == LI).order_by(ConsentEvent.id.desc())
    ).all()
    assert (events[0].purpose, events[0].granted, events[0].source) == ("personalization", False, "wechat-chat")
    assert [e.action for e in audit_trail(session, LI)].count("consent_change") == 1


def _order_totals(session: Session, customer_id: int) -> tuple[int, Decimal]:
    count, total = session.execute(
        select(func.count(), func.sum(Order.total)).where(Order.customer_id == customer_id)
    ).one()
    return int(count), Decimal(total)


def test_erasure_removes_personal_data_keeps_aggregates_and_is_idempotent(session: Session) -> None:
    orders_before = _order_totals(session, ALICE)
    revenue_before = session.scalar(select(func.sum(Order.total)))
    conversation = repo.open_conversation(session, "web", "demo-alice", customer_id=ALICE, now=AS_OF)
    repo.record_message(session, conversation, "customer", "my phone is 13800138000", at=AS_OF)

    report = erase_customer(session, ALICE, actor="dpo@kelian", now=AS_OF)
    assert not report.already_erased and report.identities_deleted == 4 and report.orders_kept == 7
    assert report.messages_deleted >= 1 and report.interactions_deleted > 0

    assert repo.find_customer(session, "web", "demo-alice") is None
    assert repo.find_customer_by_phone(session, "13800138000") is None
    customer = repo.get_customer(session, ALICE)
    assert customer.erased and customer.name is None
    assert not customer.marketing_consent and not customer.personalization_consent
    for model in (Identity, Address, Interaction):
        assert session.scalar(select(func.count()).select_from(model).where(model.customer_id == ALICE)) == 0
    assert session.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conversation)) == 0
    assert session.scalar(select(Conversation.customer_id).where(Conversation.id == conversation)) is None
    assert all(body is None for body in session.scalars(select(Review.body).where(Review.customer_id == ALICE)))
    assert _order_totals(session, ALICE) == orders_before
    assert session.scalar(select(func.sum(Order.total))) == revenue_before
    assert repo.get_order(session, "KL20250101").items  # the order itself, anonymous, is still there

    trail = audit_trail(session, ALICE)
    assert [(e.action, e.actor) for e in trail if e.action == "erase"] == [("erase", "dpo@kelian")]
    assert trail[-1].detail["identities_deleted"] == 4

    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    again = erase_customer(session, ALICE, actor="dpo@kelian", now=AS_OF)
    assert again.already_erased
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits

    with pytest.raises(CustomerErased):
        repo.record_interaction(session, ALICE, 1, "view")
    with pytest.raises(CustomerNotFound):
        erase_customer(session, 999_999, actor="dpo@kelian")


def test_erased_identities_can_be_registered_again(session: Session) -> None:
    erase_customer(session, LI, actor="dpo@kelian", now=AS_OF)
    newcomer = repo.create_customer(session, name="李伟", language="zh", identities=[("wechat", "wx-demo-li")])
    assert newcomer.id != LI and repo.find_customer(session, "wechat", "wx-demo-li") == newcomer

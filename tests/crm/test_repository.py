"""The repository functions the bot and the console call, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.errors import (
    ConversationNotFound,
    CustomerNotFound,
    DuplicateIdentity,
    InvalidInput,
    InvalidOrderNumber,
    NotAllowed,
    NotFound,
    OrderNotFound,
    ProductNotFound,
)
from crm.models import (
    AuditEntry,
    Customer,
    Identity,
    Interaction,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
    Review,
)
from tests.crm.conftest import AS_OF

ALICE, LI = 1, 2


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_customers_are_found_by_any_identity(session: Session) -> None:
    alice = repo.find_customer(session, "web", "demo-alice")
    assert alice is not None and alice.id == ALICE and alice.name == "Alice Chen" and alice.preferred_language == "en"
    for phone in ("13800138000", "+86 138 0013 8000", "138-0013-8000"):
        assert repo.find_customer_by_phone(session, phone) == alice
    assert repo.find_customer_by_email(session, "ALICE@example.com ") == alice
    assert repo.find_customer(session, "rest", "demo-alice") == alice
    li = repo.find_customer(session, "wechat", "wx-demo-li")
    assert li is not None and li.id == LI and li.name == "李伟" and li.preferred_language == "zh"
    assert repo.find_customer(session, "web", "nobody") is None
    assert repo.find_customer(session, "wechat", "demo-alice") is None  # identities are per channel


def test_bad_identity_input_is_a_typed_error(session: Session) -> None:
    with pytest.raises(InvalidInput):
        repo.find_customer(session, "fax", "123")
    with pytest.raises(InvalidInput):
        repo.find_customer_by_email(session, "alice-at-example")
    with pytest.raises(CustomerNotFound):
        repo.get_customer(session, 999_999)
    with pytest.raises(CustomerNotFound):
        repo.resolve_customer(session, "web:nobody")
    assert repo.resolve_customer(session, "web:demo-alice").id == ALICE
    assert repo.resolve_customer(session, "li.wei@example.cn").id == LI
    assert repo.resolve_customer(session, "2").id == LI


def test_duplicate_identity_is_refused_and_changes_nothing(session: Session) -> None:
    customers, identities = _count(session, Customer), _count(session, Identity)
    with pytest.raises(DuplicateIdentity) as error:
        repo.create_customer(
            session,
            name="Mallory",
            language="en",
            identities=[("web", "brand-new-visitor"), ("email", "Alice@Example.com")],
        )
    assert error.value.owner_id == ALICE
    assert (_count(session, Customer), _count(session, Identity)) == (customers, identities)
    assert repo.find_customer(session, "web", "brand-new-visitor") is None
    with pytest.raises(DuplicateIdentity):
        repo.add_identity(session, LI, "phone", "13800138000")
    repo.add_identity(session, ALICE, "phone", "+8613800138000")  # already hers: a no-op
    assert _count(session, Identity) == identities


def test_new_customer_with_consents_and_identities(session: Session) -> None:
    created = repo.create_customer(
        session,
        name="Zoe Park",
        language="en",
        identities=[("web", "visitor-42"), ("phone", "+86 135 0000 1111")],
        personalization_consent=True,
        source="web-signup",
        now=AS_OF,
    )
    assert created.personalization_consent and not created.marketing_consent
    assert repo.find_customer_by_phone(session, "13500001111") == repo.get_customer(session, created.id)
    sender = repo.customer_for_sender(session, "wechat", "o-first-contact", language="zh", now=AS_OF)
    assert sender.name is None and sender.lifecycle_stage == "prospect"
    assert repo.customer_for_sender(session, "wechat", "o-first-contact").id == sender.id


def test_order_by_number_with_everything_the_bot_shows(session: Session) -> None:
    order = repo.get_order(session, "kl20250104", customer_id=ALICE)
    assert order.number == "KL20250104" and order.status is OrderStatus.SHIPPED
    assert len(order.items) == 2 and all(i.name_en and i.name_zh for i in order.items)
    assert order.subtotal == sum((i.line_total for i in order.items), Decimal("0"))
    assert order.total == order.subtotal - order.discount + order.shipping_fee
    assert [h.status for h in order.history] == ["placed", "paid", "shipped"]
    (shipment,) = order.shipments
    assert shipment.status in ("in_transit", "out_for_delivery") and shipment.delivered_at is None
    assert shipment.events and shipment.events[0].occurred_at <= shipment.events[-1].occurred_at
    assert all(e.description_en and e.description_zh for e in shipment.events)
    assert order.delivery is not None and order.delivery.region_code == "east"
    assert order.payments[-1].status == "succeeded"


def test_orders_are_private_and_numbers_validated(session: Session) -> None:
    with pytest.raises(OrderNotFound):
        repo.get_order(session, "KL20250104", customer_id=LI)
    with pytest.raises(OrderNotFound):
        repo.get_order(session, "KL00000000")
    with pytest.raises(InvalidOrderNumber):
        repo.get_order(session, "KL123")
    with pytest.raises(InvalidOrderNumber):
        repo.cancel_order(session, "order 5", customer_id=ALICE)


def test_well_known_customers_have_orders_in_every_status(session: Session) -> None:
    assert {o.status for o in repo.last_orders(session, ALICE, limit=20)} == set(OrderStatus)
    assert {o.status for o in repo.last_orders(session, LI, limit=20)} == set(OrderStatus) - {OrderStatus.RETURNED}
    placed = repo.get_order(session, "KL20250107")
    assert placed.status is OrderStatus.PLACED and placed.payments[0].status == "failed"
    refunds = {r.status for r in repo.refunds_of(session, ALICE) + repo.refunds_of(session, LI)}
    assert refunds == set(RefundStatus)


def test_last_orders_are_newest_first(session: Session) -> None:
    orders = repo.last_orders(session, ALICE, limit=3)
    assert len(orders) == 3
    assert orders[0].placed_at >= orders[1].placed_at >= orders[2].placed_at
    assert orders[0].number == "KL20250107" and orders[0].first_item_en


def test_cancellation_fee_rules(session: Session) -> None:
    fresh = repo.cancellation_quote(session, "KL20250105", now=AS_OF)  # paid 3 hours ago
    assert fresh.cancellable and fresh.fee == 0 and fresh.refund_amount == repo.get_order(session, "KL20250105").total
    late = repo.cancellation_quote(session, "KL20251105", now=AS_OF)  # paid 30 hours ago
    total = repo.get_order(session, "KL20251105").total
    assert late.fee == max((total * Decimal("0.03")).quantize(Decimal("0.01")), Decimal("5.00"))
    shipped = repo.cancellation_quote(session, "KL20251104", now=AS_OF)
    total = repo.get_order(session, "KL20251104").total
    assert shipped.fee == max((total * Decimal("0.10")).quantize(Decimal("0.01")), Decimal("15.00"))
    unpaid = repo.cancellation_quote(session, "KL20251107", now=AS_OF)
    assert unpaid.cancellable and unpaid.fee == 0 and unpaid.refund_amount == 0
    delivered = repo.cancellation_quote(session, "KL20250101", now=AS_OF)
    assert not delivered.cancellable and "return" in delivered.rule_en


def test_cancel_order_refunds_what_was_paid_minus_the_fee(session: Session) -> None:
    quote = repo.cancel_order(session, "KL20251105", customer_id=LI, now=AS_OF)
    order = repo.get_order(session, "KL20251105")
    assert order.status is OrderStatus.CANCELLED and order.cancellation_fee == quote.fee > 0
    assert order.history[-1].status is OrderStatus.CANCELLED
    (refund,) = order.refunds
    assert refund.status is RefundStatus.APPROVED and refund.amount == order.total - quote.fee
    with pytest.raises(NotAllowed):
        repo.cancel_order(session, "KL20251105", customer_id=LI, now=AS_OF)
    with pytest.raises(OrderNotFound):
        repo.cancel_order(session, "KL20250105", customer_id=LI, now=AS_OF)


def test_refund_requests_follow_the_return_rules(session: Session) -> None:
    refunds = _count(session, Refund)
    with pytest.raises(NotAllowed, match="more than 30 days"):
        repo.request_refund(session, "KL20250101", customer_id=ALICE, reason="too small", now=AS_OF)
    with pytest.raises(NotAllowed, match="in progress"):
        repo.request_refund(session, "KL20250103", customer_id=ALICE, reason="too small", now=AS_OF)
    with pytest.raises(NotAllowed, match="only delivered"):
        repo.request_refund(session, "KL20250104", customer_id=ALICE, reason="late", now=AS_OF)
    assert _count(session, Refund) == refunds
    eligible = session.scalar(
        select(Order)
        .where(
            Order.status == OrderStatus.DELIVERED, Order.updated_at >= AS_OF - timedelta(days=20), ~Order.refunds.any()
        )
        .order_by(Order.id)
        .limit(1)
    )
    assert eligible is not None
    with pytest.raises(InvalidInput):
        repo.request_refund(
            session,
            eligible.number,
            customer_id=eligible.customer_id,
            reason="damaged",
            amount=eligible.total + 1,
            now=AS_OF,
        )
    refund = repo.request_refund(
        session, eligible.number, customer_id=eligible.customer_id, reason="damaged", amount=Decimal("10"), now=AS_OF
    )
    assert refund.status is RefundStatus.REQUESTED and refund.amount == Decimal("10.00")
    assert refund.number.startswith("RF") and refund in repo.refunds_of(session, eligible.customer_id)


def test_delivery_options_per_region(session: Session) -> None:
    east = {o.code: o for o in repo.delivery_options(session, "east")}
    assert set(east) == {"standard", "express", "same_day"}
    assert east["standard"].fee_for(Decimal("120")) == 0 and east["standard"].fee_for(Decimal("50")) > 0
    remote = {o.code: o for o in repo.delivery_options(session, "remote")}
    assert "same_day" not in remote and remote["standard"].max_days > east["standard"].max_days
    assert remote["standard"].region_zh.startswith("偏远")
    with pytest.raises(NotFound):
        repo.delivery_options(session, "atlantis")
    assert repo.default_address_region(session, LI) == "north"


def test_products_and_search(session: Session) -> None:
    first = repo.get_product(session, 1)
    assert repo.get_product(session, first.sku) == first
    with pytest.raises(ProductNotFound):
        repo.get_product(session, "NOPE-1")
    waterproof = repo.search_products(session, "waterproof", limit=50)
    assert waterproof and all("waterproof" in (p.name_en + p.description_en).lower() for p in waterproof)
    chinese = repo.search_products(session, "防水", limit=50)
    assert {p.id for p in chinese} == {
        p.id for p in repo.search_products(session, "waterproof", limit=50, active_only=True)
    }
    assert repo.search_products(session, "   ") == []
    ranked = repo.products_by_ids(session, [3, 1, 999_999, 2])
    assert [p.id for p in ranked] == [3, 1, 2]
    skus = [p.sku for p in ranked]
    shown = repo.products_by_skus(session, [skus[2], "NOPE-1", skus[0]])
    assert [p.sku for p in shown] == [skus[2], skus[0]] and shown[0] == repo.get_product(session, skus[2])
    assert repo.products_by_skus(session, []) == repo.products_by_ids(session, []) == []


def test_interactions_are_validated_and_recorded(session: Session) -> None:
    before = _count(session, Interaction)
    with pytest.raises(InvalidInput):
        repo.record_interaction(session, ALICE, 1, "stare")
    with pytest.raises(ProductNotFound):
        repo.record_interaction(session, ALICE, 999_999, "view")
    with pytest.raises(InvalidInput):
        repo.record_interaction(session, ALICE, 1, "view", channel="telepathy")
    assert _count(session, Interaction) == before
    repo.record_interaction(session, ALICE, 5, "rec_click", channel="wechat", occurred_at=AS_OF + timedelta(hours=1))
    assert _count(session, Interaction) == before + 1
    assert repo.recently_viewed(session, ALICE, limit=5)
    assert repo.get_customer(session, ALICE).last_seen_at == AS_OF + timedelta(hours=1)


def test_a_shown_list_is_recorded_all_or_none(session: Session) -> None:
    before = _count(session, Interaction)
    with pytest.raises(ProductNotFound):
        repo.record_interactions(session, ALICE, [1, 2, 999_999], "rec_impression")
    assert _count(session, Interaction) == before  # none of the list, not the first two
    repo.record_interactions(session, ALICE, [3, 1, 3], "rec_impression", channel="web")
    assert _count(session, Interaction) == before + 3
    repo.record_interactions(session, ALICE, [], "rec_impression")
    assert _count(session, Interaction) == before + 3


def test_reviews(session: Session) -> None:
    with pytest.raises(InvalidInput):
        repo.add_review(session, LI, 1, 6)
    reviews = _count(session, Review)
    repo.add_review(session, LI, 1, 5, body="很好用", language="zh", order_number="KL20251101", now=AS_OF)
    assert _count(session, Review) == reviews + 1
    average, count = repo.product_rating(session, 1)
    assert count >= 1 and average is not None and 1 <= average <= 5
    with pytest.raises(OrderNotFound):
        repo.add_review(session, LI, 1, 4, order_number="KL20250101")


def test_conversation_handoff_and_audited_transcript(session: Session) -> None:
    conversation = repo.open_conversation(
        session, "web", "alice-on-her-tablet", customer_id=ALICE, language="en", now=AS_OF
    )
    assert repo.open_conversation(session, "web", "alice-on-her-tablet") == conversation
    repo.record_message(
        session,
        conversation,
        "customer",
        "where is KL20250104?",
        intent="track_order",
        confidence=0.93,
        entities=[{"entity": "order_id", "value": "KL20250104"}],
        at=AS_OF,
    )
    repo.record_message(session, conversation, "bot", "It is on its way.", at=AS_OF + timedelta(seconds=2))
    with pytest.raises(InvalidInput):
        repo.record_message(session, conversation, "customer", "x", confidence=1.5)
    with pytest.raises(ConversationNotFound):
        repo.record_message(session, 999_999, "customer", "hello")
    handoff = repo.request_handoff(session, conversation, reason="contact_human_agent", now=AS_OF)
    assert repo.request_handoff(session, conversation, reason="again") == handoff
    inbox = repo.handoff_inbox(session)
    assert handoff in [h.id for h in inbox] and LI in [h.customer_id for h in inbox]  # the demo's waiting one
    repo.assign_handoff(session, handoff, agent="agent.zhou", now=AS_OF)
    assert handoff not in [h.id for h in repo.handoff_inbox(session)]
    audits = _count(session, AuditEntry)
    messages = repo.transcript(session, conversation, actor="agent.zhou")
    assert [m.sender for m in messages] == ["customer", "bot"] and messages[0].text == "where is KL20250104?"
    assert _count(session, AuditEntry) == audits + 1
    repo.close_handoff(session, handoff, now=AS_OF)
    assert repo.open_conversation(session, "web", "alice-on-her-tablet") != conversation


def test_tickets(session: Session) -> None:
    ticket = repo.open_ticket(
        session,
        LI,
        category="delivery",
        subject="包裹还没到",
        priority="high",
        order_number="KL20251104",
        channel="wechat",
        now=AS_OF,
    )
    assert ticket.status == "open" and ticket.order_number == "KL20251104"
    resolved = repo.set_ticket_status(
        session, ticket.number, "resolved", assignee="agent.lin", now=AS_OF + timedelta(hours=2)
    )
    assert resolved.resolved_at == AS_OF + timedelta(hours=2)
    assert ticket.number in [t.number for t in repo.tickets_of(session, LI)]
    with pytest.raises(InvalidInput):
        repo.open_ticket(session, LI, category="weather", subject="rain")
    with pytest.raises(InvalidInput):
        repo.open_ticket(session, LI, category="other", subject="  ")


def test_newsletter_needs_and_records_marketing_consent(session: Session) -> None:
    customer = repo.create_customer(session, name="Quiet Person", language="en", now=AS_OF)
    repo.subscribe_newsletter(session, customer.id, "new_arrivals", now=AS_OF)
    assert repo.get_customer(session, customer.id).marketing_consent
    assert customer.id in repo.newsletter_audience(session, "new_arrivals")
    from crm.privacy import set_consent

    set_consent(session, customer.id, "marketing", False, source="customer", now=AS_OF)
    assert customer.id not in repo.newsletter_audience(session, "new_arrivals")
    with pytest.raises(InvalidInput):
        repo.subscribe_newsletter(session, customer.id, "Spam Everything!")


def test_customer_360_masks_by_default_and_audits_every_read(session: Session) -> None:
    before = _count(session, AuditEntry)
    view = repo.customer_360(session, ALICE, actor="agent.smith", now=AS_OF)
    assert view.customer.name == "A*** C***"
    phones = [i.masked_id for i in view.identities if i.channel == "phone"]
    assert phones == ["138****8000"]
    assert [i.masked_id for i in view.identities if i.channel == "email"] == ["a***@example.com"]
    assert view.addresses[0].phone == "138****8000" and view.addresses[0].street == "…"
    assert len(view.orders) == 7 and view.rfm is not None and view.clv is not None
    revealed = repo.customer_360(session, ALICE, actor="agent.smith", reveal=True, now=AS_OF)
    assert revealed.customer.name == "Alice Chen" and "13800138000" in [i.masked_id for i in revealed.identities]
    entries = session.scalars(select(AuditEntry).where(AuditEntry.id > 0).order_by(AuditEntry.id.desc()).limit(2)).all()
    assert _count(session, AuditEntry) == before + 2
    assert {(e.actor, e.action, e.customer_id) for e in entries} == {("agent.smith", "read_personal_data", ALICE)}
    assert {e.detail["revealed"] for e in entries} == {True, False}

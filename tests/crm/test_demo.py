"""The demo shop: deterministic, believable, complete, and safe to run twice."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.demo.vocabulary import CATALOGUE
from crm.demo.generator import DemoConfig, _Shop, generate
from crm.errors import DatabaseNotEmpty, InvalidInput
from crm.repository import sender_key
from crm.models import (
    CancellationFeeRule,
    Category,
    Conversation,
    Interaction,
    Invoice,
    Message,
    NewsletterSubscription,
    Order,
    OrderStatus,
    Payment,
    Product,
    Refund,
    Review,
    Shipment,
    Ticket,
    TrackingEvent,
)
from tests.crm.conftest import AS_OF, DEMO, DemoShop

TINY = DemoConfig(customers=60, products=60, interactions=1500, seed=3, as_of=AS_OF)


def _built(config: DemoConfig) -> dict[str, list[dict]]:
    shop = _Shop(config)
    shop.build()
    return shop.rows


def test_same_seed_same_shop_other_seed_other_shop() -> None:
    first, second = _built(TINY), _built(TINY)
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table
    other = _built(DemoConfig(customers=60, products=60, interactions=1500, seed=4, as_of=AS_OF))
    assert other["products"] != first["products"]


def test_config_is_validated() -> None:
    with pytest.raises(InvalidInput):
        DemoConfig(customers=5).validate()
    with pytest.raises(InvalidInput):
        DemoConfig(products=10).validate()


def test_refuses_a_database_with_data_and_changes_nothing(demo_shop: DemoShop) -> None:
    with Session(demo_shop.engine) as session:
        before = session.scalar(select(func.count()).select_from(Order))
    with pytest.raises(DatabaseNotEmpty, match="--reset"):
        generate(demo_shop.engine, TINY, show_progress=False)
    with Session(demo_shop.engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == before


def test_catalogue_is_bilingual_and_searchable(session: Session) -> None:
    tops = session.scalars(select(Category).where(Category.parent_id.is_(None))).all()
    assert len(tops) == len(CATALOGUE) == 10
    assert {t.name_zh for t in tops} >= {"数码电子", "服装", "鞋靴", "运动户外", "母婴"}
    products = session.scalars(select(Product)).all()
    assert len({p.name_en for p in products}) == len(products)
    for product in products:
        assert product.name_en.startswith(product.brand)
        feature = product.attributes["features"][0]
        assert feature and product.attributes["kind"] in product.name_en
        assert product.name_zh and product.description_zh.startswith(product.name_zh)
        assert product.description_en.startswith(product.name_en)
        assert float(product.price) % 10 == 9  # shop prices end in 9
    leaves = {p.category_id for p in products}
    assert len(leaves) == sum(len(t.leaves) for t in CATALOGUE)  # every leaf category has products


def test_every_status_and_record_kind_occurs(session: Session) -> None:
    def values(column) -> set:
        return set(session.scalars(select(column).distinct()))

    assert values(Order.status) == set(OrderStatus)
    assert values(Refund.status) == {"requested", "approved", "rejected", "completed"}
    assert {"failed", "succeeded", "refunded"} <= values(Payment.status)
    assert {"delivered", "in_transit"} <= values(Shipment.status)
    assert values(Ticket.status) >= {"open", "resolved"}
    assert values(CancellationFeeRule.order_status) == {"placed", "paid", "shipped"}
    for model in (Invoice, Review, NewsletterSubscription, TrackingEvent):
        assert session.execute(select(func.count()).select_from(model)).scalar_one() > 0, model.__name__
    shipped = session.scalars(select(Shipment)).all()
    assert all(s.carrier in ("SF Express", "ZTO Express", "SF Same-Day") for s in shipped)


def test_orders_are_consistent_with_their_records(session: Session) -> None:
    for order in session.scalars(select(Order)).all():
        assert order.total == order.subtotal - order.discount + order.shipping_fee
        assert order.status_events[0].status == "placed"
        assert order.status_events[-1].status == order.status
        if order.status in ("shipped", "delivered"):
            assert order.shipments and order.shipments[0].events
        if order.status == "delivered":
            assert order.shipments[0].status == "delivered"
        if order.status == "returned":
            assert any(r.status == "completed" and r.kind == "return_and_refund" for r in order.refunds)


def test_conversations_are_keyed_by_the_customers_sender_id(session: Session) -> None:
    alice = session.scalars(select(Conversation).where(Conversation.sender_key == sender_key("web", "demo-alice")))
    li = session.scalars(select(Conversation).where(Conversation.sender_key == sender_key("web", "demo-li")))
    assert {c.customer_id for c in alice} == {1} and {c.customer_id for c in li} <= {2}
    keys = session.scalars(select(Conversation.sender_key).where(Conversation.sender_key.is_not(None))).all()
    assert len(set(keys)) > len(keys) / 2
    messages = session.scalars(select(Message).where(Message.sender == "customer")).all()
    assert messages and all(m.intent and m.confidence for m in messages)
    assert any("\u4e00" <= ch <= "\u9fff" for m in messages for ch in m.text)


def test_interactions_have_power_law_popularity_over_a_year(session: Session) -> None:
    per_product = np.array(
        sorted(
            session.scalars(select(func.count()).select_from(Interaction).group_by(Interaction.product_id)).all(),
            reverse=True,
        )
    )
    top_decile = per_product[: max(1, len(per_product) // 10)].sum() / per_product.sum()
    assert top_decile > 0.3
    first, last = session.execute(select(func.min(Interaction.occurred_at), func.max(Interaction.occurred_at))).one()
    assert (last - first).days >= 330
    assert session.scalar(select(func.count()).select_from(Interaction)) == DEMO.interactions


def test_customers_have_tastes(session: Session) -> None:
    """Each customer's interactions concentrate on a few top categories: something for ALS to learn."""
    top_of = dict(session.execute(select(Category.id, Category.parent_id)).all())
    rows = session.execute(select(Interaction.customer_id, Product.category_id).join(Product)).all()
    by_customer: dict[int, Counter] = defaultdict(Counter)
    for customer, category in rows:
        by_customer[customer][top_of[category]] += 1
    shares = [c.most_common(1)[0][1] / sum(c.values()) for c in by_customer.values() if sum(c.values()) >= 20]
    assert len(shares) > 50
    assert float(np.mean(shares)) > 0.3  # ten top categories: 0.1 would be no taste at all

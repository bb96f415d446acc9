"""The recommender's contract (`crm.export`), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.export import InteractionRecord, ProductRecord, iter_interactions, list_products, purchased_product_ids
from crm.models import Customer, Interaction
from crm.privacy import stop_personalization
from crm.repository import get_order
from tests.crm.conftest import AS_OF, DEMO

KINDS = {"view", "click", "add_to_cart", "purchase", "chat_mention", "rec_impression", "rec_click", "rating"}


def test_record_shapes_are_the_published_contract() -> None:
    assert [f.name for f in dataclasses.fields(InteractionRecord)] == [
        "customer_id",
        "product_id",
        "kind",
        "weight",
        "occurred_at",
        "channel",
    ]
    assert [f.name for f in dataclasses.fields(ProductRecord)] == [
        "product_id",
        "sku",
        "name_en",
        "name_zh",
        "description_en",
        "description_zh",
        "category_en",
        "category_zh",
        "category_path",
        "brand",
        "price",
        "stock",
        "active",
        "consumable",
        "created_at",
    ]
    # the parameters dataclasses sets on the class at run time (no type stub names them)
    assert all(getattr(record, "__dataclass_params__").frozen for record in (InteractionRecord, ProductRecord))


def test_interactions_stream_oldest_first_with_plain_values(session: Session) -> None:
    records = list(iter_interactions(session))
    assert 0.8 * DEMO.interactions < len(records) <= DEMO.interactions
    first = records[0]
    assert isinstance(first, InteractionRecord) and type(first.kind) is str and type(first.channel) is str
    assert isinstance(first.occurred_at, datetime) and first.occurred_at.tzinfo is not None
    assert {r.kind for r in records} == KINDS
    assert all(records[i].occurred_at <= records[i + 1].occurred_at for i in range(len(records) - 1))
    assert all(r.weight > 0 for r in records)


def test_since_is_inclusive_and_filters(session: Session) -> None:
    since = AS_OF - timedelta(days=30)
    recent = list(iter_interactions(session, since=since))
    assert recent and all(r.occurred_at >= since for r in recent)
    assert len(recent) < len(list(iter_interactions(session)))


def test_only_customers_who_consented_are_exported(session: Session) -> None:
    refused = session.scalars(select(Customer.id).where(Customer.personalization_consent.is_(False))).all()
    assert refused, "the demo has customers without personalisation consent"
    logged = set(session.scalars(select(Interaction.customer_id).where(Interaction.customer_id.in_(refused))))
    assert logged, "their behaviour is logged"
    exported = {r.customer_id for r in iter_interactions(session)}
    assert not exported & set(refused)
    assert 1 in exported
    stop_personalization(session, 1, source="chat")
    assert 1 not in {r.customer_id for r in iter_interactions(session)}


def test_products_carry_bilingual_names_and_the_category_path(session: Session) -> None:
    products = list_products(session)
    assert len(products) == DEMO.products
    assert [p.product_id for p in products] == sorted(p.product_id for p in products)
    for product in products:
        assert len(product.category_path) == 2 and product.category_path[-1] == product.category_en
        assert product.name_en and product.description_en and product.description_zh
        assert any("\u4e00" <= ch <= "\u9fff" for ch in product.name_zh)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in product.category_zh)
        assert isinstance(product.price, float) and product.price > 0
        assert product.created_at.tzinfo is not None
    assert len({p.category_path[0] for p in products}) == 10
    assert any(p.consumable for p in products) and not all(p.consumable for p in products)


def test_purchased_products_come_from_paid_orders_only(session: Session) -> None:
    bought = purchased_product_ids(session, 1)
    delivered = {item.product_id for item in get_order(session, "KL20250101").items}
    returned = {item.product_id for item in get_order(session, "KL20250102").items}
    not_bought = {
        item.product_id
        for number in ("KL20250106", "KL20250107")  # cancelled, unpaid
        for item in get_order(session, number).items
    }
    assert delivered <= bought and returned <= bought
    assert not_bought.isdisjoint(bought)
    assert purchased_product_ids(session, 999_999) == set()

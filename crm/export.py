"""What the recommender reads from the CRM, and nothing more (it imports no other module of `crm`).

Only customers who consented to personalisation (and were not erased) contribute interactions:
consent gates the use of behaviour, not its logging.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import PURCHASE_STATUSES, Category, Customer, Interaction, Order, OrderItem, OrderStatus, Product

BOUGHT_STATUSES = (*PURCHASE_STATUSES, OrderStatus.RETURNED)


@dataclass(frozen=True)
class InteractionRecord:
    customer_id: int
    product_id: int
    kind: str  # view|click|add_to_cart|purchase|chat_mention|rec_impression|rec_click|rating
    weight: float
    occurred_at: datetime
    channel: str


@dataclass(frozen=True)
class ProductRecord:
    product_id: int
    sku: str
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    category_en: str  # leaf category names
    category_zh: str
    category_path: tuple[str, ...]  # English path from the root, e.g. ("Sports & Outdoors", "Running Gear")
    brand: str
    price: float  # CNY
    stock: int
    active: bool
    consumable: bool
    created_at: datetime


def iter_interactions(session: Session, since: datetime | None = None) -> Iterator[InteractionRecord]:
    """Interactions of consenting customers, oldest first, streamed in batches (`since` is inclusive)."""
    query = (
        select(
            Interaction.customer_id,
            Interaction.product_id,
            Interaction.kind,
            Interaction.weight,
            Interaction.occurred_at,
            Interaction.channel,
        )
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(Customer.personalization_consent.is_(True), Customer.erased_at.is_(None))
        .order_by(Interaction.occurred_at, Interaction.id)
        .execution_options(yield_per=5000)
    )
    if since is not None:
        query = query.where(Interaction.occurred_at >= since)
    for customer_id, product_id, kind, weight, occurred_at, channel in session.execute(query):
        yield InteractionRecord(customer_id, product_id, kind.value, weight, occurred_at, channel.value)


def interactions_of(session: Session, customer_id: int, since: datetime) -> list[InteractionRecord]:
    """One consenting customer's interactions since `since` (inclusive), oldest first: what happened
    after the recommender was trained, for folding in at once."""
    query = (
        select(
            Interaction.customer_id,
            Interaction.product_id,
            Interaction.kind,
            Interaction.weight,
            Interaction.occurred_at,
            Interaction.channel,
        )
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(
            Interaction.customer_id == customer_id,
            Interaction.occurred_at >= since,
            Customer.personalization_consent.is_(True),
            Customer.erased_at.is_(None),
        )
        .order_by(Interaction.occurred_at, Interaction.id)
    )
    return [InteractionRecord(c, p, k.value, w, at, ch.value) for c, p, k, w, at, ch in session.execute(query)]


def list_products(session: Session) -> list[ProductRecord]:
    """The whole catalogue, inactive products included (flagged), ordered by id."""
    categories = {c.id: c for c in session.scalars(select(Category))}

    def path(category_id: int) -> tuple[str, ...]:
        names: list[str] = []
        current: int | None = category_id
        while current is not None:
            names.append(categories[current].name_en)
            current = categories[current].parent_id
        return tuple(reversed(names))

    paths = {category_id: path(category_id) for category_id in categories}
    return [
        ProductRecord(
            product_id=p.id,
            sku=p.sku,
            name_en=p.name_en,
            name_zh=p.name_zh,
            description_en=p.description_en,
            description_zh=p.description_zh,
            category_en=categories[p.category_id].name_en,
            category_zh=categories[p.category_id].name_zh,
            category_path=paths[p.category_id],
            brand=p.brand,
            price=float(p.price),
            stock=p.stock,
            active=p.active,
            consumable=p.consumable,
            created_at=p.created_at,
        )
        for p in session.scalars(select(Product).order_by(Product.id))
    ]


def purchased_product_ids(session: Session, customer_id: int) -> set[int]:
    """Products the customer bought (paid, shipped, delivered or returned orders): not worth recommending again."""
    return set(
        session.scalars(
            select(OrderItem.product_id)
            .join(Order)
            .where(Order.customer_id == customer_id, Order.status.in_(BOUGHT_STATUSES))
            .distinct()
        )
    )

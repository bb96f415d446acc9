"""Implicit feedback (interactions) and reviews."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, ProductNotFound
from crm.models import (
    INTERACTION_WEIGHTS,
    Channel,
    Interaction,
    InteractionKind,
    Language,
    Product,
    Review,
    rating_weight,
)
from crm.privacy import utcnow
from crm.repository.common import as_channel, as_language, live_customer
from crm.repository.orders import load_order


def record_interaction(
    session: Session,
    customer_id: int,
    product_id: int,
    kind: InteractionKind | str,
    *,
    channel: Channel | str = Channel.WEB,
    weight: float | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """Log one implicit-feedback event. Logged for every customer; only customers who consented to
    personalisation are exported to the recommender (`crm.export`)."""
    record_interactions(
        session, customer_id, [product_id], kind, channel=channel, weight=weight, occurred_at=occurred_at
    )


def record_interactions(
    session: Session,
    customer_id: int,
    product_ids: Sequence[int],
    kind: InteractionKind | str,
    *,
    channel: Channel | str = Channel.WEB,
    weight: float | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """The same event for several products (the list a customer was shown), all or none: one check of
    the customer, one query for the products, one write."""
    try:
        kind = InteractionKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown interaction kind {kind!r}") from None
    channel = as_channel(channel)
    if weight is not None and not 0 <= weight <= 100:
        raise InvalidInput("an interaction weight must be between 0 and 100")
    if not product_ids:
        return
    with session.begin_nested():
        customer = live_customer(session, customer_id)
        known = set(session.scalars(select(Product.id).where(Product.id.in_(set(product_ids)))))
        missing = [p for p in product_ids if p not in known]
        if missing:
            raise ProductNotFound(missing[0])
        at = occurred_at or utcnow()
        session.add_all(
            Interaction(
                customer_id=customer_id,
                product_id=product_id,
                kind=kind,
                channel=channel,
                weight=INTERACTION_WEIGHTS[kind] if weight is None else weight,
                occurred_at=at,
            )
            for product_id in product_ids
        )
        if customer.last_seen_at is None or customer.last_seen_at < at:
            customer.last_seen_at = at
        session.flush()


def recently_viewed(session: Session, customer_id: int, *, limit: int = 10) -> list[int]:
    rows = session.execute(
        select(Interaction.product_id, func.max(Interaction.occurred_at).label("last"))
        .where(
            Interaction.customer_id == customer_id,
            Interaction.kind.in_([InteractionKind.VIEW, InteractionKind.CLICK, InteractionKind.ADD_TO_CART]),
        )
        .group_by(Interaction.product_id)
        .order_by(func.max(Interaction.occurred_at).desc())
        .limit(limit)
    ).all()
    return [row.product_id for row in rows]


def add_review(
    session: Session,
    customer_id: int,
    product_id: int,
    rating: int,
    *,
    body: str | None = None,
    language: Language | str = Language.ZH,
    order_number: str | None = None,
    now: datetime | None = None,
) -> None:
    """A star rating (and text); it is also a `rating` interaction for the recommender."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("a rating is a whole number of stars from 1 to 5")
    now = now or utcnow()
    language = as_language(language)
    with session.begin_nested():
        live_customer(session, customer_id)
        if session.get(Product, product_id) is None:
            raise ProductNotFound(product_id)
        order_id = None
        if order_number is not None:
            order_id = load_order(session, order_number, customer_id).id
        session.add(
            Review(
                customer_id=customer_id,
                product_id=product_id,
                order_id=order_id,
                rating=rating,
                language=language,
                body=body,
                created_at=now,
            )
        )
        session.add(
            Interaction(
                customer_id=customer_id,
                product_id=product_id,
                kind=InteractionKind.RATING,
                channel=Channel.WEB,
                weight=rating_weight(rating),
                occurred_at=now,
            )
        )
        session.flush()


def product_rating(session: Session, product_id: int) -> tuple[float | None, int]:
    """(average stars, number of reviews)."""
    average, count = session.execute(
        select(func.avg(Review.rating), func.count(Review.id)).where(Review.product_id == product_id)
    ).one()
    return (None if average is None else round(float(average), 2)), int(count)

"""Customer 360: the CRM's profile (`crm.repository.customer_360`, audited) with what conversations taught
(interests, preferred channel, satisfaction), recent interactions and conversations, and the recommender's
current suggestions with their explanations: the list the customer gets in the chat, by the action server's
own path (`recommender.serving.personal`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.serving.personal import LIST_LENGTH, customer_list
from recommender.serving.loader import RecommenderUnavailable, ServedRecommender

from crm.models import Address, Conversation, Customer, CustomerInterest, Identity, Interaction, Product
from crm.errors import CustomerNotFound, InvalidInput, NotFound
from crm.repository import Customer360, CustomerView, customer_360, resolve_customer

from console.i18n import refusal

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class CustomerPage:
    profile: Customer360
    preferred_channel: str | None
    last_contact_at: datetime | None
    satisfaction: float | None
    interests: list[tuple[str, float]]
    interactions: list[dict[str, Any]]
    conversations: list[dict[str, Any]]


def customer_by_reference(session: Session, reference: str) -> CustomerView:
    """`resolve_customer` for what staff type (an id, `web:demo-alice`, an email), refused in the catalogue's
    words so that the page says it in the reader's language, with the reference they typed."""
    shown = reference.strip()[:80]
    try:
        return resolve_customer(session, reference)
    except CustomerNotFound as missing:
        raise refusal(NotFound, "customers.error.not_found", reference=shown) from missing
    except InvalidInput as unclear:
        raise refusal(InvalidInput, "customers.error.reference", reference=shown) from unclear


def customer_page(session: Session, customer_id: int, *, actor: str, reveal: bool) -> CustomerPage:
    profile = customer_360(session, customer_id, actor=actor, reveal=reveal)
    customer = session.get(Customer, customer_id)
    assert customer is not None  # customer_360 raised otherwise
    interests = [
        (i.tag, i.weight)
        for i in session.scalars(
            select(CustomerInterest)
            .where(CustomerInterest.customer_id == customer_id)
            .order_by(CustomerInterest.weight.desc())
            .limit(20)
        )
    ]
    interactions = [
        {
            "kind": i.kind.value,
            "channel": i.channel.value,
            "at": i.occurred_at,
            "sku": p.sku,
            "name_en": p.name_en,
            "name_zh": p.name_zh,
        }
        for i, p in session.execute(
            select(Interaction, Product)
            .join(Product, Product.id == Interaction.product_id)
            .where(Interaction.customer_id == customer_id)
            .order_by(Interaction.occurred_at.desc())
            .limit(20)
        )
    ]
    conversations = [
        {
            "id": c.id,
            "channel": c.channel.value,
            "status": c.status.value,
            "started_at": c.started_at,
            "language": None if c.language is None else c.language.value,
        }
        for c in session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.started_at.desc())
            .limit(10)
        )
    ]
    return CustomerPage(
        profile,
        None if customer.preferred_channel is None else customer.preferred_channel.value,
        customer.last_contact_at,
        customer.satisfaction,
        interests,
        interactions,
        conversations,
    )


def personal_data_of(session: Session, customer_id: int | None) -> tuple[list[str], list[str]]:
    """The customer's names and channel identifiers, for masking them wherever they appear in text."""
    if customer_id is None:
        return [], []
    customer = session.get(Customer, customer_id)
    names = [customer.name] if customer is not None and customer.name else []
    names += list(session.scalars(select(Address.recipient).where(Address.customer_id == customer_id)))
    identifiers = list(session.scalars(select(Identity.external_id).where(Identity.customer_id == customer_id)))
    return names, identifiers


class Recommendations:
    """The recommender the customer page ranks with, loaded as the action server loads it
    (`recommender.serving.loader`): in the background when the console starts; while none is trained it is
    tried again at most once a minute, so a model trained later appears without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._served = ServedRecommender(path, retry_seconds=RETRY_SECONDS)

    def load(self) -> None:
        try:
            self._served.get()
        except RecommenderUnavailable as problem:
            log.warning("console: %s", problem)

    def for_customer(
        self, session: Session, customer_id: int, *, language: str, k: int = LIST_LENGTH
    ) -> tuple[list[Any], str | None]:
        """(recommendations, None) or ([], why there are none). The recommendations are the customer's own
        list (`personal.customer_list`): what the CRM learnt since training folded in, bought products left out."""
        try:
            recommender = self._served.get()
        except RecommenderUnavailable as problem:
            return [], str(problem)
        try:
            return customer_list(recommender, session, customer_id, language=language, k=k), None
        except Exception as error:  # a recommender failure is a notice on the page, never an error page
            log.exception("recommendations for customer %s failed", customer_id)
            return [], f"the recommender failed: {type(error).__name__}"

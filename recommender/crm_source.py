"""Interactions and products from the CRM, through `crm.export` only: the snapshot training reads,
and what the CRM learnt about one customer since the served version was trained.

`crm` is imported here, inside the functions, so the rest of the recommender (and its tests)
works on machines and in processes where the CRM package or its database is absent. This is the
recommender's one module that imports `crm` (tests/kelian/test_imports.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from recommender.catalogue import Catalogue
from recommender.data import Interactions, WeightConfig, from_records
from recommender.records import InteractionLike

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class CrmSnapshot:
    interactions: Interactions
    catalogue: Catalogue
    url: str


def load_from_crm(url: str | None = None, weights: WeightConfig | None = None) -> CrmSnapshot:
    from crm.db import database_url, session_factory
    from crm.export import iter_interactions, list_products

    factory = session_factory(url)
    with factory() as session:
        catalogue = Catalogue(list_products(session))
        interactions = from_records(iter_interactions(session), weights)
    return CrmSnapshot(interactions, catalogue, database_url(url).render_as_string(hide_password=True))


def learnt_since(
    session: Session, customer_id: int, trained_at: datetime | None
) -> tuple[list[InteractionLike], set[int]]:
    """One customer's interactions since `trained_at` (none when the version does not say when it was
    trained; the CRM leaves out customers without personalisation consent), and the products they
    bought (paid, shipped, delivered or returned orders)."""
    from crm.export import interactions_of, purchased_product_ids

    recent: list[InteractionLike] = (
        [] if trained_at is None else list(interactions_of(session, customer_id, trained_at))
    )
    return recent, purchased_product_ids(session, customer_id)

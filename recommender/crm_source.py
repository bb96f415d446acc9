"""Interactions and products from the CRM, through `crm.export` only.

`crm` is imported here, inside the functions, so the rest of the recommender (and its tests)
works on machines and in processes where the CRM package or its database is absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from recommender.catalogue import Catalogue
from recommender.data import Interactions, WeightConfig, from_records


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

"""Synthetic data with known structure: a small shop's event log for tests and demos, and
large interaction matrices for benchmarks.

Shoppers have tastes (a few categories they keep coming back to), so a model that learns
tastes beats popularity, as on real data; the generators are seeded and reproducible.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from recommender.catalogue import Catalogue
from recommender.data import NO_KIND, Interactions
from recommender.records import InteractionRecord

FUNNEL = (("view", 1.0), ("click", 0.6), ("add_to_cart", 0.3), ("purchase", 0.5))


def shop_events(
    catalogue: Catalogue,
    customers: int = 200,
    sessions_per_customer: tuple[int, int] = (3, 12),
    seed: int = 0,
    end: datetime | None = None,
    days: int = 180,
) -> list[InteractionRecord]:
    """Event log of `customers` shoppers, each loyal to 1-3 categories of the catalogue.

    A session picks one of the shopper's categories (now and then a random one), views a few
    products there (the popular ones more often) and may click, add to cart and buy;
    consumables are bought again in later sessions.
    """
    rng = np.random.default_rng(seed)
    end = end or datetime(2025, 11, 1, tzinfo=timezone.utc)
    groups = sorted(set(catalogue.group.tolist()))
    members = {g: np.flatnonzero(catalogue.group == g) for g in groups}
    appeal = rng.pareto(1.5, len(catalogue)) + 1.0
    events: list[InteractionRecord] = []
    for customer in range(1, customers + 1):
        tastes = rng.choice(len(groups), size=min(len(groups), int(rng.integers(1, 4))), replace=False)
        bought: list[int] = []
        for _ in range(int(rng.integers(*sessions_per_customer))):
            when = end - timedelta(days=float(rng.uniform(0, days)))
            group = groups[int(rng.choice(tastes))] if rng.random() < 0.85 else groups[int(rng.integers(len(groups)))]
            pool = members[group]
            weights = appeal[pool] / appeal[pool].sum()
            for product in rng.choice(pool, size=min(len(pool), int(rng.integers(1, 4))), replace=False, p=weights):
                for kind, probability in FUNNEL:
                    if rng.random() > probability:
                        break
                    when += timedelta(minutes=float(rng.uniform(1, 20)))
                    events.append(
                        InteractionRecord(customer, catalogue.products[product].product_id, kind, 1.0, when, "web")
                    )
                    if kind == "purchase":
                        bought.append(int(product))
            if bought and rng.random() < 0.3:
                again = bought[int(rng.integers(len(bought)))]
                if catalogue.consumable[again]:
                    events.append(
                        InteractionRecord(customer, catalogue.products[again].product_id, "purchase", 1.0, when, "web")
                    )
    return events


def interaction_matrix(
    n_users: int, n_items: int, n_interactions: int, clusters: int = 50, seed: int = 0
) -> Interactions:
    """Clustered, Zipf-popular interactions at scale (10^7 rows in seconds, ~120 MB).

    Each user belongs to a taste cluster; 80 % of their interactions fall in their cluster's
    items, the rest anywhere, with item popularity following a Zipf law.
    """
    rng = np.random.default_rng(seed)
    user_cluster = rng.integers(clusters, size=n_users)
    item_cluster = rng.integers(clusters, size=n_items)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    rng.shuffle(popularity)
    by_cluster = [np.flatnonzero(item_cluster == c) for c in range(clusters)]
    cluster_cdf = [np.cumsum(popularity[items]) / popularity[items].sum() for items in by_cluster]
    global_cdf = np.cumsum(popularity) / popularity.sum()

    activity = rng.pareto(2.0, n_users) + 1.0
    users = rng.choice(n_users, size=n_interactions, p=activity / activity.sum()).astype(np.int32)
    items = np.empty(n_interactions, dtype=np.int32)
    in_cluster = rng.random(n_interactions) < 0.8
    anywhere = ~in_cluster
    items[anywhere] = np.searchsorted(global_cdf, rng.random(int(anywhere.sum())))
    clusters_of = user_cluster[users]
    for c in range(clusters):
        chosen = in_cluster & (clusters_of == c)
        count = int(chosen.sum())
        if count and len(by_cluster[c]):
            picks = np.searchsorted(cluster_cdf[c], rng.random(count))
            items[chosen] = by_cluster[c][np.minimum(picks, len(by_cluster[c]) - 1)]
        elif count:
            items[chosen] = np.searchsorted(global_cdf, rng.random(count))
    items = np.minimum(items, n_items - 1)
    weights = np.ones(n_interactions, dtype=np.float32)
    timestamps = np.full(n_interactions, np.nan)
    return Interactions(
        users,
        items,
        weights,
        timestamps,
        np.arange(n_users).astype(str).astype(object),
        np.arange(n_items).astype(str).astype(object),
        np.full(n_interactions, NO_KIND, dtype=np.int8),
    )

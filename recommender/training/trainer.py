"""Training: interactions + catalogue -> everything the service needs to answer (`recommender.trained`).

Interactions are re-coded as catalogue rows, ALS is fitted, the product texts are embedded, cold
products get content-based vectors, and the hold-out figures of ALS against popularity and random
are kept in the version's metadata.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from typing import Any

import numpy as np
from scipy import sparse

from recommender.catalogue import Catalogue
from recommender.settings import Config, load_config
from recommender.data import Interactions
from recommender.evaluation.offline import evaluate
from recommender.collaborative import ALSModel
from recommender.trained import TrainedRecommender, content_vectors
from retrieval.text import SearchStrategy, TextSearchIndex


def align_to_catalogue(interactions: Interactions, catalogue: Catalogue) -> tuple[Interactions, int]:
    """Re-code items as catalogue rows, dropping events for products the catalogue lacks."""
    rows = np.asarray([catalogue.row_of.get(str(label), -1) for label in interactions.item_ids], dtype=np.int64)
    item_rows = rows[interactions.items] if len(interactions) else np.zeros(0, dtype=np.int64)
    keep = item_rows >= 0
    catalogue_ids = np.asarray([str(p.product_id) for p in catalogue.products], dtype=object)
    aligned = Interactions(
        interactions.users[keep],
        item_rows[keep].astype(np.int32),
        interactions.weights[keep],
        interactions.timestamps[keep],
        interactions.user_ids,
        catalogue_ids,
        interactions.kinds[keep],
    )
    return aligned, int((~keep).sum())


def kinds_matrix(interactions: Interactions) -> sparse.csr_matrix:
    """Strongest kind per (customer, product), stored as kind code + 2 (1 = unknown kind)."""
    strongest = interactions.deduplicated()
    codes = strongest.kinds.astype(np.int16) + 2
    return sparse.csr_matrix(
        (codes, (strongest.users, strongest.items)), shape=(interactions.n_users, interactions.n_items), dtype=np.int16
    )


def snapshot_hash(interactions: Interactions) -> str:
    digest = hashlib.sha256()
    for array in (interactions.users, interactions.items, interactions.weights):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def train(
    interactions: Interactions,
    catalogue: Catalogue | None = None,
    config: Config | None = None,
    with_text: bool = True,
    strategy: SearchStrategy | None = None,
    source: str = "",
    holdout_metrics: bool = True,
) -> TrainedRecommender:
    config = config or load_config()
    started = time.perf_counter()
    catalogue = catalogue or Catalogue.from_ids(list(interactions.item_ids))
    aligned, dropped = align_to_catalogue(interactions, catalogue)
    history = aligned.to_csr()
    als = ALSModel(config.models.als).fit(history)
    counts = np.bincount(history.indices, minlength=len(catalogue)).astype(np.float32)
    cold = counts == 0

    text = None
    if with_text and catalogue.has_text:
        products = catalogue.products
        text = TextSearchIndex.build([p.text("en") for p in products], [p.text("zh") for p in products], strategy)
    item_vectors = content_vectors(als.item_factors, cold, text)
    als.set_item_factors(item_vectors)

    metrics: dict[str, Any] = {}
    if holdout_metrics and len(aligned) >= 20:
        metrics = evaluate(
            aligned, k=10, seed=config.models.seed, config=config, models=("als", "popularity", "random")
        )
    timestamps = aligned.timestamps[~np.isnan(aligned.timestamps)]
    meta = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "data": {
            "customers": aligned.n_users,
            "products": len(catalogue),
            "interactions": len(aligned),
            "dropped_unknown_products": dropped,
            "cold_products": int(cold.sum()),
            "first_interaction": _iso(timestamps.min()) if len(timestamps) else None,
            "last_interaction": _iso(timestamps.max()) if len(timestamps) else None,
            "snapshot_sha256": snapshot_hash(aligned),
        },
        "params": config.as_dict(),
        "metrics": metrics,
        "train_seconds": round(time.perf_counter() - started, 3),
        "search_strategy": None if text is None else {"en": list(text.strategy.en), "zh": list(text.strategy.zh)},
    }
    return TrainedRecommender(
        catalogue=catalogue,
        user_ids=[str(u) for u in aligned.user_ids],
        history=history,
        kinds=kinds_matrix(aligned),
        als=als,
        cold_items=cold,
        popularity=counts,
        text=text,
        config=config,
        meta=meta,
    )


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(float(seconds), tz=timezone.utc).isoformat(timespec="seconds")

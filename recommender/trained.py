"""What training produces and serving answers from: the trained recommender in memory.

The item space is the catalogue: row i of the ALS item factors, the popularity counts and the
text index is catalogue product i. Products nobody has interacted with yet get a content-based
vector (`content_vectors`: the factors of the products whose descriptions read most like theirs),
at training and when the service adds products, until the next training run gives them real ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from recommender.catalogue import Catalogue
from recommender.collaborative import ALSModel
from recommender.settings import Config
from retrieval.text import TextSearchIndex

CONTENT_NEIGHBOURS = 10


@dataclass
class TrainedRecommender:
    catalogue: Catalogue
    user_ids: list[str]
    history: sparse.csr_matrix
    kinds: sparse.csr_matrix
    als: ALSModel
    cold_items: np.ndarray
    popularity: np.ndarray
    text: TextSearchIndex | None
    config: Config
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def item_vectors(self) -> np.ndarray:
        """ALS item factors, content-based for products without interactions."""
        return self.als.item_factors

    def user_row(self, customer_id: object) -> int | None:
        if not hasattr(self, "_user_index"):
            self._user_index = {u: i for i, u in enumerate(self.user_ids)}
        return self._user_index.get(str(customer_id))


def content_vectors(item_factors: np.ndarray, cold: np.ndarray, text: TextSearchIndex | None) -> np.ndarray:
    """Factors for cold products: similarity-weighted mean of their text neighbours' factors."""
    vectors = item_factors.copy()
    warm = ~cold
    if text is None or not warm.any():
        vectors[cold] = 0.0
        return vectors
    for row in np.flatnonzero(cold):
        neighbours = [(i, s) for i, s in text.similar(int(row), CONTENT_NEIGHBOURS, allowed=warm) if s > 0]
        if not neighbours:
            vectors[row] = 0.0
            continue
        ids = np.asarray([i for i, _ in neighbours])
        weights = np.asarray([s for _, s in neighbours], dtype=np.float32)
        vectors[row] = (weights[:, None] * item_factors[ids]).sum(axis=0) / weights.sum()
    return vectors

from __future__ import annotations

import numpy as np
import pytest

from recommender.evaluation.benchmarks import clustered_vectors
from retrieval.vector_index import VectorIndex, choose_kind, recall_against_exact


def test_kind_is_chosen_by_size() -> None:
    assert choose_kind(1_000) == "exact"
    assert choose_kind(100_000) == "hnsw"
    assert choose_kind(5_000_000) == "ivf"


@pytest.mark.parametrize(("kind", "floor"), [("exact", 1.0), ("hnsw", 0.95), ("ivf", 0.85)])
def test_approximate_indexes_find_most_of_the_exact_top10(kind: str, floor: float) -> None:
    vectors, queries = clustered_vectors(5_000, 16, 50, seed=1)
    index = VectorIndex(vectors, kind=kind)
    assert recall_against_exact(vectors, queries, index, 10) >= floor
    ids, scores = index.search(queries[:1], 10)
    assert np.allclose(scores[0], vectors[ids[0]] @ queries[0], atol=1e-4)


@pytest.mark.parametrize("kind", ["exact", "hnsw"])
def test_allow_list_is_respected(kind: str) -> None:
    vectors, queries = clustered_vectors(3_000, 8, 1, seed=2)
    allowed = np.zeros(3_000, dtype=bool)
    allowed[::3] = True
    found = VectorIndex(vectors, kind=kind).search_one(queries[0], 10, allowed)
    assert len(found.ids) == 10 and allowed[found.ids].all()
    best_allowed = np.flatnonzero(allowed)[np.argmax(vectors[allowed] @ queries[0])]
    assert found.ids[0] == best_allowed

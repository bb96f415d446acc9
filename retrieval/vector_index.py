"""FAISS maximum-inner-product search over item vectors (ALS factors or text embeddings).

Exact search (IndexFlatIP) is cheap up to tens of thousands of items; beyond that an HNSW
graph is built (at 10^6 items it answered 43x faster than exact search at recall@10 0.99, IVF only
4.6x, see docs/benchmarks.md); past two million items an IVF index, which builds faster and needs
no graph in memory. Both search inner products directly. (Reducing MIPS to L2 search with an extra coordinate,
Bachrach et al. 2014,
was measured too: on ALS factors it cut HNSW recall@10 from 0.996 to 0.52 at efSearch 128,
because every query lands far from the data sphere; docs/recommender.md has the figures.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import faiss
import numpy as np

EXACT_MAX_ITEMS = 20_000
HNSW_MAX_ITEMS = 2_000_000
KINDS = ("exact", "hnsw", "ivf")


def choose_kind(n_items: int) -> str:
    if n_items <= EXACT_MAX_ITEMS:
        return "exact"
    if n_items <= HNSW_MAX_ITEMS:
        return "hnsw"
    return "ivf"


@dataclass
class SearchResult:
    ids: np.ndarray
    scores: np.ndarray


class VectorIndex:
    """Top-k inner-product search with an optional allow-list (business filters)."""

    def __init__(
        self,
        vectors: np.ndarray,
        kind: str = "auto",
        hnsw_m: int = 32,
        ef_search: int = 128,
        nprobe: int | None = None,
        seed: int = 0,
    ) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, self.dim = self.vectors.shape
        self.kind = choose_kind(n) if kind == "auto" else kind
        if self.kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; expected auto or one of {KINDS}")
        self.hnsw_m, self.ef_search, self.seed = hnsw_m, ef_search, seed
        self.nprobe = nprobe
        self.index = self._build()

    def __len__(self) -> int:
        return self.vectors.shape[0]

    def _build(self) -> faiss.Index:
        n = len(self.vectors)
        index: faiss.Index
        if self.kind == "exact":
            index = faiss.IndexFlatIP(self.dim)
        elif self.kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = max(40, self.hnsw_m * 2)
            hnsw.hnsw.efSearch = self.ef_search
            index = hnsw
        else:
            nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(self.seed)
            ivf.train(self.vectors[rng.choice(n, size=min(n, nlist * 64), replace=False)])
            ivf.nprobe = self.nprobe or max(1, nlist // 8)
            index = ivf
        index.add(self.vectors)
        return index

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, inner products) of shape (n_queries, k); missing results have id -1."""
        k = min(k, len(self))
        if k <= 0:
            empty = np.zeros((len(np.atleast_2d(queries)), 0))
            return empty.astype(np.int64), empty.astype(np.float32)
        queries = np.atleast_2d(queries)
        _, ids = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        safe = np.where(ids >= 0, ids, 0)
        scores = np.einsum("qkd,qd->qk", self.vectors[safe], queries.astype(np.float32))
        scores = np.where(ids >= 0, scores, -np.inf).astype(np.float32)
        order = np.argsort(-scores, axis=1, kind="stable")
        return np.take_along_axis(ids, order, axis=1), np.take_along_axis(scores, order, axis=1)

    def search_one(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> SearchResult:
        """Best k for one query among the allowed items.

        When filters leave a small share of the catalogue, scoring just those items exactly is
        both faster and complete; otherwise the index is asked for more and more candidates
        until k allowed ones are found.
        """
        query = np.asarray(query, dtype=np.float32).ravel()
        if allowed is None:
            ids, scores = self.search(query, k)
            keep = ids[0] >= 0
            return SearchResult(ids[0][keep], scores[0][keep])
        candidates = np.flatnonzero(allowed)
        if len(candidates) == 0:
            return SearchResult(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if self.kind == "exact" or len(candidates) <= max(4096, len(self) // 20):
            scores = self.vectors[candidates] @ query
            top = np.argsort(-scores, kind="stable")[:k]
            return SearchResult(candidates[top], scores[top])
        fetch = k * 4
        while True:
            ids, scores = self.search(query, fetch)
            ids, scores = ids[0], scores[0]
            keep = (ids >= 0) & allowed[np.where(ids >= 0, ids, 0)]
            if keep.sum() >= k or fetch >= len(self):
                return SearchResult(ids[keep][:k], scores[keep][:k])
            fetch = min(len(self), fetch * 4)


def recall_against_exact(vectors: np.ndarray, queries: np.ndarray, approximate: VectorIndex, k: int = 10) -> float:
    """Share of the exact top-k that the approximate index returns."""
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(vectors, dtype=np.float32))
    _, truth = exact.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    found, _ = approximate.search(queries, k)
    hits = sum(len(np.intersect1d(t, f[f >= 0])) for t, f in zip(truth, found))
    return hits / truth.size

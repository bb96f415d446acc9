"""Ranking metrics @k for top-N recommendation, computed over every test user at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class RankingMetrics:
    precision: float
    recall: float
    ndcg: float
    map: float
    coverage: float
    users: int

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "ndcg": self.ndcg,
            "map": self.map,
            "coverage": self.coverage,
        }


def ranking_metrics(recommended: np.ndarray, relevant: sparse.csr_matrix, n_items: int) -> RankingMetrics:
    """`recommended[u]` is user u's top-k list (item codes, best first); `relevant[u]` the
    held-out items. Users with nothing held out are skipped.

    precision@k = hits / k; recall@k = hits / |relevant|; nDCG@k with binary gains and the ideal
    DCG over min(k, |relevant|); MAP@k = mean over users of sum(P@i * rel_i) / min(k, |relevant|);
    coverage = share of the catalogue that appears in at least one list.
    """
    n_relevant = np.diff(relevant.indptr)
    users = np.flatnonzero(n_relevant > 0)
    k = recommended.shape[1]
    if len(users) == 0 or k == 0:
        return RankingMetrics(0.0, 0.0, 0.0, 0.0, 0.0, 0)
    rec = recommended[users]
    rows = np.repeat(np.arange(len(users)), k)
    hits = np.asarray(relevant[users][rows, rec.ravel()]).reshape(len(users), k) > 0
    hit_counts = hits.sum(axis=1)
    n_rel = n_relevant[users]

    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts).sum(axis=1)
    ideal_len = np.minimum(n_rel, k)
    ideal = np.cumsum(discounts)[ideal_len - 1]

    cumulative_hits = np.cumsum(hits, axis=1)
    precision_at_i = cumulative_hits / np.arange(1, k + 1)
    average_precision = (precision_at_i * hits).sum(axis=1) / ideal_len

    valid = rec[rec >= 0]
    coverage = len(np.unique(valid)) / n_items if n_items else 0.0
    return RankingMetrics(
        precision=float((hit_counts / k).mean()),
        recall=float((hit_counts / n_rel).mean()),
        ndcg=float((dcg / ideal).mean()),
        map=float(average_precision.mean()),
        coverage=float(coverage),
        users=int(len(users)),
    )

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from recommender.evaluation.ranking_metrics import ranking_metrics


def test_metrics_match_hand_computation() -> None:
    recommended = np.array([[0, 1, 2], [3, 4, 5]])
    relevant = sparse.csr_matrix(np.array([[1, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1]]))
    m = ranking_metrics(recommended, relevant, n_items=7)
    assert m.precision == pytest.approx((2 / 3 + 0) / 2)
    assert m.recall == pytest.approx((1.0 + 0.0) / 2)
    dcg = 1 + 1 / np.log2(4)
    idcg = 1 + 1 / np.log2(3)
    assert m.ndcg == pytest.approx((dcg / idcg) / 2)
    assert m.map == pytest.approx(((1 + 2 / 3) / 2) / 2)
    assert m.coverage == pytest.approx(6 / 7)
    assert m.users == 2


def test_users_without_held_out_items_are_skipped() -> None:
    recommended = np.array([[0, 1], [0, 1]])
    relevant = sparse.csr_matrix(np.array([[1, 0, 0], [0, 0, 0]]))
    m = ranking_metrics(recommended, relevant, n_items=3)
    assert m.users == 1 and m.precision == pytest.approx(0.5) and m.recall == pytest.approx(1.0)

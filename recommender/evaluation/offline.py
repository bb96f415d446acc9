"""Offline evaluation of the collaborative models on one interactions file: a seeded random or
time split, top-k for every test user with their training items filtered out, ranking metrics @k
(`ranking_metrics`) and coverage per model. `python -m recommender.evaluate` is its command line."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from recommender.settings import Config, load_config
from recommender.data import DataError, Interactions, Split, random_split, time_split
from recommender.evaluation.ranking_metrics import RankingMetrics, ranking_metrics
from recommender.collaborative import MODEL_NAMES, Model, build_model

BATCH_USERS = 2048


def make_split(interactions: Interactions, method: str = "random", seed: int = 0, test_fraction: float = 0.2) -> Split:
    if method == "random":
        return random_split(interactions, test_fraction=test_fraction, seed=seed)
    if method == "time":
        return time_split(interactions)
    raise DataError(f"unknown split {method!r}; expected random or time")


def evaluate_model(model: Model, train: sparse.csr_matrix, test: sparse.csr_matrix, k: int) -> RankingMetrics:
    """Top-k for every user with held-out items, training items filtered out."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    recommended = np.full((train.shape[0], k), -1, dtype=np.int64)
    for start in range(0, len(users), BATCH_USERS):
        batch = users[start : start + BATCH_USERS]
        ids, _ = model.recommend(batch, train[batch], k, filter_seen=True)
        recommended[batch, : ids.shape[1]] = ids
    return ranking_metrics(recommended, test, train.shape[1])


def evaluate(
    interactions: Interactions,
    k: int = 10,
    seed: int = 0,
    split: str = "random",
    config: Config | None = None,
    models: Sequence[str] = MODEL_NAMES,
) -> dict[str, Any]:
    config = config or load_config()
    config.models.seed = seed
    config.models.als.random_state = seed
    config.models.bpr.random_state = seed
    chosen = make_split(interactions, split, seed)
    train = chosen.train.to_csr()
    test = chosen.test.to_csr()
    result: dict[str, Any] = {}
    for name in models:
        model = build_model(name, config.models)
        model.fit(train)
        started = time.perf_counter()
        metrics = evaluate_model(model, train, test, k)
        result[name] = {
            **{key: round(value, 5) for key, value in metrics.as_dict().items()},
            "train_seconds": round(model.train_seconds, 3),
            "eval_seconds": round(time.perf_counter() - started, 3),
        }
    result["split"] = {**chosen.details, "k": k, "evaluated_users": int(np.count_nonzero(np.diff(test.indptr)))}
    return result

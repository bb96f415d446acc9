"""Offline evaluation of every model on one interactions file.

    python -m recommender.evaluate --interactions PATH [--format csv|movielens] [--k 10]
        [--seed 0] [--split random|time] [--config FILE] --json

prints one JSON object: for each of als, bpr, item_knn, popularity and random its precision,
recall, ndcg, map (all @k), coverage and train_seconds, plus the split used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from recommender.config import Config, ConfigError, load_config
from recommender.data import DataError, Interactions, Split, random_split, read_interactions, time_split
from recommender.metrics import RankingMetrics, ranking_metrics
from recommender.models import MODEL_NAMES, Model, build_model

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", required=True, help="CSV user,item[,weight][,timestamp] or MovieLens u.data")
    parser.add_argument("--format", choices=("csv", "movielens"), default="csv")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=("random", "time"), default="random")
    parser.add_argument("--config", help="TOML file overriding recommender/defaults.toml")
    parser.add_argument(
        "--models", default=",".join(MODEL_NAMES), help="comma-separated subset of " + ",".join(MODEL_NAMES)
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (otherwise a table)")
    args = parser.parse_args(argv)
    if args.k <= 0:
        parser.error("--k must be positive")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = set(models) - set(MODEL_NAMES)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}")
    try:
        config = load_config(args.config)
        interactions = read_interactions(args.interactions, args.format)
        result = evaluate(interactions, k=args.k, seed=args.seed, split=args.split, config=config, models=models)
    except (DataError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(result, args.k))
    return 0


def format_table(result: dict[str, Any], k: int) -> str:
    lines = [f"| model | P@{k} | R@{k} | nDCG@{k} | MAP@{k} | coverage | train s |", "|---|---|---|---|---|---|---|"]
    for name, row in result.items():
        if name == "split":
            continue
        lines.append(
            f"| {name} | {row['precision']:.4f} | {row['recall']:.4f} | {row['ndcg']:.4f} | {row['map']:.4f} "
            f"| {row['coverage']:.3f} | {row['train_seconds']:.2f} |"
        )
    split = result["split"]
    lines.append(f"\nsplit: {json.dumps(split)}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

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
from collections.abc import Sequence
from typing import Any

from recommender.collaborative import MODEL_NAMES
from recommender.data import DataError, read_interactions
from recommender.evaluation.offline import evaluate
from recommender.settings import ConfigError, load_config


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

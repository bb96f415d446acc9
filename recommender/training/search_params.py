"""Hyper-parameter search on a validation split carved out of the training data.

The evaluation's test items are never looked at: the training part of the (seeded) evaluation
split is split again, models are fitted on the inner training part and ranked by nDCG@k on
the validation part. The best values are written as a TOML config for --config.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from recommender.settings import Config, dump_toml, load_config
from recommender.data import Interactions, random_split
from recommender.evaluation.offline import evaluate_model
from recommender.collaborative import ALSModel, BPRModel, ItemKNNModel, Model

ALS_GRID: dict[str, list[Any]] = {
    "confidence": ["none", "log", "bm25"],
    "factors": [32, 64, 128],
    "regularization": [0.05, 1.0, 10.0],
    "alpha": [1.0, 5.0, 20.0],
}
BPR_GRID: dict[str, list[Any]] = {
    "factors": [32, 64],
    "learning_rate": [0.01, 0.02],
    "regularization": [0.01, 0.05, 0.1],
    "iterations": [60, 100],
}
KNN_GRID: dict[str, list[Any]] = {"neighbours": [20, 50, 100, 400]}

QUICK_ALS_GRID: dict[str, list[Any]] = {
    "confidence": ["none", "log"],
    "factors": [32, 64],
    "regularization": [1.0, 10.0],
    "alpha": [1.0],
}


@dataclass
class Trial:
    model: str
    params: dict[str, Any]
    ndcg: float
    precision: float
    seconds: float


def _grid(grid: dict[str, list[Any]]) -> Iterable[dict[str, Any]]:
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        yield dict(zip(keys, values))


def search(
    interactions: Interactions,
    k: int = 10,
    seed: int = 0,
    base: Config | None = None,
    grids: dict[str, dict[str, list[Any]]] | None = None,
    progress: bool = True,
) -> tuple[Config, list[Trial]]:
    base = base or load_config()
    grids = grids or {"als": ALS_GRID, "bpr": BPR_GRID, "item_knn": KNN_GRID}
    outer = random_split(interactions, 0.2, seed)
    inner = random_split(outer.train, 0.2, seed + 1)
    train, valid = inner.train.to_csr(), inner.test.to_csr()

    builders: dict[str, Callable[[dict[str, Any]], Model]] = {
        "als": lambda p: ALSModel(replace(base.models.als, random_state=seed, **p)),
        "bpr": lambda p: BPRModel(replace(base.models.bpr, random_state=seed, **p)),
        "item_knn": lambda p: ItemKNNModel(replace(base.models.item_knn, **p)),
    }
    jobs = [(name, params) for name, grid in grids.items() for params in _grid(grid)]
    trials: list[Trial] = []
    for name, params in tqdm(jobs, desc="search", disable=not progress, unit="fit"):
        started = time.perf_counter()
        model = builders[name](params).fit(train)
        metrics = evaluate_model(model, train, valid, k)
        trials.append(Trial(name, params, metrics.ndcg, metrics.precision, time.perf_counter() - started))

    best = base
    for name in grids:
        ranked = sorted((t for t in trials if t.model == name), key=lambda t: t.ndcg, reverse=True)
        if not ranked:
            continue
        chosen = ranked[0].params
        if name == "als":
            best.models.als = replace(best.models.als, **chosen)
        elif name == "bpr":
            best.models.bpr = replace(best.models.bpr, **chosen)
        elif name == "item_knn":
            best.models.item_knn = replace(best.models.item_knn, **chosen)
    return best, trials


def write_config(config: Config, path: str | Path, trials: list[Trial], source: str) -> None:
    lines = [f"# Picked by `python -m recommender search-params` on {source} (validation nDCG)."]
    for name in sorted({t.model for t in trials}):
        top = max((t for t in trials if t.model == name), key=lambda t: t.ndcg)
        lines.append(f"# best {name}: nDCG {top.ndcg:.4f}, precision {top.precision:.4f} with {top.params}")
    text = "\n".join(lines) + "\n" + dump_toml(config)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)

"""Measures product search on the labelled query set in `evalsets/` (143 Chinese and English
shopper queries, each with the products a shop assistant would show).

Every retriever and every fusion of them is scored per language with recall@10, MRR and
nDCG@10; a budget said in the query ("under 500", "500元以下") is applied as a price filter,
exactly as the service does. The figures chose `text.SearchStrategy`'s defaults.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.query import parse_query
from recommender.records import ProductRecord
from recommender.text import SearchStrategy, TextSearchIndex

EVALSETS = Path(__file__).with_name("evalsets")
# (retrievers, their RRF weights)
COMBINATIONS: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...] = (
    (("bm25",), (1.0,)),
    (("minilm",), (1.0,)),
    (("e5",), (1.0,)),
    (("minilm", "bm25"), (1.0, 1.0)),
    (("e5", "bm25"), (1.0, 1.0)),
    (("e5", "bm25"), (1.0, 0.2)),
    (("e5", "minilm"), (1.0, 1.0)),
    (("e5", "minilm", "bm25"), (1.0, 1.0, 1.0)),
)


def combination_name(retrievers: tuple[str, ...], weights: tuple[float, ...]) -> str:
    return "+".join(name if weight == 1.0 else f"{weight:g}·{name}" for name, weight in zip(retrievers, weights))


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    relevant: tuple[str, ...]


def load_catalogue(path: Path | None = None) -> list[ProductRecord]:
    raw = json.loads((path or EVALSETS / "catalogue.json").read_text(encoding="utf-8"))
    return [ProductRecord.from_json(item) for item in raw]


def load_queries(path: Path | None = None) -> list[LabelledQuery]:
    raw = json.loads((path or EVALSETS / "search_queries.json").read_text(encoding="utf-8"))
    return [LabelledQuery(item["query"], tuple(item["relevant"])) for item in raw]


def build_index(products: Sequence[ProductRecord], strategy: SearchStrategy | None = None) -> TextSearchIndex:
    return TextSearchIndex.build([p.text("en") for p in products], [p.text("zh") for p in products], strategy)


def score_ranking(ranked: Sequence[int], relevant: set[int], k: int = 10) -> dict[str, float]:
    top = list(ranked[:k])
    hits = [1.0 if doc in relevant else 0.0 for doc in top]
    dcg = sum(h / np.log2(i + 2) for i, h in enumerate(hits))
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(k, len(relevant))))
    reciprocal = next((1.0 / (i + 1) for i, doc in enumerate(ranked) if doc in relevant), 0.0)
    return {"recall": sum(hits) / len(relevant), "mrr": reciprocal, "ndcg": dcg / ideal if ideal else 0.0}


def evaluate_search(
    products: Sequence[ProductRecord],
    queries: Sequence[LabelledQuery],
    combinations: Sequence[tuple[tuple[str, ...], tuple[float, ...]]] = COMBINATIONS,
    k: int = 10,
    index: TextSearchIndex | None = None,
) -> dict[str, Any]:
    index = index or build_index(products, SearchStrategy(en=("minilm", "e5", "bm25"), zh=("e5", "bm25")))
    position = {p.sku: i for i, p in enumerate(products)}
    prices = np.asarray([p.price for p in products])
    results: dict[str, Any] = {}
    for combo, weights in combinations:
        name = combination_name(combo, weights)
        per_language: dict[str, list[dict[str, float]]] = {"en": [], "zh": []}
        started = time.perf_counter()
        for labelled in queries:
            parsed = parse_query(labelled.query)
            allowed = np.ones(len(products), dtype=bool)
            if parsed.max_price is not None:
                allowed &= prices <= parsed.max_price
            if parsed.min_price is not None:
                allowed &= prices >= parsed.min_price
            ranked = [doc for doc, _ in index.search(parsed.text, k, parsed.language, allowed, combo, weights)]
            relevant = {position[sku] for sku in labelled.relevant}
            per_language[parsed.language].append(score_ranking(ranked, relevant, k))
        elapsed = time.perf_counter() - started
        results[name] = {
            language: {metric: round(float(np.mean([s[metric] for s in scores])), 4) for metric in ("recall", "mrr", "ndcg")}
            | {"queries": len(scores)}
            for language, scores in per_language.items()
        }
        results[name]["ms_per_query"] = round(1000 * elapsed / max(len(queries), 1), 1)
    return results


def format_table(results: dict[str, Any], k: int = 10) -> str:
    lines = [
        f"| retrievers | en recall@{k} | en MRR | en nDCG@{k} | zh recall@{k} | zh MRR | zh nDCG@{k} | ms/query |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        en, zh = row["en"], row["zh"]
        lines.append(
            f"| {name} | {en['recall']:.3f} | {en['mrr']:.3f} | {en['ndcg']:.3f} "
            f"| {zh['recall']:.3f} | {zh['mrr']:.3f} | {zh['ndcg']:.3f} | {row['ms_per_query']} |"
        )
    return "\n".join(lines)

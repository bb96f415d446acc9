"""Measures product search on the labelled query set in `evalsets/` (143 Chinese and English
shopper queries, each with the products a shop assistant would show).

Category precision: of the products search shows (the chat shows four), the share in the category
the shopper asked for (the categories of the query's labelled products), without and with the
product type read from the words (`query.read_message`) as a category filter. It is measured on
the 143 queries and on `category_queries.json` (requests whose words mislead retrieval: "适合跑步的
鞋" is not a running belt), both the team's own labelled sets.

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

from recommender.catalogue import Catalogue
from recommender.serving.query import parse_query, read_message
from recommender.records import ProductRecord
from recommender.serving.service import type_mask
from retrieval.text import SearchStrategy, TextSearchIndex

EVALSETS = Path(__file__).with_name("evalsets")
SERVED = SearchStrategy()  # what the service searches with: category precision is measured with it
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


def load_category_queries(path: Path | None = None) -> list[LabelledQuery]:
    return load_queries(path or EVALSETS / "category_queries.json")


def query_type_mask(catalogue: Catalogue, query: str) -> np.ndarray | None:
    """The filter the service applies for the product type a query names (`service.type_mask`)."""
    return type_mask(catalogue, read_message(query).product_type)


def category_precision(
    products: Sequence[ProductRecord],
    queries: Sequence[LabelledQuery],
    index: TextSearchIndex,
    *,
    by_type: bool,
    k: int = 4,
) -> dict[str, dict[str, float]]:
    """Per language: mean share of the top-k results in the asked category (over queries with
    results), how many queries got results, and how many got none (with a type filter and a budget
    nothing fits: the service then says so and shows alternatives, which are not matches)."""
    catalogue = Catalogue(products)
    category = [p.category_en for p in products]
    position = {p.sku: i for i, p in enumerate(products)}
    per_language: dict[str, list[float]] = {"en": [], "zh": []}
    empty = {"en": 0, "zh": 0}
    for labelled in queries:
        parsed = parse_query(labelled.query)
        asked = {category[position[sku]] for sku in labelled.relevant}
        allowed = catalogue.mask(None, parsed.min_price, parsed.max_price)
        if by_type:
            kind = query_type_mask(catalogue, labelled.query)
            if kind is not None:
                allowed &= kind
        retrievers = SERVED.retrievers(parsed.language)
        weights = [SERVED.weight(name) for name in retrievers]
        ranked = [doc for doc, _ in index.search(parsed.text, k, parsed.language, allowed, retrievers, weights)]
        if not ranked:
            empty[parsed.language] += 1
            continue
        per_language[parsed.language].append(sum(category[doc] in asked for doc in ranked) / len(ranked))
    return {
        language: {
            "precision": round(float(np.mean(scores)), 4) if scores else 0.0,
            "answered": len(scores),
            "empty": empty[language],
        }
        for language, scores in per_language.items()
    }


def evaluate_category_precision(
    products: Sequence[ProductRecord],
    sets: dict[str, Sequence[LabelledQuery]],
    index: TextSearchIndex,
    k: int = 4,
) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """{set name: {"words only" | "product type filter": per-language figures}}."""
    return {
        name: {
            "words only": category_precision(products, queries, index, by_type=False, k=k),
            "product type filter": category_precision(products, queries, index, by_type=True, k=k),
        }
        for name, queries in sets.items()
    }


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
    category_sets: dict[str, Sequence[LabelledQuery]] | None = None,
) -> dict[str, Any]:
    """Retrieval figures per combination, and under "category_precision" the category precision on
    `queries` and on `category_sets` (by default `category_queries.json`; `{}` measures `queries` only)."""
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
            language: {
                metric: round(float(np.mean([s[metric] for s in scores])), 4) for metric in ("recall", "mrr", "ndcg")
            }
            | {"queries": len(scores)}
            for language, scores in per_language.items()
        }
        results[name]["ms_per_query"] = round(1000 * elapsed / max(len(queries), 1), 1)
    if category_sets is None:
        category_sets = {"category_queries": load_category_queries()}
    sets = {"search_queries": queries, **category_sets}
    results["category_precision"] = evaluate_category_precision(products, sets, index)
    return results


def format_table(results: dict[str, Any], k: int = 10) -> str:
    lines = [
        f"| retrievers | en recall@{k} | en MRR | en nDCG@{k} | zh recall@{k} | zh MRR | zh nDCG@{k} | ms/query |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        if name == "category_precision":
            continue
        en, zh = row["en"], row["zh"]
        lines.append(
            f"| {name} | {en['recall']:.3f} | {en['mrr']:.3f} | {en['ndcg']:.3f} "
            f"| {zh['recall']:.3f} | {zh['mrr']:.3f} | {zh['ndcg']:.3f} | {row['ms_per_query']} |"
        )
    if "category_precision" in results:
        lines += [
            "",
            "| query set | category filter | en precision@4 | en answered / empty | zh precision@4 | zh answered / "
            "empty |",
            "|---|---|---|---|---|---|",
        ]
        for set_name, modes in results["category_precision"].items():
            for mode, figures in modes.items():
                en, zh = figures["en"], figures["zh"]
                lines.append(
                    f"| {set_name} | {mode} | {en['precision']:.3f} | {en['answered']} / {en['empty']} "
                    f"| {zh['precision']:.3f} | {zh['answered']} / {zh['empty']} |"
                )
    return "\n".join(lines)

from __future__ import annotations

import numpy as np
import pytest

from recommender.records import ProductRecord
from recommender.evaluation.product_search import COMBINATIONS, evaluate_search, load_queries
from retrieval.text import SearchStrategy, SparseIndex, reciprocal_rank_fusion, tokenize


def test_tokenize_mixes_words_and_character_ngrams() -> None:
    tokens = tokenize("Waterproof JACKETS 适合跑步的鞋")
    assert "waterproof" in tokens and "jacket" in tokens
    assert "跑步" in tokens and "跑" in tokens and "步的" in tokens
    assert "的" not in tokens and "适合" not in tokens


def test_bm25_ranks_the_matching_document_first() -> None:
    index = SparseIndex(["防水 冲锋衣 徒步", "跑步鞋 缓震", "保温杯 不锈钢", "running shoes cushioned"])
    assert int(np.argmax(index.scores("跑鞋"))) == 1
    assert int(np.argmax(index.scores("cushioned running shoe"))) == 3
    assert not index.scores("unrelated").any()


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [2, 1, 4]], k=10, weights=[1.0, 0.5])
    assert max(fused, key=fused.__getitem__) == 1
    assert fused[2] > fused[3] > 0 and fused[4] > 0


@pytest.fixture(scope="module")
def index(trained):
    """The trained recommender's text index: the catalogue embedded once per session."""
    return trained.text


def test_search_strategy_falls_back_without_multilingual_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    fallback = SearchStrategy().available()
    assert fallback.en == ("minilm", "bm25") and fallback.zh == ("bm25",)


def test_chinese_and_english_needs_find_the_right_products(index, products: list[ProductRecord]) -> None:
    shoes = [products[i] for i, _ in index.search("适合跑步的鞋", 5, "zh")]
    assert all(p.category_en == "Running Shoes" for p in shoes)
    jackets = [products[i] for i, _ in index.search("waterproof hiking jacket", 3, "en")]
    assert all(p.category_en == "Jackets & Coats" for p in jackets)


def test_labelled_query_set_recall(index, products: list[ProductRecord]) -> None:
    """The chosen strategy (multilingual e5, + BM25 for Chinese) finds nearly every relevant
    product in the top 10 for the 143 labelled queries, in both languages, and beats BM25 alone."""
    queries = load_queries()
    assert len(queries) >= 100
    wanted = [c for c in COMBINATIONS if c[0] in (("bm25",), ("e5",), ("e5", "bm25"))]
    results = evaluate_search(products, queries, wanted, index=index)
    assert results["e5"]["en"]["recall"] >= 0.95
    assert results["e5+0.2·bm25"]["zh"]["recall"] >= 0.95
    assert results["e5"]["en"]["ndcg"] > results["bm25"]["en"]["ndcg"]
    assert results["e5+0.2·bm25"]["zh"]["ndcg"] > results["bm25"]["zh"]["ndcg"]

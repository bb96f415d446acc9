"""Interactions: loading (CSV, MovieLens, records), per-kind weights, time decay, confidence
scaling and train/test splits.

Everything is columnar numpy so that 10^7 interactions fit in memory and build in seconds.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy import sparse

from recommender.records import INTERACTION_KINDS, InteractionLike

KIND_CODES = {kind: code for code, kind in enumerate(INTERACTION_KINDS)}
NO_KIND = -1

HEADER_WORDS = {
    "user",
    "user_id",
    "userid",
    "customer",
    "customer_id",
    "uid",
    "item",
    "item_id",
    "itemid",
    "product",
    "product_id",
    "sku",
    "iid",
    "weight",
    "rating",
    "score",
    "count",
    "value",
    "timestamp",
    "time",
    "ts",
    "date",
    "occurred_at",
}


class DataError(ValueError):
    """Input that cannot be turned into interactions; the message says where and why."""


@dataclass(frozen=True)
class WeightConfig:
    """How strongly each kind of interaction says "this customer wants this product".

    A purchase says far more than a view; an impression alone says nothing (weight 0 drops it).
    `half_life_days` halves the weight of an interaction for every half-life it is older than
    the newest interaction in the data (None: no decay), so tastes can drift.
    """

    kind_weights: dict[str, float] = field(
        default_factory=lambda: {
            "view": 1.0,
            "click": 2.0,
            "add_to_cart": 4.0,
            "purchase": 10.0,
            "chat_mention": 3.0,
            "rec_impression": 0.0,
            "rec_click": 3.0,
            "rating": 1.0,
        }
    )
    half_life_days: float | None = 180.0

    def weight_of(self, kind: str) -> float:
        if kind not in self.kind_weights:
            raise DataError(f"unknown interaction kind {kind!r}; expected one of {sorted(self.kind_weights)}")
        return self.kind_weights[kind]


@dataclass
class Interactions:
    """Interaction events with users and items mapped to dense integer codes.

    `user_ids[code]` / `item_ids[code]` give the original labels (always strings, so ids from
    the CRM (ints) and from CSV files (any text) share one representation).
    """

    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray
    timestamps: np.ndarray
    user_ids: np.ndarray
    item_ids: np.ndarray
    kinds: np.ndarray  # a KIND_CODES code per interaction, NO_KIND where the source does not say

    @classmethod
    def from_columns(
        cls,
        users: Iterable[object],
        items: Iterable[object],
        weights: Iterable[float] | None = None,
        timestamps: Iterable[float] | None = None,
        kinds: Iterable[int] | None = None,
    ) -> Interactions:
        user_labels = np.asarray([str(u) for u in users], dtype=object)
        item_labels = np.asarray([str(i) for i in items], dtype=object)
        if len(user_labels) != len(item_labels):
            raise DataError("users and items must have the same length")
        user_ids, user_codes = _encode(user_labels)
        item_ids, item_codes = _encode(item_labels)
        n = len(user_codes)
        w = np.ones(n, dtype=np.float32) if weights is None else np.asarray(list(weights), dtype=np.float32)
        t = np.full(n, np.nan) if timestamps is None else np.asarray(list(timestamps), dtype=np.float64)
        k = np.full(n, NO_KIND, dtype=np.int8) if kinds is None else np.asarray(list(kinds), dtype=np.int8)
        return cls(user_codes, item_codes, w, t, user_ids, item_ids, k)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    @property
    def has_timestamps(self) -> bool:
        return len(self.timestamps) > 0 and not np.isnan(self.timestamps).any()

    def subset(self, mask: np.ndarray) -> Interactions:
        """Rows selected by `mask`, keeping the same user and item code spaces."""
        return Interactions(
            self.users[mask],
            self.items[mask],
            self.weights[mask],
            self.timestamps[mask],
            self.user_ids,
            self.item_ids,
            self.kinds[mask],
        )

    def deduplicated(self) -> Interactions:
        """One row per (user, item): weights summed, latest timestamp, strongest kind kept."""
        if len(self) == 0:
            return self
        key = self.users.astype(np.int64) * self.n_items + self.items
        order = np.lexsort((self.weights, key))
        key_sorted = key[order]
        starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
        last = np.r_[starts[1:], len(order)] - 1
        weights = np.add.reduceat(self.weights[order].astype(np.float64), starts).astype(np.float32)
        ts = self.timestamps[order]
        if np.isnan(ts).all():
            timestamps = np.full(len(starts), np.nan)
        else:
            timestamps = np.fmax.reduceat(ts, starts)
        strongest = order[last]
        return Interactions(
            self.users[strongest],
            self.items[strongest],
            weights,
            timestamps,
            self.user_ids,
            self.item_ids,
            self.kinds[strongest],
        )

    def to_csr(self) -> sparse.csr_matrix:
        """User x item matrix; duplicate events add up."""
        m = sparse.csr_matrix(
            (self.weights, (self.users, self.items)), shape=(self.n_users, self.n_items), dtype=np.float32
        )
        m.sum_duplicates()
        m.eliminate_zeros()
        return m


def _encode(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(labels) == 0:
        return np.asarray([], dtype=object), np.asarray([], dtype=np.int32)
    uniques, codes = np.unique(labels, return_inverse=True)
    return uniques.astype(object), codes.astype(np.int32)


# --- loaders -------------------------------------------------------------------------------


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_time(text: str, where: str) -> float:
    text = text.strip()
    if not text:
        return math.nan
    if _is_number(text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DataError(f"{where}: timestamp {text!r} is neither a number nor an ISO 8601 date") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _looks_like_header(first: list[str], second: list[str] | None) -> bool:
    if any(cell.strip().lower() in HEADER_WORDS for cell in first):
        return True
    if len(first) >= 3 and second is not None and len(second) >= 3:
        return not _is_number(first[2]) and _is_number(second[2])
    return False


def read_csv(path: str | Path) -> Interactions:
    """Read `user,item[,weight][,timestamp]`, with or without a header line.

    The delimiter (comma, tab, semicolon, pipe) is taken from the first line. Ids may be any
    text; weights must be numbers; timestamps are unix seconds or ISO 8601 dates.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        first_line = handle.readline()
        if not first_line.strip():
            raise DataError(f"{path}: the file is empty")
        delimiter = max(",\t;|", key=first_line.count)
        if first_line.count(delimiter) == 0:
            raise DataError(f"{path}: line 1 has one column; expected user,item[,weight][,timestamp]")
        handle.seek(0)
        rows = csv.reader(handle, delimiter=delimiter)
        users: list[str] = []
        items: list[str] = []
        weights: list[float] = []
        times: list[float] = []
        pending: list[tuple[int, list[str]]] = []
        for line_no, row in enumerate(rows, start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            pending.append((line_no, row))
            if len(pending) == 2:
                break
        if not pending:
            raise DataError(f"{path}: the file has no rows")
        second = pending[1][1] if len(pending) > 1 else None
        if _looks_like_header(pending[0][1], second):
            pending = pending[1:]

        def take(line_no: int, row: list[str]) -> None:
            where = f"{path}:{line_no}"
            if len(row) < 2:
                raise DataError(f"{where}: expected at least 2 columns (user,item), got {len(row)}")
            user, item = row[0].strip(), row[1].strip()
            if not user or not item:
                raise DataError(f"{where}: empty user or item id")
            weight = 1.0
            if len(row) >= 3 and row[2].strip():
                if not _is_number(row[2]):
                    raise DataError(f"{where}: weight {row[2]!r} is not a number")
                weight = float(row[2])
            users.append(user)
            items.append(item)
            weights.append(weight)
            times.append(_parse_time(row[3], where) if len(row) >= 4 else math.nan)

        for line_no, row in pending:
            take(line_no, row)
        for line_no, row in enumerate(rows, start=pending[-1][0] + 1 if pending else 2):
            if row and any(cell.strip() for cell in row):
                take(line_no, row)
    if not users:
        raise DataError(f"{path}: the file has a header but no interactions")
    return Interactions.from_columns(users, items, weights, times)


def read_movielens(path: str | Path) -> Interactions:
    """MovieLens `u.data` (user, item, rating, unix time; tab-separated). The rating is the weight."""
    path = Path(path)
    if path.is_dir():
        path = path / "u.data"
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected MovieLens u.data)")
    try:
        raw = np.loadtxt(path, dtype=np.int64, delimiter="\t", ndmin=2)
    except ValueError as exc:
        raise DataError(f"{path}: not in MovieLens u.data format (user<TAB>item<TAB>rating<TAB>time)") from exc
    if raw.shape[1] != 4:
        raise DataError(f"{path}: expected 4 tab-separated columns, got {raw.shape[1]}")
    return Interactions.from_columns(raw[:, 0], raw[:, 1], raw[:, 2], raw[:, 3])


def read_interactions(path: str | Path, fmt: str = "csv") -> Interactions:
    if fmt == "movielens":
        return read_movielens(path)
    if fmt == "csv":
        return read_csv(path)
    raise DataError(f"unknown format {fmt!r}; expected csv or movielens")


def from_records(records: Iterable[InteractionLike], config: WeightConfig | None = None) -> Interactions:
    """Weighted interactions from CRM-shaped records (per-kind weight x record weight x decay)."""
    config = config or WeightConfig()
    users: list[object] = []
    items: list[object] = []
    weights: list[float] = []
    times: list[float] = []
    kinds: list[int] = []
    for record in records:
        kind_weight = config.weight_of(record.kind)
        if kind_weight == 0.0:
            continue
        users.append(record.customer_id)
        items.append(record.product_id)
        weights.append(kind_weight * float(record.weight if record.weight is not None else 1.0))
        occurred = record.occurred_at
        if occurred is not None and occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=timezone.utc)
        times.append(occurred.timestamp() if occurred is not None else math.nan)
        kinds.append(KIND_CODES[record.kind])
    interactions = Interactions.from_columns(users, items, weights, times, kinds)
    return apply_time_decay(interactions, config.half_life_days)


def apply_time_decay(
    interactions: Interactions, half_life_days: float | None, now: float | None = None
) -> Interactions:
    """Halve weights per half-life of age, measured from `now` or from the newest event."""
    if half_life_days is None or len(interactions) == 0 or np.isnan(interactions.timestamps).all():
        return interactions
    reference = float(np.nanmax(interactions.timestamps)) if now is None else now
    age_days = np.nan_to_num((reference - interactions.timestamps) / 86400.0, nan=0.0).clip(min=0.0)
    decay = np.power(0.5, age_days / half_life_days).astype(np.float32)
    return Interactions(
        interactions.users,
        interactions.items,
        interactions.weights * decay,
        interactions.timestamps,
        interactions.user_ids,
        interactions.item_ids,
        interactions.kinds,
    )


# --- confidence scaling ---------------------------------------------------------------------

CONFIDENCE_SCHEMES = ("none", "bm25", "tfidf", "log")


@dataclass
class ConfidenceScaler:
    """Turns raw interaction strength into ALS confidence.

    bm25 and tfidf damp heavy users and very popular items, with implicit's formulas applied to
    the item x user matrix as in its last.fm example; `log` is Hu, Koren & Volinsky's
    log(1 + r). The item statistics are kept so a single customer's row can be scaled the same
    way at fold-in time, long after training.
    """

    scheme: str = "bm25"
    bm25_k1: float = 100.0
    bm25_b: float = 0.8
    n_items: int = 0
    item_length_norm: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def __post_init__(self) -> None:
        if self.scheme not in CONFIDENCE_SCHEMES:
            raise ValueError(f"unknown confidence scheme {self.scheme!r}; expected one of {CONFIDENCE_SCHEMES}")

    def fit(self, user_items: sparse.csr_matrix) -> ConfidenceScaler:
        self.n_items = user_items.shape[1]
        item_sums = np.asarray(user_items.sum(axis=0)).ravel()
        average = item_sums.mean() if item_sums.size and item_sums.mean() > 0 else 1.0
        self.item_length_norm = ((1.0 - self.bm25_b) + self.bm25_b * item_sums / average).astype(np.float32)
        return self

    def transform(self, user_items: sparse.csr_matrix) -> sparse.csr_matrix:
        scaled = sparse.csr_matrix(user_items, dtype=np.float32, copy=True)
        scaled.data = np.clip(scaled.data, 0.0, None)
        if self.scheme == "log":
            scaled.data = np.log1p(scaled.data)
        elif self.scheme in ("bm25", "tfidf"):
            per_user = np.diff(scaled.indptr)
            idf = np.log(max(self.n_items, 1)) - np.log1p(per_user)
            row_idf = np.repeat(idf, per_user).astype(np.float32)
            if self.scheme == "tfidf":
                scaled.data = np.sqrt(scaled.data) * row_idf
            else:
                norm = self.item_length_norm[scaled.indices]
                k1 = self.bm25_k1
                scaled.data = scaled.data * (k1 + 1.0) / (k1 * norm + scaled.data) * row_idf
        scaled.data = np.clip(scaled.data, 0.0, None).astype(np.float32)
        scaled.eliminate_zeros()
        return scaled

    def fit_transform(self, user_items: sparse.csr_matrix) -> sparse.csr_matrix:
        return self.fit(user_items).transform(user_items)


# --- splits ---------------------------------------------------------------------------------


@dataclass
class Split:
    train: Interactions
    test: Interactions
    method: str
    details: dict[str, object]


def random_split(interactions: Interactions, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """Per user, hold out round(test_fraction * n) of their items (at least 1, leaving at least
    1 for training); users with a single item stay in training only."""
    if not 0.0 < test_fraction < 1.0:
        raise DataError("test_fraction must be between 0 and 1")
    data = interactions.deduplicated()
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(data)), data.users))
    counts = np.bincount(data.users, minlength=data.n_users)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.empty(len(data), dtype=np.int64)
    rank[order] = np.arange(len(data)) - first[data.users[order]]
    n_test = np.where(counts >= 2, np.clip(np.rint(counts * test_fraction), 1, counts - 1), 0)
    is_test = rank < n_test[data.users]
    return _make_split(data, is_test, "random", {"test_fraction": test_fraction, "seed": seed})


def time_split(interactions: Interactions) -> Split:
    """Leave-last-out: each user's most recent item is the test item (users with >= 2 items)."""
    data = interactions.deduplicated()
    if not data.has_timestamps:
        raise DataError("--split time needs a timestamp on every interaction (4th CSV column)")
    order = np.lexsort((np.arange(len(data)), data.timestamps, data.users))
    users_sorted = data.users[order]
    is_last = np.r_[users_sorted[1:] != users_sorted[:-1], True]
    counts = np.bincount(data.users, minlength=data.n_users)
    is_test = np.zeros(len(data), dtype=bool)
    is_test[order[is_last]] = counts[users_sorted[is_last]] >= 2
    return _make_split(data, is_test, "time", {"holdout": "leave-last-out"})


def _make_split(data: Interactions, is_test: np.ndarray, method: str, details: dict[str, object]) -> Split:
    train, test = data.subset(~is_test), data.subset(is_test)
    details = {
        "method": method,
        **details,
        "users": data.n_users,
        "items": data.n_items,
        "train_interactions": len(train),
        "test_interactions": len(test),
        "test_users": int(len(np.unique(test.users))),
    }
    return Split(train, test, method, details)

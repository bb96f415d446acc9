from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from recommender.data import (
    ConfidenceScaler,
    DataError,
    Interactions,
    WeightConfig,
    from_records,
    random_split,
    read_csv,
    read_movielens,
    time_split,
)
from recommender.records import InteractionRecord


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_header_string_ids_weights_and_iso_times(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.csv",
        "user,item,weight,timestamp\nalice,sku-1,2,2025-01-01T00:00:00Z\nbob,sku-2,1,2025-01-02\nalice,sku-2,3.5,1735862400\n",
    )
    data = read_csv(path)
    assert len(data) == 3
    assert sorted(data.user_ids) == ["alice", "bob"]
    assert sorted(data.item_ids) == ["sku-1", "sku-2"]
    assert data.has_timestamps
    matrix = data.to_csr()
    alice = list(data.user_ids).index("alice")
    sku2 = list(data.item_ids).index("sku-2")
    assert matrix[alice, sku2] == pytest.approx(3.5)


def test_csv_without_header_two_columns_tabs(tmp_path: Path) -> None:
    data = read_csv(write(tmp_path, "b.tsv", "1\t10\n1\t11\n2\t10\n"))
    assert len(data) == 3 and data.n_users == 2 and data.n_items == 2
    assert np.all(data.weights == 1.0)
    assert not data.has_timestamps


def test_csv_header_detected_by_non_numeric_weight_column(tmp_path: Path) -> None:
    data = read_csv(write(tmp_path, "c.csv", "customer;product;strength\nu1;p1;4\nu2;p1;5\n"))
    assert len(data) == 2 and "customer" not in data.user_ids


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("u1\nu2\n", "one column"),
        ("u1,i1,heavy\nu2,i2,1\nu3,i3,x\n", "not a number"),
        ("u1,i1,1,yesterday\n", "timestamp"),
        ("user,item\n", "no interactions"),
        ("u1,,1\n", "empty user or item"),
    ],
)
def test_bad_csv_gives_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_csv(write(tmp_path, "bad.csv", text))


def test_movielens_reader(tmp_path: Path) -> None:
    data = read_movielens(
        write(tmp_path, "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881250950\n")
    )
    assert data.n_users == 2 and data.n_items == 2 and data.has_timestamps
    assert float(data.weights.sum()) == 11.0
    with pytest.raises(DataError):
        read_movielens(write(tmp_path, "x.data", "a,b\n"))


def test_kind_weights_and_time_decay() -> None:
    now = datetime(2025, 6, 1, tzinfo=timezone.utc)
    records = [
        InteractionRecord(1, 10, "purchase", 1.0, now),
        InteractionRecord(1, 11, "view", 1.0, now),
        InteractionRecord(1, 12, "purchase", 1.0, now - timedelta(days=30)),
        InteractionRecord(1, 13, "rec_impression", 1.0, now),
        InteractionRecord(2, 10, "rating", 4.0, now),
    ]
    data = from_records(records, WeightConfig(half_life_days=30.0))
    weight = {(data.user_ids[u], data.item_ids[i]): w for u, i, w in zip(data.users, data.items, data.weights)}
    assert ("1", "13") not in weight  # impressions carry no preference
    assert weight[("1", "10")] == pytest.approx(10.0)
    assert weight[("1", "11")] == pytest.approx(1.0)
    assert weight[("1", "12")] == pytest.approx(5.0)  # one half-life old
    assert weight[("2", "10")] == pytest.approx(4.0)  # rating value x rating weight
    with pytest.raises(DataError, match="unknown interaction kind"):
        from_records([InteractionRecord(1, 1, "teleport", 1.0, now)])


def test_deduplicated_sums_weights_and_keeps_strongest_kind() -> None:
    data = Interactions.from_columns(
        ["a", "a", "a"], ["x", "x", "y"], [1.0, 10.0, 2.0], [1.0, 5.0, 3.0], kinds=[0, 3, 0]
    )
    dedup = data.deduplicated()
    assert len(dedup) == 2
    row = list(dedup.items).index(list(data.item_ids).index("x"))
    assert dedup.weights[row] == pytest.approx(11.0)
    assert dedup.timestamps[row] == 5.0
    assert dedup.kinds[row] == 3


def test_random_split_is_per_user_reproducible_and_keeps_training_items() -> None:
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(50), 10)
    items = np.concatenate([rng.choice(100, 10, replace=False) for _ in range(50)])
    data = Interactions.from_columns(users, items)
    first, second = random_split(data, 0.2, seed=4), random_split(data, 0.2, seed=4)
    assert np.array_equal(first.test.items, second.test.items)
    assert len(first.test) == 100 and len(first.train) == 400
    assert np.all(np.bincount(first.test.users, minlength=50) == 2)
    other = random_split(data, 0.2, seed=5)
    assert not np.array_equal(
        np.sort(first.test.items * 1000 + first.test.users), np.sort(other.test.items * 1000 + other.test.users)
    )


def test_single_interaction_users_stay_in_training() -> None:
    data = Interactions.from_columns(["a", "b", "b"], ["x", "x", "y"])
    split = random_split(data, 0.5, seed=0)
    assert "a" in {split.train.user_ids[u] for u in split.train.users}
    assert "a" not in {split.test.user_ids[u] for u in split.test.users}


def test_time_split_holds_out_each_users_latest_item() -> None:
    data = Interactions.from_columns(
        ["a", "a", "a", "b", "b", "c"], ["x", "y", "z", "x", "y", "z"], None, [3, 1, 2, 5, 9, 1]
    )
    split = time_split(data)
    held = {(split.test.user_ids[u], split.test.item_ids[i]) for u, i in zip(split.test.users, split.test.items)}
    assert held == {("a", "x"), ("b", "y")}
    with pytest.raises(DataError, match="timestamp"):
        time_split(Interactions.from_columns(["a", "a"], ["x", "y"]))


@pytest.mark.parametrize("scheme", ["none", "log", "bm25", "tfidf"])
def test_confidence_scaler_transforms_single_rows_like_the_whole_matrix(scheme: str) -> None:
    rng = np.random.default_rng(1)
    data = Interactions.from_columns(
        rng.integers(0, 30, 300), rng.integers(0, 40, 300), rng.integers(1, 5, 300).astype(float)
    )
    matrix = data.to_csr()
    scaler = ConfidenceScaler(scheme)
    whole = scaler.fit_transform(matrix)
    assert whole.shape == matrix.shape and (whole.data >= 0).all()
    assert np.allclose(scaler.transform(matrix[7]).toarray(), whole[7].toarray(), atol=1e-5)
    with pytest.raises(ValueError):
        ConfidenceScaler("cubic")

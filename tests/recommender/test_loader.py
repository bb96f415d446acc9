"""The served recommender, loaded one way for the action server and the console: a clear refusal while
none is trained (retried no more often than asked), the version `current` points at, and the newer one
once it is trained."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from recommender import artifacts
from recommender.serving.loader import RecommenderUnavailable, ServedRecommender
from recommender.trained import TrainedRecommender


def test_none_trained_is_a_clear_refusal_and_a_later_training_is_picked_up(
    tmp_path: Path, trained: TrainedRecommender
) -> None:
    served = ServedRecommender(tmp_path)
    with pytest.raises(RecommenderUnavailable, match="no trained recommender under"):
        served.get()
    first = artifacts.save(trained, tmp_path)
    assert served.get().version == first.name  # tried again on the next call (retry_seconds=0)


def test_a_refusal_is_not_retried_before_its_time(tmp_path: Path, trained: TrainedRecommender) -> None:
    served = ServedRecommender(tmp_path, retry_seconds=3600)
    with pytest.raises(RecommenderUnavailable):
        served.get()
    artifacts.save(trained, tmp_path)
    with pytest.raises(RecommenderUnavailable):  # within the hour: the same answer, no load attempted
        served.get()
    served._tried_at = time.monotonic() - 3601  # an hour later
    assert served.get().version is not None


def test_a_newer_version_is_served_once_trained(tmp_path: Path, trained: TrainedRecommender) -> None:
    first = artifacts.save(trained, tmp_path)
    served = ServedRecommender(tmp_path)
    recommender = served.get()
    assert recommender.version == first.name and served.get() is recommender
    second = artifacts.save(trained, tmp_path)
    assert second.name != first.name
    assert served.get() is recommender and recommender.version == second.name  # swapped in place

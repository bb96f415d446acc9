from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from recommender import artifacts
from recommender.catalogue import Catalogue
from recommender.serving.service import Recommender
from recommender.evaluation.synthetic import interaction_matrix
from recommender.trained import TrainedRecommender
from recommender.training.trainer import train


@pytest.fixture(scope="module")
def small() -> TrainedRecommender:
    return train(interaction_matrix(60, 30, 900, clusters=3, seed=1), with_text=False)


def test_save_load_round_trip(trained: TrainedRecommender, artifact_root: Path) -> None:
    loaded = artifacts.load(artifact_root)
    assert loaded.user_ids == trained.user_ids
    assert np.allclose(loaded.item_vectors, trained.item_vectors)
    assert (loaded.history != trained.history).nnz == 0
    assert [p.sku for p in loaded.catalogue.products] == [p.sku for p in trained.catalogue.products]
    assert loaded.meta["data"]["interactions"] == trained.meta["data"]["interactions"]
    assert set(loaded.meta["metrics"]) >= {"als", "popularity", "split"}
    assert loaded.text is not None and set(loaded.text.dense) == set(trained.text.dense)


def test_current_switches_atomically_and_old_versions_are_pruned(small: TrainedRecommender, tmp_path: Path) -> None:
    made = [artifacts.save(small, tmp_path, keep=2).name for _ in range(3)]
    assert artifacts.current_version(tmp_path) == made[-1]
    assert (tmp_path / "current").is_symlink()
    assert artifacts.versions(tmp_path) == made[-2:]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    artifacts.switch(tmp_path, made[-2])
    assert artifacts.resolve(tmp_path).name == made[-2]
    with pytest.raises(artifacts.ArtifactError):
        artifacts.switch(tmp_path, "no-such-version")


def test_service_picks_up_a_newer_version(small: TrainedRecommender, tmp_path: Path) -> None:
    artifacts.save(small, tmp_path)
    service = Recommender.load(tmp_path)
    assert not service.reload_if_newer()
    newer = artifacts.save(small, tmp_path)
    assert service.reload_if_newer() and service.version == newer.name


def test_missing_or_broken_artifacts_give_clear_errors(small: TrainedRecommender, tmp_path: Path) -> None:
    with pytest.raises(artifacts.ArtifactError, match="recommender train"):
        artifacts.load(tmp_path)
    version = artifacts.save(small, tmp_path)
    os.remove(version / "als.npz")
    with pytest.raises(artifacts.ArtifactError, match="cannot load"):
        artifacts.load(tmp_path)


def test_bare_interaction_data_gets_a_catalogue_of_ids(small: TrainedRecommender) -> None:
    assert isinstance(small.catalogue, Catalogue) and len(small.catalogue) == 30
    service = Recommender(small)
    assert len(service.recommend(small.user_ids[0], k=5)) == 5
    assert service.search("anything") == []

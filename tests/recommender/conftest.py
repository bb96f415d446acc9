"""Shared, session-scoped fixtures: the bilingual evaluation catalogue, a synthetic event log
of shoppers with tastes, and one trained recommender saved and loaded from a temporary
artifact root (training embeds the catalogue once: a few seconds)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from recommender import artifacts  # noqa: E402
from recommender.catalogue import Catalogue  # noqa: E402
from recommender.data import from_records  # noqa: E402
from recommender.records import InteractionRecord, ProductRecord  # noqa: E402
from recommender.evaluation.product_search import load_catalogue  # noqa: E402
from recommender.serving.service import Recommender  # noqa: E402
from recommender.evaluation.synthetic import shop_events  # noqa: E402
from recommender.trained import TrainedRecommender  # noqa: E402
from recommender.training.trainer import train  # noqa: E402


@pytest.fixture(scope="session")
def products() -> list[ProductRecord]:
    return load_catalogue()


@pytest.fixture(scope="session")
def events(products: list[ProductRecord]) -> list[InteractionRecord]:
    return shop_events(Catalogue(products), customers=250, seed=3)


@pytest.fixture(scope="session")
def trained(products: list[ProductRecord], events: list[InteractionRecord]) -> TrainedRecommender:
    return train(from_records(events), Catalogue(products), source="tests")


@pytest.fixture(scope="session")
def artifact_root(trained: TrainedRecommender, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("artifacts")
    artifacts.save(trained, root)
    return root


@pytest.fixture()
def service(artifact_root: Path) -> Recommender:
    """A fresh service per test, so online updates of one test do not leak into another."""
    return Recommender.load(artifact_root)


@pytest.fixture(scope="session")
def by_sku(products: list[ProductRecord]) -> dict[str, ProductRecord]:
    return {p.sku: p for p in products}

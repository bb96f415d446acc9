from __future__ import annotations

import numpy as np
import pytest

from recommender.data import random_split
from recommender.evaluation.offline import evaluate_model
from recommender.collaborative import MODEL_NAMES, ALSModel, ALSParams, ModelConfig, build_model, top_k
from recommender.evaluation.synthetic import interaction_matrix


@pytest.fixture(scope="module")
def split():
    data = interaction_matrix(400, 150, 12_000, clusters=8, seed=2)
    chosen = random_split(data, 0.2, seed=0)
    return chosen.train.to_csr(), chosen.test.to_csr()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_recommends_k_unseen_items(name: str, split) -> None:
    train, _ = split
    model = build_model(name, ModelConfig()).fit(train)
    users = np.arange(20)
    ids, scores = model.recommend(users, train[users], 10)
    assert ids.shape == (20, 10)
    for row, user in enumerate(users):
        assert not set(ids[row]) & set(train[user].indices)
        assert np.all(np.diff(scores[row]) <= 1e-6)


def test_learned_models_beat_popularity_on_data_with_tastes(split) -> None:
    train, test = split
    precision = {name: evaluate_model(build_model(name).fit(train), train, test, 10).precision for name in MODEL_NAMES}
    assert precision["als"] > 1.2 * precision["popularity"]
    assert precision["item_knn"] > precision["popularity"]
    assert precision["popularity"] > precision["random"]


def test_fold_in_reproduces_a_training_users_vector(split) -> None:
    train, _ = split
    model = ALSModel(ALSParams(iterations=20)).fit(train)
    user = 5
    folded = model.fold_in(train[user])[0]
    trained = model.user_factors[user]
    cosine = folded @ trained / (np.linalg.norm(folded) * np.linalg.norm(trained))
    assert cosine > 0.99


def test_als_state_round_trip(split) -> None:
    train, _ = split
    model = ALSModel().fit(train)
    copy = ALSModel.from_state(model.params(), model.state())
    assert np.allclose(copy.fold_in(train[3]), model.fold_in(train[3]), atol=1e-5)


def test_top_k_orders_best_first() -> None:
    ids, values = top_k(np.array([[0.1, 0.9, -np.inf, 0.5]]), 2)
    assert ids.tolist() == [[1, 3]] and values[0].tolist() == pytest.approx([0.9, 0.5])

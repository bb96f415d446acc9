from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recommender.settings import ConfigError, dump_toml, load_config
from recommender.training.search_params import search, write_config
from recommender.evaluation.synthetic import interaction_matrix


def test_defaults_and_overrides(tmp_path: Path) -> None:
    default = load_config()
    assert (
        default.models.als.factors > 0
        and default.weights.kind_weights["purchase"] > default.weights.kind_weights["view"]
    )
    override = tmp_path / "o.toml"
    override.write_text("[als]\nfactors = 8\n[weights]\nhalf_life_days = 0\n", encoding="utf-8")
    changed = load_config(override)
    assert changed.models.als.factors == 8 and changed.weights.half_life_days is None
    assert changed.models.als.regularization == default.models.als.regularization
    override.write_text("[als]\nfactor = 8\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown keys"):
        load_config(override)


def test_dumped_config_loads_back(tmp_path: Path) -> None:
    config = load_config()
    path = tmp_path / "c.toml"
    path.write_text(dump_toml(config), encoding="utf-8")
    assert load_config(path).as_dict() == config.as_dict()


def test_search_picks_the_best_validation_setting(tmp_path: Path) -> None:
    data = interaction_matrix(200, 80, 5_000, clusters=5, seed=3)
    grid: dict[str, dict[str, list[Any]]] = {
        "als": {"factors": [2, 16], "regularization": [1.0], "confidence": ["log"]}
    }
    best, trials = search(data, grids=grid, progress=False)
    assert len(trials) == 2
    winner = max(trials, key=lambda t: t.ndcg)
    assert best.models.als.factors == winner.params["factors"]
    path = tmp_path / "picked.toml"
    write_config(best, path, trials, "synthetic")
    assert load_config(path).models.als.factors == winner.params["factors"]

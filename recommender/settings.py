"""The recommender's settings: model hyper-parameters, interaction weights, hybrid blend.

Defaults live in `defaults.toml` beside this file; a file given with --config (for example
the one `search-params` writes) overrides them key by key.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from recommender.data import WeightConfig
from recommender.collaborative import ALSParams, BPRParams, ItemKNNParams, ModelConfig

DEFAULTS = Path(__file__).with_name("defaults.toml")


@dataclass(frozen=True)
class HybridConfig:
    """Blend of the three signals the bot ranks by, and how hard to push category variety."""

    personal_weight: float = 1.0
    text_weight: float = 0.8
    popularity_weight: float = 0.15
    diversity_penalty: float = 0.15


@dataclass
class Config:
    models: ModelConfig = field(default_factory=ModelConfig)
    weights: WeightConfig = field(default_factory=WeightConfig)
    hybrid: HybridConfig = field(default_factory=HybridConfig)

    def as_dict(self) -> dict[str, Any]:
        weights = dict(self.weights.kind_weights)
        weights["half_life_days"] = self.weights.half_life_days or 0
        return {
            "seed": self.models.seed,
            "weights": weights,
            "als": asdict(self.models.als),
            "bpr": asdict(self.models.bpr),
            "item_knn": asdict(self.models.item_knn),
            "hybrid": asdict(self.hybrid),
        }


class ConfigError(ValueError):
    pass


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _section(cls: type, values: dict[str, Any], seed: int, name: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"[{name}] has unknown keys {sorted(unknown)}; known: {sorted(known)}")
    if "random_state" in known and "random_state" not in values:
        values = {**values, "random_state": seed}
    return cls(**values)


def config_from_dict(raw: dict[str, Any]) -> Config:
    seed = int(raw.get("seed", 0))
    weights_raw = dict(raw.get("weights", {}))
    half_life = weights_raw.pop("half_life_days", None)
    weights = WeightConfig(
        kind_weights={k: float(v) for k, v in weights_raw.items()} or WeightConfig().kind_weights,
        half_life_days=None if half_life in (None, 0) else float(half_life),
    )
    models = ModelConfig(
        als=_section(ALSParams, dict(raw.get("als", {})), seed, "als"),
        bpr=_section(BPRParams, dict(raw.get("bpr", {})), seed, "bpr"),
        item_knn=_section(ItemKNNParams, dict(raw.get("item_knn", {})), seed, "item_knn"),
        seed=seed,
    )
    hybrid = _section(HybridConfig, dict(raw.get("hybrid", {})), seed, "hybrid")
    return Config(models=models, weights=weights, hybrid=hybrid)


def load_config(path: str | Path | None = None) -> Config:
    with DEFAULTS.open("rb") as handle:
        raw = tomllib.load(handle)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        with path.open("rb") as handle:
            try:
                raw = _merge(raw, tomllib.load(handle))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
    return config_from_dict(raw)


def dump_toml(config: Config) -> str:
    """TOML text for `config` (flat sections of numbers and strings only)."""
    lines: list[str] = []
    data = config.as_dict()
    lines.append(f"seed = {data.pop('seed')}")
    for section, values in data.items():
        lines.append("")
        lines.append(f"[{section}]")
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            elif isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            else:
                lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"

"""What an arm may change, checked when the experiment is created so a typo cannot reach a customer.

For recommendations the arm's parameters are keyword arguments of `Recommender.recommend`: `blend`
(overrides of the hybrid weights) and `diversity`. A strategy is a named blend: `als` ranks by the
customer's taste alone, `popularity` by what sells, `hybrid` is the trained default.
The CRM does not import the recommender (imports point the other way), so the names are listed here.
"""

from __future__ import annotations

from typing import Any

from crm.errors import InvalidInput

BLEND_KEYS = ("personal_weight", "text_weight", "popularity_weight", "diversity_penalty")
STRATEGIES: dict[str, dict[str, float]] = {
    "hybrid": {},
    "als": {"popularity_weight": 0.0},
    "popularity": {"personal_weight": 0.0, "popularity_weight": 1.0},
}
_TRUE, _FALSE = ("on", "true", "yes", "1"), ("off", "false", "no", "0")


def recommendation_parameters(settings: dict[str, str]) -> dict[str, Any]:
    """The stored parameters of a recommendations arm from `key=value` settings (strategy=als,
    diversity=off, popularity_weight=0.3, ...); an empty dict is the served default (a control)."""
    unknown = set(settings) - {"strategy", "diversity", *BLEND_KEYS}
    if unknown:
        raise InvalidInput(
            f"unknown arm setting(s) {sorted(unknown)}; known: strategy, diversity, {', '.join(BLEND_KEYS)}"
        )
    parameters: dict[str, Any] = {}
    blend: dict[str, float] = {}
    strategy = settings.get("strategy")
    if strategy is not None:
        if strategy not in STRATEGIES:
            raise InvalidInput(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
        parameters["strategy"] = strategy
        blend.update(STRATEGIES[strategy])
    for key in BLEND_KEYS:
        if key in settings:
            try:
                value = float(settings[key])
            except ValueError:
                raise InvalidInput(f"{key} must be a number, not {settings[key]!r}") from None
            if not 0.0 <= value <= 10.0:
                raise InvalidInput(f"{key} must be between 0 and 10")
            blend[key] = value
    if blend:
        parameters["blend"] = blend
    if "diversity" in settings:
        flag = settings["diversity"].lower()
        if flag not in _TRUE + _FALSE:
            raise InvalidInput(f"diversity must be on or off, not {settings['diversity']!r}")
        parameters["diversity"] = flag in _TRUE
    return parameters


def recommend_options(parameters: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments the arm passes to `Recommender.recommend` (the strategy is only a label)."""
    return {key: value for key, value in parameters.items() if key in ("blend", "diversity")}


def describe(parameters: dict[str, Any]) -> str:
    """One line for listings: `strategy=als diversity=off popularity_weight=0.0`, or `default`."""
    parts = []
    if "strategy" in parameters:
        parts.append(f"strategy={parameters['strategy']}")
    if "diversity" in parameters:
        parts.append(f"diversity={'on' if parameters['diversity'] else 'off'}")
    parts += [f"{k}={v:g}" for k, v in sorted((parameters.get("blend") or {}).items())]
    return " ".join(parts) or "default"

"""Hybrid ranking for the bot: personal (ALS) scores blended with the match to the current
request and with popularity, then re-ranked for variety across categories.

All three signals are scaled to [0, 1] over the products the business filters allow, so the
weights in `HybridConfig` mean the same thing for every customer and catalogue size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from recommender.settings import HybridConfig


@dataclass(frozen=True)
class Signals:
    personal: np.ndarray | None
    text: np.ndarray | None
    popularity: np.ndarray


def scale(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Min-max scaling to [0, 1] over the allowed entries (others 0)."""
    result = np.zeros(len(values), dtype=np.float32)
    if not allowed.any():
        return result
    chosen = values[allowed]
    low, high = float(chosen.min()), float(chosen.max())
    if high > low:
        result[allowed] = (chosen - low) / (high - low)
    else:
        result[allowed] = 1.0 if high > 0 else 0.0
    return result


def popularity_signal(counts: np.ndarray) -> np.ndarray:
    """log-damped popularity in [0, 1]: the 1000th sale matters less than the 10th."""
    logged = np.log1p(np.clip(counts, 0, None))
    top = logged.max() if len(logged) else 0.0
    return (logged / top).astype(np.float32) if top > 0 else np.zeros(len(counts), dtype=np.float32)


def blend(signals: Signals, allowed: np.ndarray, config: HybridConfig) -> np.ndarray:
    """Blended score per product; -inf for products the filters exclude.

    With a request (`text`), products that do not match it are dropped: the customer asked for
    something specific. With neither taste nor request (a new customer browsing) popularity
    carries the ranking.
    """
    score = np.zeros(len(allowed), dtype=np.float32)
    if signals.personal is not None:
        # Scaled over everything the filters allow, not only the request's matches: a
        # customer's taste should re-rank matches only as far as it really points at them.
        score += config.personal_weight * scale(signals.personal, allowed)
    allowed = allowed.copy()
    if signals.text is not None:
        allowed &= signals.text > 0
    if signals.text is not None:
        score += config.text_weight * signals.text
    alone = signals.personal is None and signals.text is None
    pop_weight = max(config.popularity_weight, 0.5) if alone else config.popularity_weight
    score += pop_weight * signals.popularity
    return np.where(allowed, score, -np.inf).astype(np.float32)


def diversify(scores: np.ndarray, groups: np.ndarray, k: int, penalty: float) -> list[int]:
    """Greedy top-k where each product loses `penalty` per product of its category already
    chosen, so one category cannot fill the whole list unless it is far ahead."""
    candidates = np.flatnonzero(np.isfinite(scores))
    if len(candidates) == 0:
        return []
    pool = candidates[np.argsort(-scores[candidates], kind="stable")][: max(k * 10, 50)]
    chosen: list[int] = []
    taken: Counter[object] = Counter()
    remaining = list(pool)
    while remaining and len(chosen) < k:
        adjusted = [scores[i] - penalty * taken[groups[i]] for i in remaining]
        best = int(np.argmax(adjusted))
        item = remaining.pop(best)
        chosen.append(int(item))
        taken[groups[item]] += 1
    return chosen

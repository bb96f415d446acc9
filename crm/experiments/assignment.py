"""Deterministic assignment: a unit's arm is a pure function of the experiment's salt and the unit.

Nothing is stored to assign, so every action server, channel and retry agrees without a lock; the
salt (one per experiment) keeps experiments independent of each other, so being in the treatment of
one says nothing about the arm of another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_SCALE = float(2**64)


def bucket(salt: str, unit: str) -> float:
    """A point in [0, 1) that looks uniformly random across units but never changes for one unit."""
    digest = hashlib.sha256(f"{salt}\x1f{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def choose(salt: str, unit: str, weights: Sequence[int]) -> int:
    """The index of the unit's arm: the arms share [0, 1) in proportion to their weights."""
    if not weights or any(w <= 0 for w in weights):
        raise ValueError("every arm needs a positive weight")
    point = bucket(salt, unit) * sum(weights)
    upper = 0
    for index, weight in enumerate(weights):
        upper += weight
        if point < upper:
            return index
    return len(weights) - 1


def customer_unit(customer_id: int) -> str:
    """Known customers are assigned by CRM id, so every linked channel sees the same arm."""
    return f"customer:{customer_id}"


def conversation_unit(sender_key: str) -> str:
    """Guests are assigned per conversation, by its keyed hash (the sender id is never stored)."""
    return f"conversation:{sender_key}"

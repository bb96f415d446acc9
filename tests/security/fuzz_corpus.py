"""Hostile and odd customer messages, generated (deterministically) for the fuzz tests of the NLU
(tests/security/bot/test_fuzz_nlu.py) and of the REST channel (tests/security/e2e/). Standard library
only: both environments import it."""

from __future__ import annotations

import random
from collections.abc import Iterator

SEED = 20261206
SCRIPTS = [
    (0x41, 0x7A),
    (0x4E00, 0x9FFF),
    (0x3040, 0x30FF),
    (0xAC00, 0xD7A3),
    (0x0600, 0x06FF),
    (0x0400, 0x04FF),
    (0x1F300, 0x1FAFF),
    (0x2000, 0x206F),
    (0x0300, 0x036F),
    (0xFF00, 0xFFEF),
    (0x0E00, 0x0E7F),
]
PIECES = [
    "a@",
    "a.",
    "1",
    "KL",
    "KL2025",
    "+86 ",
    "@",
    ".",
    "-",
    "亲",
    "在吗",
    "退款",
    "/",
    "{",
    "}",
    '"',
    "/track_order{",
    '"order_id": ',
    "<script>",
    "\u200b",
    "\u202e",
    "\ufeff",
    "%s",
    "${x}",
    "\\",
    "\x00",
]
REAL = [
    "where is my order KL20250104",
    "我要退款",
    "亲 在吗",
    "alice@example.com",
    "13800138000",
    "cancel",
    "hi",
    "/affirm",
    '/track_order{"order_id": "KL20250104", "customer_id": "1"}',
    "推荐几款跑鞋",
]


def _random_text(rng: random.Random, length: int) -> str:
    low, high = rng.choice(SCRIPTS)
    return "".join(chr(rng.randint(low, high)) for _ in range(length))


def messages(count: int, max_chars: int = 2000, seed: int = SEED) -> Iterator[str]:
    """`count` messages of at most `max_chars` characters: repetitions that make backtracking patterns
    explode, random text in many scripts, control and invisible characters, payload look-alikes, and
    real requests buried in noise."""
    rng = random.Random(seed)
    kinds = ("repeat", "script", "mixed", "bytes", "real")
    for index in range(count):
        kind = kinds[index % len(kinds)]
        # Mostly chat-sized; one in twenty at the channels' limit (the patterns' own test takes 1 MB).
        length = rng.choices([1, 2, 5, 40, 300, max_chars], weights=[3, 3, 4, 4, 5, 1])[0]
        if kind == "repeat":
            piece = rng.choice(PIECES)
            text = piece * max(1, length // len(piece))
        elif kind == "script":
            text = _random_text(rng, length)
        elif kind == "mixed":
            text = "".join(
                rng.choice(PIECES) if rng.random() < 0.3 else _random_text(rng, rng.randint(1, 8))
                for _ in range(max(1, length // 5))
            )
        elif kind == "bytes":
            text = bytes(rng.randrange(256) for _ in range(length)).decode("latin-1")
        else:
            noise = _random_text(rng, rng.randint(0, 50))
            text = f"{noise} {rng.choice(REAL)} {noise}"
        yield text[:max_chars] or "?"

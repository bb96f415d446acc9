"""The entity patterns of data/rasa/nlu/entities.yml run on every customer message (Rasa's
RegexEntityExtractor and RegexFeaturizer, Python's backtracking `re`). Before: the e-mail pattern
`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}` took hours on a 1 MB message and froze the Rasa
server for everyone (`"a." * 500_000` alone: hours). Now every pattern must finish pathological inputs
of a million characters under a watchdog (a hang kills the test process with a stack dump; no figure
of speed is asserted: linear patterns take milliseconds, the old ones hours) and still find what
customers really write."""

from __future__ import annotations

import faulthandler
import re
from pathlib import Path

import pytest
import yaml

ENTITIES = Path(__file__).resolve().parents[3] / "data" / "rasa" / "nlu" / "entities.yml"
HANG = 60.0  # seconds that can only mean a catastrophic backtrack


def patterns() -> dict[str, list[re.Pattern[str]]]:
    found: dict[str, list[re.Pattern[str]]] = {}
    for item in yaml.safe_load(ENTITIES.read_text())["nlu"]:
        if "regex" in item:
            found[item["regex"]] = [
                re.compile(line[2:].strip()) for line in item["examples"].splitlines() if line.strip().startswith("- ")
            ]
    return found


MILLION = 1_000_000
PATHOLOGICAL = {
    "letters": "a" * MILLION,
    "digits": "1" * MILLION,
    "at signs": "a@" * (MILLION // 2),
    "dotted": "a." * (MILLION // 2),
    "dotted domain": "a@" + "b." * (MILLION // 2),
    "run then dotted domain": "a" * (MILLION // 2) + "@" + "a." * (MILLION // 4),
    "long domain": "x@" + "a" * MILLION + ".c",
    "phones": "+86 " * (MILLION // 4),
    "digit groups": "13 " * (MILLION // 3),
    "order-like": "KL" * (MILLION // 2),
    "chinese with mail": "我的邮箱" * (MILLION // 8) + "a@b." * (MILLION // 8),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_every_pattern_finishes_pathological_input(name: str) -> None:
    text = PATHOLOGICAL[name]
    faulthandler.dump_traceback_later(HANG, exit=True)
    try:
        for compiled in (p for group in patterns().values() for p in group):
            list(compiled.finditer(text))
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.mark.parametrize(
    "entity, text, value",
    [
        ("email", "my email is alice@example.com thanks", "alice@example.com"),
        ("email", "its alice.w+shop@mail.example.co.uk", "alice.w+shop@mail.example.co.uk"),
        ("email", "邮箱是li_wei@example.cn谢谢", "li_wei@example.cn"),
        ("phone", "电话13800138000", "13800138000"),
        ("phone", "call 138 0013 8000 please", "138 0013 8000"),
        ("phone", "+86 138 0013 8000", "+86 138 0013 8000"),
        ("order_id", "订单KL20251107到哪了", "KL20251107"),
    ],
)
def test_patterns_still_find_what_customers_write(entity: str, text: str, value: str) -> None:
    found = [m.group(0) for p in patterns()[entity] for m in p.finditer(text)]
    assert value in found


def test_no_email_inside_a_longer_token() -> None:
    assert not [m for p in patterns()["email"] for m in p.finditer("x" * 70 + "@example.com")]

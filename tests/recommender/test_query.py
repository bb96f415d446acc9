from __future__ import annotations

import pytest

from recommender.query import detect_language, parse_query, zh_number


@pytest.mark.parametrize(
    ("text", "clean", "low", "high"),
    [
        ("waterproof hiking jacket under 500", "waterproof hiking jacket", None, 500),
        ("running shoes between 300 and 800", "running shoes", 300, 800),
        ("tent over 2000 yuan", "tent", 2000, None),
        ("¥199 max yoga mat", "yoga mat", None, 199),
        ("500元以下的防水冲锋衣", "防水冲锋衣", None, 500),
        ("价格在100到300之间的保温杯", "保温杯", 100, 300),
        ("不超过五百的跑鞋", "跑鞋", None, 500),
        ("1k以内的帐篷", "帐篷", None, 1000),
        ("适合跑步的鞋", "适合跑步的鞋", None, None),
        ("a gift for my mom", "a gift for my mom", None, None),
    ],
)
def test_budget_becomes_a_filter_and_leaves_the_need(text: str, clean: str, low: float | None, high: float | None) -> None:
    parsed = parse_query(text)
    assert (parsed.text, parsed.min_price, parsed.max_price) == (clean, low, high)


def test_language_and_chinese_numbers() -> None:
    assert detect_language("适合跑步的鞋") == "zh" and detect_language("Nike 跑鞋") == "zh"
    assert detect_language("running shoes") == "en"
    assert [zh_number(t) for t in ("五百", "三千五", "两百五十", "一万二", "十五")] == [500, 3500, 250, 12000, 15]

"""The project's one language rule (kelian/language.py). Before, five places decided with two rules:
"do you sell 旗袍 dresses" was Chinese to the recommender, the console and WeChat (any Chinese
character) and English to the action server (majority)."""

from __future__ import annotations

import pytest

from kelian.language import as_language, detect_language, has_chinese


@pytest.mark.parametrize(
    "text, language",
    [
        ("帮我cancel订单", "zh"),
        ("do you sell 旗袍 dresses", "en"),
        ("where is my parcel", "en"),
        ("亲 在吗", "zh"),
        ("請問退貨運費誰出", "zh"),  # traditional characters
        ("我的邮箱是alice@example.com", "zh"),
    ],
)
def test_the_majority_decides(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text", ["/deny", '/track_order{"order_id": "KL20250104"}', "KL20251107", "1234", "👍", "", None]
)
def test_payloads_order_numbers_and_numbers_say_nothing(text: str | None) -> None:
    assert detect_language(text) is None


def test_has_chinese_and_values_read_from_elsewhere() -> None:
    assert has_chinese("a 旗袍") and not has_chinese("KL20251107")
    assert as_language("zh") == "zh" and as_language("fr") is None and as_language(None) is None


def test_every_part_uses_the_one_rule() -> None:
    from actions.i18n import detect_language as actions_rule
    from console.corrections import detect_language as corrections_rule
    from recommender.query import detect_language as query_rule

    assert actions_rule is detect_language
    assert query_rule("do you sell 旗袍 dresses") == "en" and query_rule("1234") == "en"
    # A correction whose conversation has no language: filed by the same rule (it went to nlu/zh before
    # for any Chinese character, and an order number alone to nlu/en only by luck).
    assert corrections_rule("do you sell 旗袍 dresses").value == "en"
    assert corrections_rule("帮我cancel订单").value == "zh" and corrections_rule("KL20251107").value == "en"

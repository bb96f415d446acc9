"""The project's one language rule (kelian/language.py). Before, five places decided with two rules:
"do you sell 旗袍 dresses" was Chinese to the recommender, the console and WeChat (any Chinese
character) and English to the action server (majority)."""

from __future__ import annotations

import pytest

from kelian.language import as_language, detect_language, has_chinese, text_language


@pytest.mark.parametrize(
    "text, language",
    [
        ("帮我cancel订单", "zh"),
        ("do you sell 旗袍 dresses", "en"),
        ("where is my parcel", "en"),
        ("亲 在吗", "zh"),
        ("請問退貨運費誰出", "zh"),  # traditional characters
        ("我的邮箱是alice@example.com", "zh"),
        ("是 li.wei@example.cn", "zh"),  # an e-mail address is not four English words
        ("it's li.wei@example.cn", "en"),
    ],
)
def test_the_majority_decides(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    ["/deny", '/track_order{"order_id": "KL20250104"}', "KL20251107", "1234", "👍", "", None, "li.wei@example.cn"],
)
def test_payloads_order_numbers_addresses_and_numbers_say_nothing(text: str | None) -> None:
    assert detect_language(text) is None


def test_has_chinese_and_values_read_from_elsewhere() -> None:
    assert has_chinese("a 旗袍") and not has_chinese("KL20251107")
    assert as_language("zh") == "zh" and as_language("fr") is None and as_language(None) is None


def test_every_part_uses_the_one_rule() -> None:
    from actions.i18n import detect_language as actions_rule
    from console import corrections

    assert actions_rule is detect_language
    # The console's corrections use the rule itself (tests/console/test_corrections.py files a correction
    # whose conversation has no language by it).
    assert corrections.detect_language is detect_language


def test_a_search_or_a_question_that_says_nothing_is_read_in_the_default_language() -> None:
    assert text_language("do you sell 旗袍 dresses") == "en" and text_language("适合跑步的鞋") == "zh"
    assert text_language("1234") == "en" and text_language("KL20251107", "zh") == "zh" and text_language(None) == "en"


def test_the_recommender_and_the_faq_have_no_language_rule_of_their_own() -> None:
    """Product search and the FAQ read a text's language through `text_language` (kelian.language): no
    module of theirs defines or imports another `detect_language`."""
    import ast

    from devstack.config import ROOT

    own = []
    for package in ("recommender", "retrieval"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                defined = isinstance(node, ast.FunctionDef) and node.name == "detect_language"
                imported = isinstance(node, ast.ImportFrom) and any(a.name == "detect_language" for a in node.names)
                if defined or imported:
                    own.append(str(path.relative_to(ROOT)))
    assert own == []

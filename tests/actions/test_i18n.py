from __future__ import annotations

import pytest

from actions.i18n import detect_language, language_of, say
from tests.actions.conftest import make_tracker


@pytest.mark.parametrize("text, expected", [
    ("where is my order", "en"),
    ("我的快递到哪了", "zh"),
    ("帮我cancel一下订单", "zh"),
    ("refund什么时候到账", "zh"),
    ("do you sell 旗袍 dresses", "en"),
    ("Hi 你好", "zh"),
    ("運費怎麼算", "zh"),
])
def test_detects_the_language_of_a_message(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["KL20251107", "1", "👍", "", None, "?!"])
def test_text_without_words_says_nothing_about_language(text):
    assert detect_language(text) is None


def test_slot_wins_over_the_latest_message():
    assert language_of(make_tracker(text="KL20251107", slots={"language": "zh"})) == "zh"
    assert say(make_tracker(text="hello", slots={"language": "zh"}), "Hi", "你好") == "你好"


def test_without_slot_the_latest_message_decides():
    assert language_of(make_tracker(text="我要退款")) == "zh"
    assert language_of(make_tracker(text="12345")) == "en"

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.slot_mappings import ValidateSlotMappings
from actions.i18n import detect_language, language_of, say
from tests.actions.conftest import ALICE, LI, make_tracker


@pytest.mark.parametrize(
    "text, expected",
    [
        ("where is my order", "en"),
        ("我的快递到哪了", "zh"),
        ("帮我cancel一下订单", "zh"),
        ("refund什么时候到账", "zh"),
        ("do you sell 旗袍 dresses", "en"),
        ("Hi 你好", "zh"),
        ("運費怎麼算", "zh"),
    ],
)
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


async def test_a_message_that_says_nothing_is_answered_in_the_language_of_the_signed_in_customers_profile():
    language = ValidateSlotMappings().extract_language
    dispatcher = CollectingDispatcher()
    assert await language(dispatcher, make_tracker("KL20250104", sender=LI, channel="web"), {}) == {"language": "zh"}
    assert await language(dispatcher, make_tracker("KL20250104", sender=ALICE, channel="rest"), {}) == {
        "language": "en"
    }
    # words win over the profile; a conversation that has a language keeps it; a guest has no profile
    assert await language(dispatcher, make_tracker("where is KL20250104", sender=LI, channel="web"), {}) == {
        "language": "en"
    }
    assert (
        await language(dispatcher, make_tracker("KL20250104", sender=LI, channel="web", slots={"language": "en"}), {})
        == {}
    )
    assert await language(dispatcher, make_tracker("KL20250104", sender="guest-4f1c", channel="web"), {}) == {}
    assert await language(dispatcher, make_tracker("是 li.wei@example.cn"), {}) == {"language": "zh"}

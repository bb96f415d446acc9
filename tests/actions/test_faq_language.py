"""The FAQ action judges an answer by the threshold of the conversation's language (the `language` slot),
not of the message's words (#15): before, it let the index guess from the text, so a message that says
nothing of its language ("KL20251107?") in a Chinese conversation was held to the English threshold."""

from __future__ import annotations

from typing import Optional

import pytest
from rasa_sdk.events import SlotSet

from actions.faq import ActionAnswerFaq
from actions.runtime import Services
from tests.actions.conftest import make_tracker

ANSWERS_EVERYTHING, ANSWERS_NOTHING = 0.0, 2.0  # scores are a cosine plus at most 0.05


@pytest.fixture
def only_answers_in(services: Services, monkeypatch: pytest.MonkeyPatch):
    """The real FAQ index, with thresholds under which only questions judged in `language` get an answer."""

    def use(language: str) -> None:
        for each in ("en", "zh"):
            monkeypatch.setitem(
                services.faq.thresholds, each, ANSWERS_EVERYTHING if each == language else ANSWERS_NOTHING
            )

    return use


@pytest.mark.parametrize(
    "text, conversation, judged_in",
    [
        ("KL20251107?", "zh", "zh"),  # says nothing: the conversation's language, not English by default
        ("👍 1234", "zh", "zh"),
        ("do you sell 旗袍 dresses", "en", "en"),  # an English question naming a Chinese product
        ("KL20251107?", None, "en"),  # no conversation language yet: the message's, English when it says none
        ("退货运费谁出", None, "zh"),
    ],
)
async def test_the_threshold_is_the_conversations_language(
    dispatcher, only_answers_in, text: str, conversation: Optional[str], judged_in: str
) -> None:
    slots = {"language": conversation} if conversation else {}
    for threshold_language in ("en", "zh"):
        dispatcher.messages.clear()
        only_answers_in(threshold_language)
        events = await ActionAnswerFaq().run(dispatcher, make_tracker(text, intent="nlu_fallback", slots=slots), {})
        answered = SlotSet("misunderstandings", 0.0) in events
        assert answered == (threshold_language == judged_in), (text, conversation, threshold_language)

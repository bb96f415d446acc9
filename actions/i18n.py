"""The customer's language, detected per message, and bilingual replies."""
from __future__ import annotations

import re
from typing import Literal

from rasa_sdk import Tracker

Language = Literal["en", "zh"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")


def detect_language(text: str | None) -> Language | None:
    """Chinese when Chinese characters outnumber English words, so that "帮我cancel订单" is Chinese
    and "do you sell 旗袍 dresses" is English. Text with neither (an order number, "1", an emoji)
    says nothing about the language, nor does a button payload (`/deny`): None keeps the one in use."""
    if not text or text.lstrip().startswith("/"):  # a button's intent payload says nothing about the language
        return None
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if cjk == 0 and words == 0:
        return None
    return "zh" if cjk >= words else "en"


def language_of(tracker: Tracker) -> Language:
    """The language of the conversation: the slot, or the latest message when the slot is unset."""
    slot = tracker.get_slot("language")
    if slot in ("en", "zh"):
        return slot
    return detect_language(tracker.latest_message.get("text")) or "en"


def say(tracker: Tracker, en: str, zh: str) -> str:
    """Pick the text in the customer's language."""
    return zh if language_of(tracker) == "zh" else en

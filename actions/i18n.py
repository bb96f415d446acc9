"""The conversation's language (the rule itself is kelian.language's), and bilingual replies."""

from __future__ import annotations

from rasa_sdk import Tracker

from kelian.language import Language, as_language, detect_language

__all__ = ["Language", "as_language", "detect_language", "language_of", "say"]


def language_of(tracker: Tracker) -> Language:
    """The language of the conversation: the slot, or the latest message when the slot is unset."""
    slot = as_language(tracker.get_slot("language"))
    if slot is not None:
        return slot
    return detect_language(tracker.latest_message.get("text")) or "en"


def say(tracker: Tracker, en: str, zh: str) -> str:
    """Pick the text in the customer's language."""
    return zh if language_of(tracker) == "zh" else en

"""The form that takes a product rating (`review_form`): its validation, which reads "5", "4 stars",
"给5分", "四星" or "⭐⭐⭐", and its question, with the stars as buttons."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.messages import tell
from actions.questions import Question

_RATING_WORDS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


def parse_rating(text: str) -> int | None:
    """ "5", "4 stars", "给5分", "四星", "⭐⭐⭐" → the rating; None when there is none."""
    stars = text.count("⭐") or text.count("★")
    if 1 <= stars <= 5 and not re.search(r"\d", text):
        return stars
    digits = re.findall(r"(?<!\d)([1-5])(?:\.0)?(?!\d)", text)
    if digits:
        return int(digits[0])
    for word, value in _RATING_WORDS.items():
        if re.search(word + r"\s*[星分颗]", text):
            return value
    return None


class ValidateReviewForm(FormValidationAction):
    def name(self) -> str:
        return "validate_review_form"

    def validate_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        rating = parse_rating(str(value or ""))
        if rating is None:
            tell(dispatcher, tracker, "invalid_rating")
            return {"rating": None}
        return {"rating": float(rating)}


class ActionAskRating(Question):
    key = "ask_rating"

    def name(self) -> str:
        return "action_ask_rating"

    def buttons(self) -> list[dict[str, str]]:
        return [{"title": "⭐" * stars, "payload": str(stars)} for stars in range(1, 6)]

"""The form that takes a new shipping address (`address_form`): its validation and its question. The
address is parsed and saved by actions/shipping.py once the form is done."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.messages import tell
from actions.questions import Question
from kelian.language import CHINESE_CHARACTER


def looks_like_address(text: str) -> bool:
    """A street address has a house number and enough words (or Chinese characters) to name a
    street and a city; anything shorter is asked again."""
    text = text.strip()
    if not re.search(r"\d", text):
        return False
    chinese = len(CHINESE_CHARACTER.findall(text))
    words = len(re.findall(r"[A-Za-z]+", text))
    return chinese >= 6 or words >= 3


class ValidateAddressForm(FormValidationAction):
    def name(self) -> str:
        return "validate_address_form"

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        address = " ".join(str(value or "").split())
        if not looks_like_address(address):
            tell(dispatcher, tracker, "invalid_address")
            return {"new_address": None}
        return {"new_address": address}


class ActionAskNewAddress(Question):
    key = "ask_new_address"

    def name(self) -> str:
        return "action_ask_new_address"

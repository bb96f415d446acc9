"""How a confirmation is read: at a confirmation question, or in the middle of a form, a message that
repeats the request may take it back instead ("还是不取消了", "no, don't cancel"). The order-number forms
stop on it (actions/forms/order_number.py); `action_read_confirmation` answers the cancellation's
question with it (data/rasa/rules/forms.yml)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# "还是不取消了", "no wait, don't cancel it", "keep it": the words of a customer who changes their mind at a
# confirmation, which the NLU may still read as the request itself (it mentions cancelling).
_CHANGE_OF_MIND = re.compile(
    r"不(要|用|想|必|打算|需要)?(取消|删|退|改|查|弄|买|换)|别(取消|删|退|改|查)|算了|还是不|先不|保留|留着|"
    r"\b(don'?t|do not|never ?mind|no longer|no need|not any ?more|forget (it|that|about it)|keep (it|the order|my "
    r"order))\b|"
    r"^\s*(no|nope)\b|^\s*(wait|hold on)[\s,.!]*(no\b.*)?$",
    re.IGNORECASE,
)
CONFIRMATION_SLOT = "confirmation"


def changed_mind(text: str) -> bool:
    """True when the message takes the request back rather than repeating it."""
    return bool(_CHANGE_OF_MIND.search(text or ""))


class ActionReadConfirmation(Action):
    """At a confirmation question, a message the NLU read as the request again ("cancel it" or "还是不取消了")
    is a yes or a no depending on its words; the rules after it (data/rasa/rules/forms.yml) branch on the
    `confirmation` slot."""

    def name(self) -> str:
        return "action_read_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        answer = "no" if changed_mind(tracker.latest_message.get("text") or "") else "yes"
        return [SlotSet(CONFIRMATION_SLOT, answer)]

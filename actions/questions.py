"""What the assistant asks while it fills a form (Rasa runs `action_ask_<slot>` to ask for a slot), and
how a confirmation is read. The words themselves are in actions/messages.py."""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Reply
from actions.messages import tell
from actions.orders import recent_order_buttons

log = logging.getLogger(__name__)

# a greeting or thanks in the middle of a form is answered and nothing more: the question is still open
QUIET_INTENTS = frozenset({"greet", "thank"})


def latest_intent(tracker: Tracker) -> str | None:
    """The NLU's intent of the latest message (nlu_fallback stays itself, unlike
    Tracker.get_intent_of_latest_message)."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def set_aside_for_this_message(tracker: Tracker) -> bool:
    """True when the active form gave this message back (Rasa's `action_execution_rejected`): a rule
    answered it in between, and the form now asks its question again. (A form that another one gave the
    message to asks its question in full.)"""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action_execution_rejected":
            return event.get("name") == tracker.active_loop_name
    return False


def question_key(tracker: Tracker, key: str) -> str | None:
    """What to say for question `key`: the question itself; after a question answered in between a short
    reminder of it; after a greeting or thanks in between nothing (None)."""
    if not set_aside_for_this_message(tracker):
        return key
    if latest_intent(tracker) in QUIET_INTENTS:
        return None
    return "remind_" + key.removeprefix("ask_")


class Question(Action, ABC):
    key: str

    @abstractmethod
    def name(self) -> str: ...

    def buttons(self) -> list[dict[str, str]] | None:
        return None

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        key = question_key(tracker, self.key)
        if key is not None:
            tell(dispatcher, tracker, key, buttons=self.buttons() or [])
        return []


class ActionAskOrderId(Question):
    """A known customer also gets their latest orders as buttons."""

    key = "ask_order_id"

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        key = question_key(tracker, self.key)
        if key is None:
            return []
        try:
            buttons = await recent_order_buttons(tracker, Reply(dispatcher, tracker))
        except Exception:  # the question matters more than the shortcut
            log.exception("no recent orders for conversation %s", tracker.sender_id)
            buttons = []
        tell(dispatcher, tracker, key, buttons=buttons)
        return []


class ActionAskOrderProof(Question):
    key = "ask_order_proof"

    def name(self) -> str:
        return "action_ask_order_proof"


class ActionAskNewAddress(Question):
    key = "ask_new_address"

    def name(self) -> str:
        return "action_ask_new_address"


class ActionAskEmail(Question):
    key = "ask_email"

    def name(self) -> str:
        return "action_ask_email"


class ActionAskLinkCode(Question):
    key = "ask_link_code"

    def name(self) -> str:
        return "action_ask_link_code"


class ActionAskRating(Question):
    key = "ask_rating"

    def name(self) -> str:
        return "action_ask_rating"

    def buttons(self) -> list[dict[str, str]]:
        return [{"title": "⭐" * stars, "payload": str(stars)} for stars in range(1, 6)]


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

"""How a form asks for a slot (Rasa runs `action_ask_<slot>`): the question itself, a short reminder of
it after a question answered in between, nothing after a greeting or thanks. Each form's questions are
beside its validation in actions/forms/; the words themselves are in actions/messages.py."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.messages import tell


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

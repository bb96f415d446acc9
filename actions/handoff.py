"""Escalation to a person."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import language_of, say
from actions.knowledge import policy


class ActionHandoff(Action):
    """Until the live handoff inbox exists (issue #7), the customer is told how to reach a person now."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=say(tracker, "Of course — our customer service team will take it from here.",
                                          "好的,人工客服会为您继续处理。"))
        dispatcher.utter_message(text=policy("contact_info", language_of(tracker)))
        return []

"""Answers from the shop's standing policies: the same for every customer, in their language."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.types import DomainDict

from actions.base import DataAction, Reply
from actions.knowledge import policies
from actions.shipping import with_facts


class PolicyAnswer(DataAction, ABC):
    """Says the policy text for `topic`, its facts filled in."""

    topic: str

    @abstractmethod
    def name(self) -> str: ...

    def topic_for(self, tracker: Tracker) -> str:
        return self.topic

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        texts = policies()[self.topic_for(tracker)]
        reply.dispatcher.utter_message(text=await with_facts(reply, texts["en"], texts["zh"]))
        return []


class ActionPaymentMethods(PolicyAnswer):
    topic = "payment_methods"

    def name(self) -> str:
        return "action_payment_methods"


class ActionRefundPolicy(PolicyAnswer):
    topic = "refund_policy"

    def name(self) -> str:
        return "action_refund_policy"


class ActionContactInfo(PolicyAnswer):
    topic = "contact_info"

    def name(self) -> str:
        return "action_contact_info"


class ActionAccountHelp(PolicyAnswer):
    """Account self-service steps for the intent the customer just expressed."""

    TOPICS = ("create_account", "edit_account", "registration_problems", "switch_account")

    def name(self) -> str:
        return "action_account_help"

    def topic_for(self, tracker: Tracker) -> str:
        intent = tracker.get_intent_of_latest_message()
        return intent if intent in self.TOPICS else "create_account"

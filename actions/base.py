"""What every action that reaches the CRM or the recommender shares: the customer's language, their
identity, and graceful failure.

A failing query, a missing model or a timeout never reaches Rasa as an error: the customer gets a
polite apology in their language with a button to a person, and the failure is logged with the
conversation id so staff can find it.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import Language, language_of, say

log = logging.getLogger(__name__)

HUMAN_PAYLOAD = "/contact_human_agent"


def human_button(language: Language) -> dict[str, str]:
    return {"title": "转人工客服" if language == "zh" else "Talk to a person", "payload": HUMAN_PAYLOAD}


def apologise(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(
        text=say(
            tracker,
            "Sorry, I can't reach our system right now, so I can't do that at the moment. "
            "A colleague can help you straight away.",
            "抱歉,系统暂时无法连接,这件事我现在办不了。可以由人工客服马上为您处理。",
        ),
        buttons=[human_button(language_of(tracker))],
    )


class Reply:
    """Writes to the customer in the language of the conversation."""

    def __init__(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.language: Language = language_of(tracker)

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    def pick(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def say(self, en: str, zh: str, buttons: list[dict[str, str]] | None = None, **extra: Any) -> None:
        self.dispatcher.utter_message(text=self.pick(en, zh), buttons=buttons or [], **extra)

    def button(self, en: str, zh: str, payload: str) -> dict[str, str]:
        return {"title": self.pick(en, zh), "payload": payload}

    def human(self) -> dict[str, str]:
        return human_button(self.language)


class DataAction(Action, ABC):
    """An action that answers from data; subclasses implement `answer`."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reply = Reply(dispatcher, tracker)
        try:
            return await self.answer(reply, tracker, domain)
        except Exception:
            log.exception("%s failed in conversation %s", self.name(), tracker.sender_id)
            dispatcher.messages.clear()
            apologise(dispatcher, tracker)
            return []

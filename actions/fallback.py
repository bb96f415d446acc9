"""The first stage of the two-stage fallback: "Did you mean …?" in the customer's language."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import language_of, say
from actions.knowledge import KNOWLEDGE_DIR


@lru_cache(maxsize=1)
def intent_labels() -> dict[str, dict[str, str]]:
    with open(KNOWLEDGE_DIR / "intent_labels.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


class ActionDefaultAskAffirmation(Action):
    """Offers the two intents the model found most likely, plus "something else"."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = language_of(tracker)
        labels = intent_labels()
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [r["name"] for r in ranking if r.get("name") in labels and r["name"] != "out_of_scope"][:2]
        buttons = [{"title": labels[name][language], "payload": f"/{name}"} for name in candidates]
        buttons.append({"title": say(tracker, "Something else", "都不是"), "payload": "/deny"})
        dispatcher.utter_message(text=say(tracker, "Sorry, I'm not sure I understood. Did you mean:", "抱歉,我不太确定您的意思,您是想问:"),
                                 buttons=buttons)
        return []

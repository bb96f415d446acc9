"""Questions no intent covers: the FAQ knowledge base, then "say it another way", then a person.

Runs for `nlu_fallback` (the NLU was not confident) and for `out_of_scope`. A FAQ answer above the
index's calibrated threshold for the conversation's language is given directly; otherwise the
customer is asked to rephrase, with the two intents the NLU found likeliest as buttons; after the
second misunderstanding in a row the bot offers a human (the `misunderstandings` slot counts, and
resets on any understood message).
A typed "yes" / "是的" right after an answer of this action (`action_affirm_after_answer`, by rule)
takes up that offer when one was made (`human_offered`), and otherwise just asks what else to do.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict

from kelian.refusal import rule_of

from retrieval.faq_index import FaqMatch, margin_for

from actions.base import DataAction, Reply
from actions.handoff import ActionHandoff
from actions.i18n import language_of
from actions.knowledge import KNOWLEDGE_DIR, needs_delivery, render
from actions.messages import tell
from actions.runtime import off_loop, services
from actions.shipping import shop_delivery

MISUNDERSTANDINGS = "misunderstandings"
# Whether this action's latest answer offered a person: every answer sets it, so it is never stale
# where the rule reads it (right after this action).
HUMAN_OFFERED = "human_offered"


@lru_cache(maxsize=1)
def intent_labels() -> dict[str, dict[str, str]]:
    with open(KNOWLEDGE_DIR / "intent_labels.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


async def faq_match(tracker: Tracker) -> FaqMatch | None:
    """The FAQ entry that answers the customer's latest message, if one is confident enough by the
    threshold of the conversation's language (not of the message's words: "do you sell 旗袍 dresses" is
    an English question, "KL20251107?" in a Chinese conversation a Chinese one), more so when the NLU
    found the message off-topic (it must get the out-of-scope answer, not a policy); its answer's facts
    filled in (knowledge.render)."""
    text = tracker.latest_message.get("text") or ""
    margin = margin_for(tracker.get_intent_of_latest_message(), rule_of(tracker.latest_message))
    language = language_of(tracker)
    match = (
        await off_loop(lambda: services().faq.answer(text, language=language, margin=margin)) if text.strip() else None
    )
    if match is None:
        return None
    entry = match.entry
    delivery = await shop_delivery() if needs_delivery(entry.answer_en + entry.answer_zh) else None
    return replace(
        match,
        entry=replace(
            entry, answer_en=render(entry.answer_en, "en", delivery), answer_zh=render(entry.answer_zh, "zh", delivery)
        ),
    )


def likely_intents(tracker: Tracker, reply: Reply) -> list[dict[str, str]]:
    labels = intent_labels()
    ranking = tracker.latest_message.get("intent_ranking") or []
    names = [r["name"] for r in ranking if r.get("name") in labels and r["name"] != "out_of_scope"][:2]
    return [{"title": labels[name][reply.language], "payload": f"/{name}"} for name in names]


class ActionAnswerFaq(DataAction):
    def name(self) -> str:
        return "action_answer_faq"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        match = await faq_match(tracker)
        not_offered = SlotSet(HUMAN_OFFERED, False)
        if match is not None:
            reply.say(match.answer("en"), match.answer("zh"))
            return [SlotSet(MISUNDERSTANDINGS, 0.0), not_offered]
        if tracker.get_intent_of_latest_message() == "out_of_scope":
            tell(reply.dispatcher, tracker, "out_of_scope")
            return [not_offered]
        missed = int(tracker.get_slot(MISUNDERSTANDINGS) or 0) + 1
        if missed >= 2:
            tell(
                reply.dispatcher,
                tracker,
                "offer_human",
                buttons=[reply.human(), reply.button("No thanks", "不用了", "/deny")],
            )
            return [SlotSet(MISUNDERSTANDINGS, 0.0), SlotSet(HUMAN_OFFERED, True)]
        suggestions = likely_intents(tracker, reply)
        reply.say(
            "Sorry, I didn't quite get that. Could you say it another way?"
            + (" Or did you mean one of these?" if suggestions else ""),
            "抱歉,我没太理解您的意思,可以换个说法再说一次吗?" + ("或者您是想问:" if suggestions else ""),
            buttons=suggestions,
        )
        return [SlotSet(MISUNDERSTANDINGS, float(missed)), not_offered]


class ActionAffirmAfterAnswer(ActionHandoff):
    """A typed yes after action_answer_faq: the hand-off it offered, or "anything else?" when it
    offered none (a yes after an FAQ answer must not call a person)."""

    def name(self) -> str:
        return "action_affirm_after_answer"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if tracker.get_slot(HUMAN_OFFERED):
            return [SlotSet(HUMAN_OFFERED, False), *await super().answer(reply, tracker, domain)]
        reply.dispatcher.utter_message(response="utter_anything_else")
        return []

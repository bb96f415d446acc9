"""The satisfaction survey (CSAT, docs/survey.md): a 1-5 rating with buttons, asked once per conversation after
an agent hands it back (the console runs `action_ask_csat`) or after the customer says goodbye to a bot that
did something for them (data/rasa/rules); a reason is asked after a low rating and may be skipped.

The buttons reuse the `review` intent with their own entity (`/review{"csat_score": "4"}`), so a typed
message is never taken as a rating and anything else the customer writes is answered as usual: the survey
never holds the conversation. The rating also goes into the `rating` slot (set and cleared at once), which
the feedback consumer already folds into the customer's satisfaction score.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from crm.models import CsatTrigger
from crm.repository import record_reason, record_score, start_survey
from actions.base import Reply
from actions.identity import crm_channel
from actions.runtime import in_crm

log = logging.getLogger(__name__)

SCORE_ENTITY = "csat_score"
LOW = (1, 2)
# Intents that say nothing about what the customer came for (the main intent is the most frequent other one).
SMALL_TALK = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope", "nlu_fallback", "review"}
)
# Actions that do nothing for the customer: a conversation with none but these did not end with a goal met.
NOT_DONE = frozenset(
    {
        "action_listen",
        "action_session_start",
        "action_restart",
        "action_default_fallback",
        "action_deactivate_loop",
        "action_handoff",
        "action_agent_message",
        "utter_greet",
        "utter_goodbye",
        "utter_you_are_welcome",
        "utter_form_stopped",
        "utter_iamabot",
        "utter_out_of_scope",
        "action_ask_csat",
        "action_record_csat",
        "action_ask_csat_reason",
        "action_record_csat_reason",
    }
)
# Stars and words, not digits: WeChat numbers the options itself ("回复 4 ⭐⭐⭐⭐ 满意"), and its number is the rating.
_LABELS = {
    1: ("⭐ very poor", "⭐ 非常不满意"),
    2: ("⭐⭐ poor", "⭐⭐ 不满意"),
    3: ("⭐⭐⭐ okay", "⭐⭐⭐ 一般"),
    4: ("⭐⭐⭐⭐ good", "⭐⭐⭐⭐ 满意"),
    5: ("⭐⭐⭐⭐⭐ excellent", "⭐⭐⭐⭐⭐ 非常满意"),
}


def session_events(tracker: Tracker) -> list[dict[str, Any]]:
    """The events of the current Rasa session."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1 :]
    return events


def main_intent(tracker: Tracker) -> str | None:
    """The customer's most frequent request in this session, the earliest of equals; None for small talk only."""
    intents = [
        (e.get("parse_data") or {}).get("intent", {}).get("name")
        for e in session_events(tracker)
        if e.get("event") == "user"
    ]
    counts = Counter(i for i in intents if i and i not in SMALL_TALK)
    if not counts:
        return None
    top = max(counts.values())
    return next(i for i in intents if counts.get(i) == top)


def something_done(tracker: Tracker) -> bool:
    """True when the bot did something for the customer in this session: an action outside NOT_DONE that is
    not a form or one of its questions (a form counts once its own action ran), and the last request before
    the goodbye was understood."""
    last_intent = None
    done = False
    for event in session_events(tracker):
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if intent not in ("goodbye", "thank"):
                last_intent = intent
        elif event.get("event") == "action":
            name = event.get("name") or ""
            asking = name.endswith("_form") or name.startswith(("validate_", "action_ask_", "utter_ask_"))
            done = done or not (name in NOT_DONE or asking)
    return done and last_intent != "nlu_fallback"


def after_goodbye(tracker: Tracker) -> bool:
    """True when the goodbye rule runs the survey (its action follows utter_goodbye); the console runs it
    after handing a conversation back (the latest action is then action_listen)."""
    for event in reversed(tracker.events):
        if event.get("event") == "action":
            return event.get("name") == "utter_goodbye"
    return False


def asked_in_session(tracker: Tracker) -> bool:
    """True when the survey was asked earlier in this Rasa session (its action said something): the CRM may
    hold two conversations for one session (a message after a hand-off closed starts one), the customer
    still had one conversation."""
    asking = False
    for event in session_events(tracker):
        if event.get("event") == "action":
            asking = event.get("name") == "action_ask_csat"
        elif event.get("event") == "bot" and asking:
            return True
    return False


def rating_buttons(reply: Reply) -> list[dict[str, str]]:
    return [
        reply.button(en, zh, f'/review{{"{SCORE_ENTITY}": "{score}"}}') for score, (en, zh) in sorted(_LABELS.items())
    ]


def score_of(tracker: Tracker) -> int | None:
    """The rating a survey button carries, or None (no button, or a value that is not 1-5)."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == SCORE_ENTITY:
            value = str(entity.get("value") or "").strip()
            return int(value) if value in ("1", "2", "3", "4", "5") else None
    return None


class ActionAskCsat(Action):
    """Asks for the rating when this conversation has not been asked: after a hand-off (run by the console),
    or after a goodbye when the bot did something and no form is open. Says nothing otherwise, and nothing
    when the CRM cannot be reached (a survey is not worth an apology)."""

    def name(self) -> str:
        return "action_ask_csat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reply = Reply(dispatcher, tracker)
        ended = after_goodbye(tracker)
        if tracker.active_loop.get("name") or asked_in_session(tracker) or (ended and not something_done(tracker)):
            return []
        trigger = CsatTrigger.ENDED if ended else CsatTrigger.HANDOFF
        channel, intent = crm_channel(tracker), main_intent(tracker)
        try:
            survey = await in_crm(
                lambda s: start_survey(
                    s, channel, tracker.sender_id, trigger=trigger, intent=intent, language=reply.language
                )
            )
        except Exception:
            log.exception("no satisfaction survey in conversation %s", tracker.sender_id)
            return []
        if survey is None:
            return []
        reply.say(
            "How satisfied are you with the help you got today? Please rate it from 1 (very poor) to 5 (excellent).",
            "请问您对本次服务满意吗?请打分:1 分非常不满意,5 分非常满意。",
            buttons=rating_buttons(reply),
        )
        return []


class ActionRecordCsat(Action):
    """Stores the rating of a survey button; after 1 or 2 asks what went wrong (action_ask_csat_reason)."""

    def name(self) -> str:
        return "action_record_csat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reply = Reply(dispatcher, tracker)
        score = score_of(tracker)
        if score is None:
            return []
        channel = crm_channel(tracker)
        try:
            survey = await in_crm(lambda s: record_score(s, channel, tracker.sender_id, score))
        except Exception:
            log.exception("rating not stored in conversation %s", tracker.sender_id)
            survey = None
        if survey is None:  # answered already, or never asked: thanked, nothing changes
            reply.say("Thank you!", "谢谢您!")
            return []
        events: list[dict[str, Any]] = [SlotSet("rating", float(score)), SlotSet("rating", None)]
        if score in LOW:
            return [*events, FollowupAction("action_ask_csat_reason")]
        reply.say("Thank you for your rating!", "感谢您的评价!")
        return events


class ActionAskCsatReason(Action):
    """After a low rating: what went wrong, in the customer's words, or skip."""

    def name(self) -> str:
        return "action_ask_csat_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reply = Reply(dispatcher, tracker)
        reply.say(
            "I'm sorry we let you down. What went wrong? Tell me in a few words, or skip.",
            "很抱歉没能让您满意。能简单说说哪里做得不好吗?也可以跳过。",
            buttons=[reply.button("Skip", "跳过", "/deny")],
        )
        return []


class ActionRecordCsatReason(Action):
    """The reason after a low rating (a skip stores nothing)."""

    def name(self) -> str:
        return "action_record_csat_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reply = Reply(dispatcher, tracker)
        if (tracker.latest_message.get("intent") or {}).get("name") == "deny":
            reply.say("No problem. Thank you for your rating!", "好的,感谢您的评价!")
            return []
        text, channel = tracker.latest_message.get("text") or "", crm_channel(tracker)
        try:
            await in_crm(lambda s: record_reason(s, channel, tracker.sender_id, text))
        except Exception:
            log.exception("rating reason not stored in conversation %s", tracker.sender_id)
        reply.say("Thank you for telling us. I've passed it on to the team.", "感谢您的反馈,我已经转达给团队。")
        return []

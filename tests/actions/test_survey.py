"""The satisfaction survey's actions against the demo CRM: when it is asked (after a hand-off; after a goodbye
to a bot that did something; never twice, never in a form), in the customer's language with five buttons, and
what the rating and the reason write."""

from __future__ import annotations

import json
import uuid
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from sqlalchemy import select

from crm.models import Conversation, CsatSurvey
from crm.repository import assign_handoff, close_handoff, open_conversation, request_handoff, sender_key
from actions.survey import (
    ActionAskCsat,
    ActionAskCsatReason,
    ActionRecordCsat,
    ActionRecordCsatReason,
    main_intent,
)
from tests.actions.conftest import make_tracker, texts, user_event

TRACKED = [
    user_event("hi", "greet"),
    {"event": "action", "name": "utter_greet"},
    user_event("where is my parcel KL20250104", "track_order"),
    {"event": "action", "name": "action_track_order"},
    {"event": "bot", "text": "It is on its way."},
]


def sender() -> str:
    return f"survey-{uuid.uuid4().hex[:10]}"


def goodbye(who: str, history: list[dict[str, Any]], **extra: Any) -> Tracker:
    tracker = make_tracker("bye", intent="goodbye", sender=who, history=history, **extra)
    tracker.events.append({"event": "action", "name": "utter_goodbye"})
    return tracker


def survey_of(crm, who: str, channel: str = "rest") -> CsatSurvey | None:
    with crm() as session:
        return session.scalars(
            select(CsatSurvey)
            .join(Conversation, Conversation.id == CsatSurvey.conversation_id)
            .where(Conversation.sender_key == sender_key(channel, who))
        ).one_or_none()


def rating(who: str, score: str, **extra: Any) -> Tracker:
    payload = f'/review{{"csat_score": "{score}"}}'
    return make_tracker(
        payload, intent="review", sender=who, entities=[{"entity": "csat_score", "value": score}], **extra
    )


async def test_a_goodbye_after_something_done_asks_once_with_five_buttons(dispatcher, crm):
    who = sender()
    await ActionAskCsat().run(dispatcher, goodbye(who, TRACKED), {})
    message = dispatcher.messages[0]
    assert "rate it from 1" in message["text"]
    assert [b["title"] for b in message["buttons"]][::4] == ["⭐ very poor", "⭐⭐⭐⭐⭐ excellent"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[3].startswith("/review") and json.loads(payloads[3].removeprefix("/review")) == {"csat_score": "4"}
    stored = survey_of(crm, who)
    assert (stored.trigger.value, stored.intent, stored.agent, stored.score) == ("ended", "track_order", None, None)

    again = type(dispatcher)()
    await ActionAskCsat().run(again, goodbye(who, TRACKED), {})
    assert again.messages == []


async def test_no_survey_after_small_talk_a_misunderstanding_or_in_a_form(dispatcher, crm):
    chatted, lost, in_form = sender(), sender(), sender()
    await ActionAskCsat().run(dispatcher, goodbye(chatted, TRACKED[:2]), {})
    misunderstood = [*TRACKED, user_event("asdfgh", "nlu_fallback"), {"event": "action", "name": "action_answer_faq"}]
    await ActionAskCsat().run(dispatcher, goodbye(lost, misunderstood), {})
    await ActionAskCsat().run(dispatcher, goodbye(in_form, TRACKED, active_loop="get_refund_form"), {})
    assert dispatcher.messages == []
    assert all(survey_of(crm, who) is None for who in (chatted, lost, in_form))


async def test_chinese_and_after_a_hand_off_with_its_agent(dispatcher, crm):
    who = sender()
    with crm() as session:
        conversation = open_conversation(session, "wechat", who, language="zh")
        handoff = request_handoff(session, conversation, reason="customer asked", sender_id=who)
        assign_handoff(session, handoff, agent="xiaolin")
        close_handoff(session, handoff)
    history = [user_event("我要退款", "get_refund"), {"event": "action", "name": "action_handoff"}]
    tracker = make_tracker("我要退款", intent="get_refund", sender=who, channel="wechat", history=history)
    tracker.events += [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    tracker.slots["language"] = "zh"
    await ActionAskCsat().run(dispatcher, tracker, {})
    message = dispatcher.messages[0]
    assert "请打分" in message["text"] and message["buttons"][4]["title"] == "⭐⭐⭐⭐⭐ 非常满意"
    stored = survey_of(crm, who, "wechat")
    assert (stored.trigger.value, stored.agent, stored.intent, stored.language.value) == (
        "handoff",
        "xiaolin",
        "get_refund",
        "zh",
    )


async def test_not_asked_again_in_the_same_session_after_a_hand_off_survey(dispatcher, crm):
    who = sender()
    asked = [
        *TRACKED,
        {"event": "action", "name": "action_ask_csat"},
        {"event": "bot", "text": "How satisfied are you with the help you got today?"},
        user_event("where is my other parcel", "track_order"),
        {"event": "action", "name": "action_track_order"},
    ]
    await ActionAskCsat().run(dispatcher, goodbye(who, asked), {})
    assert dispatcher.messages == [] and survey_of(crm, who) is None


async def test_a_low_rating_asks_why_and_a_skip_or_a_reason_ends_it(dispatcher, crm):
    who = sender()
    await ActionAskCsat().run(dispatcher, goodbye(who, TRACKED), {})
    events = await ActionRecordCsat().run(dispatcher, rating(who, "2"), {})
    assert events == [SlotSet("rating", 2.0), SlotSet("rating", None), FollowupAction("action_ask_csat_reason")]
    asking = type(dispatcher)()
    await ActionAskCsatReason().run(asking, rating(who, "2"), {})
    assert "What went wrong" in texts(asking)
    assert asking.messages[0]["buttons"] == [{"title": "Skip", "payload": "/deny"}]

    said = type(dispatcher)()
    reason = make_tracker("the parcel was late and nobody told me", intent="nlu_fallback", sender=who)
    await ActionRecordCsatReason().run(said, reason, {})
    assert "passed it on" in texts(said)
    stored = survey_of(crm, who)
    assert (stored.score, stored.reason) == (2, "the parcel was late and nobody told me")


async def test_a_skipped_reason_stores_nothing_and_a_good_rating_is_thanked(dispatcher, crm):
    low, high = sender(), sender()
    for who in (low, high):
        await ActionAskCsat().run(type(dispatcher)(), goodbye(who, TRACKED), {})
    await ActionRecordCsat().run(type(dispatcher)(), rating(low, "1"), {})
    await ActionRecordCsatReason().run(dispatcher, make_tracker("/deny", intent="deny", sender=low), {})
    assert "No problem" in texts(dispatcher) and survey_of(crm, low).reason is None

    thanked = type(dispatcher)()
    events = await ActionRecordCsat().run(thanked, rating(high, "5", slots={"language": "zh"}), {})
    assert texts(thanked) == "感谢您的评价!" and FollowupAction("action_ask_csat_reason") not in events
    assert survey_of(crm, high).score == 5


async def test_a_rating_without_a_survey_or_out_of_range_changes_nothing(dispatcher, crm):
    who = sender()
    await ActionRecordCsat().run(dispatcher, rating(who, "5"), {})
    assert texts(dispatcher) == "Thank you!" and survey_of(crm, who) is None
    await ActionAskCsat().run(type(dispatcher)(), goodbye(who, TRACKED), {})
    ignored = type(dispatcher)()
    assert await ActionRecordCsat().run(ignored, rating(who, "9"), {}) == []
    assert ignored.messages == [] and survey_of(crm, who).score is None


def test_the_main_intent_is_the_most_frequent_request() -> None:
    history = [
        user_event("hi", "greet"),
        user_event("refund?", "get_refund"),
        user_event("where", "track_order"),
        user_event("refund now", "get_refund"),
    ]
    assert main_intent(make_tracker("thanks", intent="thank", history=history)) == "get_refund"
    assert main_intent(make_tracker("hello", intent="greet")) is None

"""Escalation to a person: a handoff request in the CRM queue, the expected wait, and the bot paused.

While the conversation is paused Rasa still records every message the customer sends, but the bot
stays silent; an agent hands it back with Rasa's `resume` event (the staff console does that).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from kelian.agent_voice import image_url, utterance

from crm.rasa_events import PressedButtons
from crm.repository import open_conversation, request_handoff
from crm.repository.queue import QueueWait
from actions.base import DataAction, Reply
from actions.i18n import language_of
from actions.identity import crm_channel, identified_customer
from actions.knowledge import policy
from actions.messages import seen, worded
from actions.queue import answered_after_hours, place_in_queue, wait_words
from actions.runtime import in_crm

log = logging.getLogger(__name__)

AGENT_MESSAGE = "agent_message"
SUMMARY_TURNS = 8
HIGH_VALUE_PRIORITY = 10  # a high-value customer goes ahead of everyone else in the queue
URGENT_PRIORITY = 5


def handoff_reason(tracker: Tracker) -> str:
    """Why the customer is being handed over, from the turns before the request."""
    intents = [
        (e.get("parse_data") or {}).get("intent", {}).get("name") for e in tracker.events if e.get("event") == "user"
    ]
    recent = intents[-4:]
    if "complaint" in recent:
        return "complaint"
    if recent.count("nlu_fallback") >= 2:
        return "not understood"
    return "customer asked"


def conversation_summary(tracker: Tracker) -> str:
    """The last customer turns with what the assistant understood, for the agent who picks it up; a
    pressed button shows as the title the customer pressed ("好的,转人工"), not its payload."""
    lines = []
    buttons = PressedButtons()
    for event in tracker.events:
        said = buttons.read(event)
        if event.get("event") == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent", {})
            lines.append(f"customer [{intent.get('name')} {float(intent.get('confidence') or 0):.2f}]: {said or ''}")
        elif event.get("event") == "bot" and lines:
            lines.append(f"bot: {(event.get('text') or '')[:160]}")
    return "\n".join(lines[-2 * SUMMARY_TURNS :])[-2000:]


class ActionHandoff(DataAction):
    def name(self) -> str:
        return "action_handoff"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reason = handoff_reason(tracker)
        if await answered_after_hours(reply, tracker, reason):  # queue operations: a ticket, not the queue
            return []
        summary = conversation_summary(tracker)

        def enqueue(session: Session) -> tuple[QueueWait, int | None]:
            customer = identified_customer(session, tracker)
            priority = 0
            if customer is not None and customer.segment is not None and customer.segment.value == "high_value":
                priority = HIGH_VALUE_PRIORITY
            elif reason == "complaint":
                priority = URGENT_PRIORITY
            conversation = open_conversation(
                session,
                crm_channel(tracker),
                tracker.sender_id,
                customer_id=None if customer is None else customer.id,
                language=reply.language,
            )
            handoff = request_handoff(
                session, conversation, reason=reason, summary=summary, priority=priority, sender_id=tracker.sender_id
            )
            return place_in_queue(session, handoff), None if customer is None else customer.id

        try:
            wait, customer_id = await in_crm(enqueue)
        except Exception:
            log.exception("handoff request failed in conversation %s", tracker.sender_id)
            reply.say(
                "I'm sorry, I can't reach our team's queue from here right now. You can reach a person directly:",
                "抱歉,暂时无法为您接入人工排队。您可以通过以下方式直接联系人工客服:",
            )
            reply.dispatcher.utter_message(text=policy("contact_info", reply.language))
            return []
        tail = wait_words(wait)  # queue operations: from the real queue and the agents online
        promise = await worded(tracker, "handoff_promise", customer_id)  # a replies experiment may reword it
        reply.say(
            promise.en + " " + tail.en,
            promise.zh + tail.zh,
        )
        await seen(tracker, promise)
        return [ConversationPaused()]


class ActionAgentMessage(Action):
    """Says what an agent typed in the staff console, or that they joined or left, through the customer's own
    channel: the console sets the slot `agent_message` (kelian.agent_voice's envelope) and runs this action
    with Rasa's `execute` API. The agent's name and the kind of message go with it as message metadata, for
    the channel to show an agent's message apart from the bot's."""

    def name(self) -> str:
        return "action_agent_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        envelope = tracker.get_slot(AGENT_MESSAGE)
        said = utterance(envelope, language_of(tracker))
        if said is not None:
            text, metadata = said
            image = image_url(envelope)  # attachments: an image the agent sent, the channel shows it
            if image is None:
                dispatcher.utter_message(text=text, **metadata)
            else:
                dispatcher.utter_message(text=text or None, image=image, **metadata)
        return [SlotSet(AGENT_MESSAGE, None)]

"""A new conversation session (Rasa starts one when the customer comes back after the domain's
`session_expiration_time`, or when a client sends `/session_start`) starts clean.

Rasa's own `action_session_start` carries every slot over, so a form left half-way an hour ago (on the
web page, say) came back with the next "在吗" on any channel of that conversation: its `requested_slot`,
the order number or address it had, a pending confirmation. Here only who the customer is carries
over: the conversation's language, the order proof they gave (`customer_id`, sealed to this
conversation), when they last heard about an account link (so the notice is not repeated), and the
metadata Rasa sets for the new session. What they were doing (forms and the slots they fill,
confirmations, a recommendation being refined, counts of misunderstandings) is dropped.
`SessionStarted` itself ends any active form.

A new session on the web page is also the customer's "next visit" for an outreach waiting for them
(crm/outreach/web.py): it is said first, once, with its one-tap opt-out button."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.identity import VERIFIED_SLOT
from actions.linking import NOTICE_SLOT
from actions.runtime import in_crm
from bot.channels.web_auth import is_anonymous
from crm.outreach.web import WebOutreach, take_pending
from crm.repository import find_customer

logger = logging.getLogger(__name__)

SESSION_METADATA_SLOT = "session_started_metadata"  # Rasa's, set before this action runs
KEPT_SLOTS = ("language", VERIFIED_SLOT, NOTICE_SLOT, SESSION_METADATA_SLOT)


def carried_slots(tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
    """The `SlotSet` events that keep who the customer is in the new session (none when the domain's
    `carry_over_slots_to_new_session` is off)."""
    if not (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
        return []
    return [SlotSet(name, tracker.slots[name]) for name in KEPT_SLOTS if tracker.slots.get(name) is not None]


async def waiting_outreach(tracker: Tracker) -> list[WebOutreach]:
    """The outreach waiting for this web customer's next visit (taken: it will not be shown again). A
    new conversation has no input channel yet; a web conversation's id is the signed web user id."""
    if tracker.get_latest_input_channel() not in (None, "web") or is_anonymous(tracker.sender_id):
        return []

    def take(session: Session) -> list[WebOutreach]:
        customer = find_customer(session, "web", tracker.sender_id)
        return [] if customer is None or customer.erased else take_pending(session, customer.id)

    try:
        return await in_crm(take)
    except Exception:  # the greeting must not fail because the CRM is slow: it stays pending
        logger.exception("outreach: could not read the messages waiting for a web customer")
        return []


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        for outreach in await waiting_outreach(tracker):
            dispatcher.utter_message(text=outreach.text, buttons=[outreach.button])
        return [SessionStarted(), *carried_slots(tracker, domain), ActionExecuted("action_listen")]

"""A new conversation session (Rasa starts one when the customer comes back after the domain's
`session_expiration_time`, or when a client sends `/session_start`) starts clean.

Rasa's own `action_session_start` carries every slot over, so a form left half-way an hour ago (on the
web page, say) came back with the next "在吗" on any channel of that conversation: its `requested_slot`,
the order number or address it had, a pending confirmation. Here only who the customer is carries
over: the conversation's language, the order proof they gave (`customer_id`, sealed to this
conversation), when they last heard about an account link (so the notice is not repeated), and the
metadata Rasa sets for the new session. What they were doing (forms and the slots they fill,
confirmations, a recommendation being refined, counts of misunderstandings) is dropped.
`SessionStarted` itself ends any active form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.identity import VERIFIED_SLOT
from actions.linking import NOTICE_SLOT

SESSION_METADATA_SLOT = "session_started_metadata"  # Rasa's, set before this action runs
KEPT_SLOTS = ("language", VERIFIED_SLOT, NOTICE_SLOT, SESSION_METADATA_SLOT)


def carried_slots(tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
    """The `SlotSet` events that keep who the customer is in the new session (none when the domain's
    `carry_over_slots_to_new_session` is off)."""
    if not (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
        return []
    return [SlotSet(name, tracker.slots[name]) for name in KEPT_SLOTS if tracker.slots.get(name) is not None]


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        return [SessionStarted(), *carried_slots(tracker, domain), ActionExecuted("action_listen")]

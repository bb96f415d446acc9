"""The form that links this channel's identity to a known customer (`link_account_form`): its
validation, which takes the one-time code the customer got on a channel where they are known
(actions/linking.py), and the question that asks for it."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from crm.repository import find_link_code, redeem_link_code
from actions.identity import crm_channel, signed_customer
from actions.linking import LINKED, LOCKED, signed_channel
from actions.messages import tell
from actions.questions import Question
from actions.runtime import in_crm

log = logging.getLogger(__name__)


class ValidateLinkAccountForm(FormValidationAction):
    """Where the customer is known there is nothing to ask (they get a code); elsewhere the code."""

    def name(self) -> str:
        return "validate_link_account_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """A code is taken only on a signed channel (an anonymous one hears how to sign in, from the action)."""
        if tracker.slots.get("link_code") in (LINKED, LOCKED) or not signed_channel(tracker):
            return []
        try:
            known = await in_crm(lambda s: signed_customer(s, tracker) is not None)
        except Exception:
            log.exception("identity lookup failed in conversation %s", tracker.sender_id)
            known = True  # the action then apologises instead of asking for a code it cannot check
        return [] if known else list(domain_slots)

    def extract_link_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "link_code":
            return {}
        return {"link_code": (tracker.latest_message.get("text") or "").strip() or None}

    async def validate_link_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not signed_channel(tracker):  # a code is never asked for here; one slipped in links nothing
            return {"link_code": None}
        code = find_link_code(str(value or ""))
        if code is None:
            tell(dispatcher, tracker, "invalid_link_code")
            return {"link_code": None}
        result = await in_crm(
            lambda s: redeem_link_code(s, code, channel=crm_channel(tracker), sender_id=tracker.sender_id)
        )
        if result.customer is not None:
            return {"link_code": LINKED}
        if result.attempts_left == 0:
            return {"link_code": LOCKED}
        tell(dispatcher, tracker, "wrong_link_code", attempts=result.attempts_left)
        return {"link_code": None}


class ActionAskLinkCode(Question):
    key = "ask_link_code"

    def name(self) -> str:
        return "action_ask_link_code"

"""The forms that need an order number (track_order_form, cancel_order_form, change_order_form,
payment_issue_form, invoice_form, refund_form, refund_status_form): their validation, and the questions
they ask — the order number, and from a visitor the proof that the order is theirs."""

from __future__ import annotations

import logging
import math
import re
from abc import abstractmethod
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from crm.repository import ProofResult, check_order_proof, refunds_of
from actions.base import Reply, human_button
from actions.forms.answers import proof_in
from actions.forms.confirmation import CONFIRMATION_SLOT, changed_mind
from actions.i18n import language_of
from actions.identity import VERIFIED_SLOT, crm_channel, identified_customer, sealed_proof
from actions.messages import tell
from actions.orders import recent_order_buttons
from actions.questions import Question, latest_intent, question_key
from actions.runtime import in_crm

log = logging.getLogger(__name__)
MAX_PROOF_ATTEMPTS = 3

ORDER_ID = re.compile(r"(?<![A-Za-z0-9])[Kk][Ll]\d{8}(?!\d)")
# Something the customer meant as an order number, well-formed or not: "KL123", "kl 2025", "20251107".
ORDER_ID_ATTEMPT = re.compile(r"(?<![A-Za-z])[Kk][Ll][\s-]?\d+|(?<!\d)\d{6,}(?!\d)")
# Requests that beat an answer at the proof step: "a person please, it's 1234" hands over.
_BEFORE_THE_PROOF = frozenset({"contact_human_agent", "complaint"})
# A bare "cancel" / "取消": ends any form but the cancellation's, where it is the request.
_BARE_CANCEL = re.compile(
    r"^\s*(cancel( (that|this|it))?( please)?|stop( (that|this|it))?|取消(吧|了|掉)?|不弄了)\s*[.!。!~]*\s*$",
    re.IGNORECASE,
)
# Requests that take the customer elsewhere: in the middle of a form they end it (rules in
# data/rasa/rules/interruptions.yml), even when they carry an order number the form could use.
OTHER_TASKS = frozenset(
    {
        "track_order",
        "cancel_order",
        "change_order",
        "payment_issue",
        "check_invoice",
        "get_invoice",
        "get_refund",
        "track_refund",
        "change_shipping_address",
        "set_up_shipping_address",
        "recover_password",
        "review",
        "link_account",
        "delete_account",
        "complaint",
        "contact_human_agent",
    }
)


def normalise_order_id(text: str) -> str | None:
    match = ORDER_ID.search(text)
    return match.group(0).upper() if match else None


class OrderNumberFormValidation(FormValidationAction):
    """A form that needs an order number. The regex extractor fills `order_id` when the number is
    well-formed; this class also catches a malformed attempt ("KL123"), so the customer hears what
    is wrong instead of the question again, while a message with no attempt at all (a question in
    the middle of the form) is left to the dialogue policies."""

    own_intents: frozenset[str] = frozenset()

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """A message that is no answer is given back to the dialogue rules (the form is rejected): a request
        (this form's or another's) without an order number, a request for another task even with one, and at
        the proof step anything without digits or an e-mail; so is a message not understood, so that `confirmation`
        is always set for the rules. A request taken back ("不查了", "cancel that")
        sets `confirmation` to "no", so the rules stop the form instead of starting that task."""
        if not self.is_no_answer(tracker):
            return await super().run(dispatcher, tracker, domain)
        stopped = self.is_taken_back(tracker)
        return [SlotSet(CONFIRMATION_SLOT, "no" if stopped else None), ActionExecutionRejected(self.form_name())]

    def is_no_answer(self, tracker: Tracker) -> bool:
        if active_loop_at_message(tracker) != self.form_name():
            return False  # activation (Rasa validates with the form already active): the request that started it
        intent = latest_intent(tracker)
        text = tracker.latest_message.get("text") or ""
        at_proof = tracker.get_slot("requested_slot") == "order_proof"
        if at_proof and intent not in _BEFORE_THE_PROOF and proof_in(text):
            return False  # "my email is …" reads like an account request to the NLU, but it is the answer
        if intent in OTHER_TASKS and intent not in self.own_intents:
            return True
        if at_proof:
            return not re.search(r"[0-9０-９@＠]", text)
        return (intent in self.own_intents or intent == "nlu_fallback") and not ORDER_ID_ATTEMPT.search(text)

    def is_taken_back(self, tracker: Tracker) -> bool:
        """A request in words that end it rather than ask for it: "不查了", "no, don't cancel", and a bare
        "cancel" / "取消" anywhere but in the cancellation form."""
        if latest_intent(tracker) not in OTHER_TASKS | {"nlu_fallback"}:
            return False
        text = tracker.latest_message.get("text") or ""
        if ORDER_ID_ATTEMPT.search(text):
            return False
        return changed_mind(text) or (self.form_name() != "cancel_order_form" and bool(_BARE_CANCEL.match(text)))

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        text = tracker.latest_message.get("text") or ""
        order_id = normalise_order_id(text)
        if order_id:
            return {"order_id": order_id}
        return {"order_id": text} if ORDER_ID_ATTEMPT.search(text) else {}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        order_id = normalise_order_id(str(value or ""))
        if order_id is None:
            tell(dispatcher, tracker, "invalid_order_id")
        return {"order_id": order_id}

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """An anonymous customer proves the order is theirs before they see it (`order_proof`)."""
        if tracker.slots.get("order_id") and await is_anonymous(tracker):
            return [*domain_slots, "order_proof"]
        return list(domain_slots)

    def extract_order_proof(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "order_proof":
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        return {"order_proof": proof_in(text) or text or None}

    async def validate_order_proof(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The CRM counts the attempts per order and per sender (`check_order_proof`), so starting the form
        again does not give a guesser three more tries; the slot's count only decides when to stop asking."""
        order_id = tracker.slots.get("order_id")
        try:
            result = await in_crm(
                lambda s: check_order_proof(
                    s, order_id, str(value or ""), channel=crm_channel(tracker), sender_id=tracker.sender_id
                )
            )
        except Exception:
            log.exception("order verification failed in conversation %s", tracker.sender_id)
            result = ProofResult(None)
        if result.locked_until is not None:
            minutes = max(1, math.ceil((result.locked_until - datetime.now(timezone.utc)).total_seconds() / 60))
            tell(
                dispatcher, tracker, "order_proof_locked", buttons=[human_button(language_of(tracker))], minutes=minutes
            )
            return {"order_proof": None, "order_id": None, "proof_attempts": 0.0}
        owner = result.customer_id
        if owner is not None:
            return {
                "order_proof": "verified",
                VERIFIED_SLOT: sealed_proof(owner, tracker.sender_id),
                "proof_attempts": 0.0,
            }
        attempts = int(tracker.get_slot("proof_attempts") or 0) + 1
        if attempts >= MAX_PROOF_ATTEMPTS:
            tell(dispatcher, tracker, "order_proof_failed", buttons=[human_button(language_of(tracker))])
            return {"order_proof": None, "order_id": None, "proof_attempts": 0.0}
        tell(dispatcher, tracker, "order_proof_wrong")
        return {"order_proof": None, "proof_attempts": float(attempts)}


def active_loop_at_message(tracker: Tracker) -> str | None:
    """The form that was active when the customer wrote the latest message."""
    active, at_message = None, None
    for event in tracker.events:
        if event.get("event") == "active_loop":
            active = event.get("name")
        elif event.get("event") == "user":
            at_message = active
    return at_message


async def is_anonymous(tracker: Tracker) -> bool:
    """No CRM customer behind the conversation. When the CRM cannot say, the order action that ends
    the form checks again and apologises, so the question is not asked in vain."""
    try:
        return await in_crm(lambda s: identified_customer(s, tracker) is None)
    except Exception:
        log.exception("identity lookup failed in conversation %s", tracker.sender_id)
        return False


class ValidateTrackOrderForm(OrderNumberFormValidation):
    own_intents = frozenset({"track_order"})

    def name(self) -> str:
        return "validate_track_order_form"


class ValidateCancelOrderForm(OrderNumberFormValidation):
    own_intents = frozenset({"cancel_order"})

    def name(self) -> str:
        return "validate_cancel_order_form"


class ValidateChangeOrderForm(OrderNumberFormValidation):
    own_intents = frozenset({"change_order"})

    def name(self) -> str:
        return "validate_change_order_form"


class ValidatePaymentIssueForm(OrderNumberFormValidation):
    own_intents = frozenset({"payment_issue"})

    def name(self) -> str:
        return "validate_payment_issue_form"


class ValidateInvoiceForm(OrderNumberFormValidation):
    own_intents = frozenset({"check_invoice", "get_invoice"})

    def name(self) -> str:
        return "validate_invoice_form"


class ValidateRefundForm(OrderNumberFormValidation):
    own_intents = frozenset({"get_refund"})

    def name(self) -> str:
        return "validate_refund_form"


class ValidateRefundStatusForm(OrderNumberFormValidation):
    """ "What about my refund?" without a number continues the customer's latest refund — also one they
    started on another channel, once the two are linked."""

    own_intents = frozenset({"track_refund"})

    def name(self) -> str:
        return "validate_refund_status_form"

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = await super().extract_order_id(dispatcher, tracker, domain)
        if found or tracker.get_slot("order_id") or ORDER_ID_ATTEMPT.search(tracker.latest_message.get("text") or ""):
            return found
        try:
            latest = await in_crm(lambda s: latest_refund_order(s, tracker))
        except Exception:
            log.exception("no latest refund for conversation %s", tracker.sender_id)
            return {}
        return {"order_id": latest} if latest else {}


def latest_refund_order(session: Session, tracker: Tracker) -> str | None:
    customer = identified_customer(session, tracker)
    if customer is None:
        return None
    refunds = refunds_of(session, customer.id)
    candidates = [r for r in refunds if r.status.value in ("requested", "approved")] or refunds
    return candidates[0].order_number if candidates else None


class ActionAskOrderId(Question):
    """A known customer also gets their latest orders as buttons."""

    key = "ask_order_id"

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        key = question_key(tracker, self.key)
        if key is None:
            return []
        try:
            buttons = await recent_order_buttons(tracker, Reply(dispatcher, tracker))
        except Exception:  # the question matters more than the shortcut
            log.exception("no recent orders for conversation %s", tracker.sender_id)
            buttons = []
        tell(dispatcher, tracker, key, buttons=buttons)
        return []


class ActionAskOrderProof(Question):
    key = "ask_order_proof"

    def name(self) -> str:
        return "action_ask_order_proof"

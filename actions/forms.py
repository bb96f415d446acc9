"""Slot extraction and validation: the customer's language on every turn, and the forms' slots."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from abc import abstractmethod
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction, ValidationAction
from sqlalchemy.orm import Session
from rasa_sdk.types import DomainDict

from crm.repository import ProofResult, check_order_proof, find_link_code, redeem_link_code, refunds_of
from actions.base import Reply, human_button
from actions.i18n import as_language, detect_language, language_of
from actions.identity import VERIFIED_SLOT, crm_channel, identified_customer, sealed_proof, signed_customer
from actions.linking import LINKED, LOCKED, NOTICE_SLOT, link_notices, signed_channel, tell_links
from actions.messages import tell
from actions.questions import CONFIRMATION_SLOT, changed_mind, latest_intent
from actions.runtime import in_crm
from kelian.opt_out import word_of

log = logging.getLogger(__name__)
MAX_PROOF_ATTEMPTS = 3

ORDER_ID = re.compile(r"(?<![A-Za-z0-9])[Kk][Ll]\d{8}(?!\d)")
# Something the customer meant as an order number, well-formed or not: "KL123", "kl 2025", "20251107".
ORDER_ID_ATTEMPT = re.compile(r"(?<![A-Za-z])[Kk][Ll][\s-]?\d+|(?<!\d)\d{6,}(?!\d)")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
# An answer inside a sentence ("its alice@example.com", "是 alice@…", "尾号 1234", "ends in 1234"):
# the e-mail address as the NLU's regex entity finds it (data/rasa/nlu/entities.yml), and four digits
# standing alone or closing a mainland mobile number. Both run in linear time: every repetition is
# bounded and the classes next to each other cannot match the same characters.
EMAIL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.){1,4}"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
PHONE_TAIL_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{5})?([0-9]{4})(?![0-9])")
# Requests that beat an answer at the proof step: "a person please, it's 1234" hands over.
_BEFORE_THE_PROOF = frozenset({"contact_human_agent", "complaint"})
_RATING_WORDS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# Requests that take the customer elsewhere: in the middle of a form they end it (rules in
# data/rasa/rules/interruptions.yml), even when they carry an order number the form could use.
_BARE_CANCEL = re.compile(
    r"^\s*(cancel( (that|this|it))?( please)?|stop( (that|this|it))?|取消(吧|了|掉)?|不弄了)\s*[.!。!~]*\s*$",
    re.IGNORECASE,
)
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


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message (Rasa's action_extract_slots calls it)."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The language of the message (an e-mail address says nothing of it: "是 li.wei@example.cn" is
        Chinese). A message that says nothing (a bare order number, a button) keeps the conversation's;
        the first such message of a signed-in customer is answered in the language of their profile."""
        # An opt-out word the channel recognised reaches Rasa as an intent's payload: the word tells the language.
        said = word_of(tracker.latest_message.get("metadata")) or tracker.latest_message.get("text") or ""
        language = detect_language(EMAIL_IN_TEXT.sub(" ", said))
        if language:
            return {"language": language}
        if tracker.get_slot("language") is not None or not signed_channel(tracker):
            return {}
        try:
            customer = await in_crm(lambda s: identified_customer(s, tracker))
        except Exception:
            log.exception("no profile language for conversation %s", tracker.sender_id)
            return {}
        preferred = as_language(customer.preferred_language) if customer is not None else None
        return {"language": preferred} if preferred else {}

    def extract_misunderstandings(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Any message the NLU understood ends a run of misunderstandings (actions.faq counts them)."""
        understood = tracker.get_intent_of_latest_message() not in (None, "nlu_fallback")
        return {"misunderstandings": 0.0} if understood and tracker.get_slot("misunderstandings") else {}

    async def extract_link_notice(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A link made to the customer's account (here or on another channel) is told on the next turn of
        each of their conversations, so an unwanted one is noticed (actions.linking)."""
        if not signed_channel(tracker):
            return {}
        try:
            links = await in_crm(lambda s: link_notices(s, tracker))
        except Exception:
            log.exception("link notices unavailable for conversation %s", tracker.sender_id)
            return {}
        if not links:
            return {}
        tell_links(Reply(dispatcher, tracker), links)
        return {NOTICE_SLOT: links[0].linked_at.isoformat()}


def proof_in(text: str) -> str | None:
    """The one e-mail address or phone tail a message gives at the proof step, without the words around
    it. None when it has none, or more than one (two tails in one message are two guesses: the whole
    message then goes to the check and fails as one attempt)."""
    text = unicodedata.normalize("NFKC", text)
    emails = {m.group(0).lower() for m in EMAIL_IN_TEXT.finditer(text)}
    tails = set(PHONE_TAIL_IN_TEXT.findall(EMAIL_IN_TEXT.sub(" ", text)))
    found = emails | tails
    return found.pop() if len(found) == 1 else None


def email_in(text: str) -> str | None:
    """The one e-mail address in "my email is alice@example.com"; None for none or several."""
    emails = {m.group(0) for m in EMAIL_IN_TEXT.finditer(unicodedata.normalize("NFKC", text))}
    return emails.pop() if len(emails) == 1 else None


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


def looks_like_address(text: str) -> bool:
    """A street address has a house number and enough words (or Chinese characters) to name a
    street and a city; anything shorter is asked again."""
    text = text.strip()
    if not re.search(r"\d", text):
        return False
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    words = len(re.findall(r"[A-Za-z]+", text))
    return cjk >= 6 or words >= 3


class ValidateAddressForm(FormValidationAction):
    def name(self) -> str:
        return "validate_address_form"

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        address = " ".join(str(value or "").split())
        if not looks_like_address(address):
            tell(dispatcher, tracker, "invalid_address")
            return {"new_address": None}
        return {"new_address": address}


class ValidateAccountEmailForm(FormValidationAction):
    def name(self) -> str:
        return "validate_account_email_form"

    def extract_email(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "email" or tracker.get_slot("email"):
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        return {"email": email_in(text) or text} if "@" in text or "＠" in text else {}

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = str(value or "").strip()
        if not EMAIL.match(email):
            tell(dispatcher, tracker, "invalid_email")
            return {"email": None}
        return {"email": email.lower()}


def parse_rating(text: str) -> int | None:
    """ "5", "4 stars", "给5分", "四星", "⭐⭐⭐" → the rating; None when there is none."""
    stars = text.count("⭐") or text.count("★")
    if 1 <= stars <= 5 and not re.search(r"\d", text):
        return stars
    digits = re.findall(r"(?<!\d)([1-5])(?:\.0)?(?!\d)", text)
    if digits:
        return int(digits[0])
    for word, value in _RATING_WORDS.items():
        if re.search(word + r"\s*[星分颗]", text):
            return value
    return None


class ValidateReviewForm(FormValidationAction):
    def name(self) -> str:
        return "validate_review_form"

    def validate_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        rating = parse_rating(str(value or ""))
        if rating is None:
            tell(dispatcher, tracker, "invalid_rating")
            return {"rating": None}
        return {"rating": float(rating)}

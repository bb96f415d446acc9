"""What Rasa's action_extract_slots asks after every user message, whatever form is active: the
customer's language, the end of a run of misunderstandings, and a new link to the customer's account."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.base import Reply
from actions.i18n import as_language, detect_language
from actions.identity import identified_customer
from actions.linking import NOTICE_SLOT, link_notices, signed_channel, tell_links
from actions.runtime import in_crm
from kelian.opt_out import word_of

log = logging.getLogger(__name__)


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message (Rasa's action_extract_slots calls it)."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The language of the message (kelian.language's rule: an e-mail address says nothing of it,
        "是 li.wei@example.cn" is Chinese). A message that says nothing (a bare order number, a button) keeps
        the conversation's; the first such message of a signed-in customer is answered in the language of
        their profile."""
        # An opt-out word the channel recognised reaches Rasa as an intent's payload: the word tells the language.
        said = word_of(tracker.latest_message.get("metadata")) or tracker.latest_message.get("text") or ""
        language = detect_language(said)
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

"""The form that asks for the e-mail address of the account (`account_email_form`, the password reset):
its validation and its question."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.forms.answers import email_in
from actions.messages import tell
from actions.questions import Question

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


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


class ActionAskEmail(Question):
    key = "ask_email"

    def name(self) -> str:
        return "action_ask_email"

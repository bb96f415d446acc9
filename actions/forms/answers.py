"""An answer inside a sentence: "its alice@example.com", "是 alice@…", "尾号 1234", "ends in 1234". Read by
the order-number forms (the proof) and the account e-mail form."""

from __future__ import annotations

import re
import unicodedata

from kelian.language import EMAIL_ADDRESS

# Four digits standing alone or closing a mainland mobile number (linear time: the repetition is bounded);
# e-mail addresses are kelian.language's EMAIL_ADDRESS, the NLU's regex entity (data/rasa/nlu/entities.yml).
PHONE_TAIL_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{5})?([0-9]{4})(?![0-9])")


def proof_in(text: str) -> str | None:
    """The one e-mail address or phone tail a message gives at the proof step, without the words around
    it. None when it has none, or more than one (two tails in one message are two guesses: the whole
    message then goes to the check and fails as one attempt)."""
    text = unicodedata.normalize("NFKC", text)
    emails = {m.group(0).lower() for m in EMAIL_ADDRESS.finditer(text)}
    tails = set(PHONE_TAIL_IN_TEXT.findall(EMAIL_ADDRESS.sub(" ", text)))
    found = emails | tails
    return found.pop() if len(found) == 1 else None


def email_in(text: str) -> str | None:
    """The one e-mail address in "my email is alice@example.com"; None for none or several."""
    emails = {m.group(0) for m in EMAIL_ADDRESS.finditer(unicodedata.normalize("NFKC", text))}
    return emails.pop() if len(emails) == 1 else None

"""The one-tap opt-out of marketing messages: the words that mean "stop sending me offers" when they are
the whole message.

A customer who got an outreach replies 退订 / STOP on WeChat, or presses the web page's button (whose
payload is the same word). The channels recognise it here, before any NLU, and hand Rasa the
newsletter intent with the opt-out flag in the message metadata, so "STOP" can never be read as
something else; the action server then withdraws the marketing consent. Three environments read
this (Rasa's channels, the action server, the CRM's docs and tests): standard library only.
"""

from __future__ import annotations

import unicodedata

# Whole messages only: "stop" inside a sentence ("stop my order") is for the NLU to read.
WORDS = frozenset({"退订", "取消订阅", "td", "stop", "unsubscribe", "opt out", "opt-out"})
MAX_CHARS = 16
INTENT_PAYLOAD = "/newsletter_subscription"  # the intent whose action withdraws the consent
METADATA_KEY = "marketing_opt_out"  # the word, as the channel that recognised it received it


def is_opt_out(text: object) -> bool:
    """Whether a whole message is the opt-out word (case, width and surrounding punctuation ignored)."""
    if not isinstance(text, str) or len(text) > MAX_CHARS * 2:
        return False
    folded = unicodedata.normalize("NFKC", text).strip().strip("。.!！~～ ").casefold()
    return len(folded) <= MAX_CHARS and folded in WORDS


def word_of(metadata: object) -> str | None:
    """The opt-out word a user message's channel recognised (its language is the reply's), or None."""
    word = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return word if is_opt_out(word) else None


def marked(metadata: object) -> bool:
    """Whether a user message's metadata says its channel recognised the opt-out word."""
    return word_of(metadata) is not None

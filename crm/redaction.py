"""Secrets that must not live on in transcripts: one-time codes the bot gives out ("Your linking code is
563102") or the customer types back. The feedback consumer masks them before it stores a message, so
every reader of a transcript (the console, exports, the NLU review) gets the masked text.

The patterns are linear: fixed-length digit runs with fixed look-arounds, no nested repetition.
"""

from __future__ import annotations

import re

MASK = "••••••"
# A 6-digit code, also as typed by people: "042 913", "042-913", full-width digits (\d is Unicode).
_CODE = re.compile(r"(?<!\d)\d(?:[ \t-]?\d){5}(?!\d)")
# Bot texts that say a code whatever action said them.
_CODE_WORDS = re.compile(r"code|验证码|校验码|动态码", re.IGNORECASE)
# The bot actions whose texts carry a one-time code.
SECRET_ACTIONS = frozenset({"action_link_account"})
# After these, the customer's next message is the code they were asked for.
SECRET_PROMPTS = frozenset({"action_ask_link_code", "link_account_form"})


def mask_codes(text: str) -> str:
    return _CODE.sub(MASK, text)


def mask_secrets(text: str, action: str | None) -> str:
    """A bot text as a transcript may keep it."""
    if action in SECRET_ACTIONS or _CODE_WORDS.search(text):
        return mask_codes(text)
    return text

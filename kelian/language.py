"""The two languages Kelian speaks, and how a message says which one it is in: one rule for the
whole project (the action server's replies, the feedback consumer's transcripts, the recommender's
query reading, the console's corrections, the WeChat channel's own words).

The rule is a majority: Chinese when Chinese characters are at least as many as English words, so
"帮我cancel订单" is Chinese and "do you sell 旗袍 dresses" is English. A button payload ("/deny"),
an order number ("KL20251107"), an e-mail address ("是 li.wei@example.cn" is Chinese), a number or an
emoji says nothing: None, and the caller keeps the language the conversation already has.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")

# CJK Unified Ideographs, Extension A and the compatibility block (traditional and simplified alike).
CHINESE_CHARACTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A word of two or more Latin letters standing alone: "KL20251107" and "x2" are not words.
_ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")
# An e-mail address inside a message, as the NLU's regex entity finds it (data/rasa/nlu/entities.yml). Linear
# time: every repetition is bounded and the classes next to each other cannot match the same characters.
EMAIL_ADDRESS = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.){1,4}"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


def has_chinese(text: str) -> bool:
    return CHINESE_CHARACTER.search(text) is not None


def detect_language(text: Optional[str]) -> Optional[Language]:
    """The language of one message by the majority rule, or None when the message says nothing."""
    if not text or text.lstrip().startswith("/"):
        return None
    text = EMAIL_ADDRESS.sub(" ", text)
    chinese = len(CHINESE_CHARACTER.findall(text))
    english = len(_ENGLISH_WORD.findall(text))
    if chinese == 0 and english == 0:
        return None
    return "zh" if chinese >= english else "en"


def text_language(text: Optional[str], default: Language = "en") -> Language:
    """The language to read a search or a question in: the one rule's answer, or `default` when the
    text says nothing (a number, a SKU), since it must be read in some language."""
    return detect_language(text) or default


def as_language(value: object) -> Optional[Language]:
    """A value read from elsewhere (a slot, a database column, a form) as a Language, or None."""
    text = getattr(value, "value", value)
    return text if text in LANGUAGES else None

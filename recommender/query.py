"""Reading a shopper's request: language, and a budget said in words.

"waterproof hiking jacket under 500" and "500元以下的防水冲锋衣" both mean price <= 500; the
budget becomes a filter and the rest of the words go to retrieval.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kelian.language import Language, detect_language as detect


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ZH_NUMBER = r"[零〇一二两三四五六七八九十百千万]+"
NUMBER = rf"(?:\d+(?:\.\d+)?k?|{ZH_NUMBER})"
CURRENCY_BEFORE = r"(?:[¥￥$]|rmb|cny)?\s*"
CURRENCY_AFTER = r"\s*(?:元|块钱|块|rmb|cny|yuan|kuai|bucks|dollars)?"


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    language: str
    min_price: float | None = None
    max_price: float | None = None


def detect_language(text: str) -> Language:
    """The language of a query by the project's one rule (kelian.language); English when the text
    says nothing (a number, a SKU)."""
    return detect(text) or "en"


def normalise(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation (common in Chinese input)."""
    return unicodedata.normalize("NFKC", text).strip()


def zh_number(text: str) -> float:
    """五百 -> 500, 三千五 -> 3500, 两百五十 -> 250, 一万 -> 10000."""
    total, section, digit = 0, 0, 0
    last_unit = 1
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            unit = _UNITS[char]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
            last_unit = unit
    if digit and last_unit >= 100:
        digit *= last_unit // 10
    return float(total + section + digit)


def _number(text: str) -> float:
    text = text.strip().lower()
    if re.fullmatch(ZH_NUMBER, text):
        return zh_number(text)
    if text.endswith("k"):
        return float(text[:-1]) * 1000
    return float(text)


_N = rf"{CURRENCY_BEFORE}(?P<n>{NUMBER}){CURRENCY_AFTER}"
_A = rf"{CURRENCY_BEFORE}(?P<a>{NUMBER}){CURRENCY_AFTER}"
_B = rf"{CURRENCY_BEFORE}(?P<b>{NUMBER}){CURRENCY_AFTER}"

# (pattern, which bound(s) it sets); tried in order, each match removed from the text.
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?:between|from)\s+{_A}\s*(?:and|to|-|~)\s*{_B}", re.I), "range"),
    (re.compile(rf"(?:价格|价位|预算)?(?:在)?{_A}\s*(?:到|至|-|~|—)\s*{_B}(?:之间|左右)?", re.I), "range"),
    (re.compile(rf"(?:under|below|less than|cheaper than|no more than|not more than|at most|max(?:imum)?|up to|within|budget(?: of| is)?|<=?)\s*{_N}", re.I), "max"),
    (re.compile(rf"(?:不超过|不高于|不到|低于|少于|小于|最多|预算|以内){_N}", re.I), "max"),
    (re.compile(rf"{_N}\s*(?:以下|以内|之内|内|之下|or less|or below|max)", re.I), "max"),
    (re.compile(rf"(?:over|above|more than|at least|min(?:imum)?|>=?)\s*{_N}", re.I), "min"),
    (re.compile(rf"(?:超过|高于|不低于|至少|大于){_N}", re.I), "min"),
    (re.compile(rf"{_N}\s*(?:以上|起|or more|plus|\+)", re.I), "min"),
]


def parse_query(text: str, language: str | None = None) -> ParsedQuery:
    cleaned = normalise(text)
    min_price: float | None = None
    max_price: float | None = None
    for pattern, bound in PATTERNS:
        match = pattern.search(cleaned)
        if not match:
            continue
        if bound == "range":
            low, high = sorted((_number(match["a"]), _number(match["b"])))
            min_price, max_price = low, high
        elif bound == "max" and max_price is None:
            max_price = _number(match["n"])
        elif bound == "min" and min_price is None:
            min_price = _number(match["n"])
        cleaned = (cleaned[: match.start()] + " " + cleaned[match.end() :]).strip()
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" ,，。.!！?？的")
    return ParsedQuery(cleaned or normalise(text), language or detect_language(text), min_price, max_price)

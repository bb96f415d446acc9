"""Personal data in free text, masked for display: email addresses, phone numbers, the customer's own names and
channel identifiers, names the customer gives ("my name is …", "我叫…"), and six-digit numbers (link codes a
customer types, postcodes).

Secrets are masked for everybody, even when personal data is revealed: the link code the bot gives a customer
("Your linking code is 563102", "您的绑定验证码是 563102", actions/linking.py) lets whoever reads it within its
ten minutes link their own chat to the customer's account, and no staff task needs it.

What it cannot know it does not catch (a stranger's name in passing, an address written out in words): the
console shows transcripts masked by default and says so; "show personal data" is audited either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crm.crypto import normalize_email, normalize_phone
from crm.errors import InvalidInput
from crm.privacy import mask_email, mask_name, mask_phone

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Mainland mobiles (with or without +86 and separators), international numbers written with "+", and
# landlines with an area code ("010-12345678"). Order and tracking numbers start with letters, so the
# look-behind on word characters leaves them alone.
PHONE = re.compile(
    r"(?<![A-Za-z0-9_+])(?:"
    r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}"
    r"|\+\d{1,3}[ -]?\d[\d -]{5,14}\d"
    r"|0\d{2,3}-\d{7,8}"
    r")(?![A-Za-z0-9_])"
)
# A code word ("code", or 码 as in 验证码, 绑定码, 密码), at most 20 other characters, then six digits (a space
# or dash may split them: "042 913"). Bounded repetitions only: linear time on any text.
SECRET_CODE = re.compile(r"(?i)(code|码)(\D{0,20}?)(\d{3}[ -]?\d{3})(?!\d)")
SIX_DIGITS = re.compile(r"(?<![A-Za-z0-9_])\d{3}[ -]?\d{3}(?![A-Za-z0-9_])")
CODE_MASK = "••••••"  # as the feedback consumer stores codes it masks
SELF_NAMED = (
    re.compile(r"(?i)\b(?:my name is|my name's|i am called|call me)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"),
    re.compile(r"(?:我叫|我的名字是|我的名字叫|本人|我姓)([\u4e00-\u9fff]{1,3})"),
)


def mask_secrets(text: str | None) -> str:
    """Link codes (and other codes the bot or the customer name as one) hidden; applied to revealed text too."""
    if not text:
        return text or ""
    return SECRET_CODE.sub(lambda m: m.group(1) + m.group(2) + CODE_MASK, text)


def _phone(match: re.Match[str]) -> str:
    try:
        return mask_phone(match.group(0))
    except InvalidInput:
        return "*" * len(match.group(0))


def _email(match: re.Match[str]) -> str:
    try:
        return mask_email(match.group(0))
    except InvalidInput:
        return "***"


def mask_identifier(value: str) -> str:
    """A channel identifier (openid, web user id) shown by its first characters only."""
    return value[:4] + "…" if len(value) > 6 else value[:1] + "…"


class Masker:
    """Masks one customer's personal data in text. `names` are the customer's names (profile, address
    recipients), `identifiers` their channel ids; both are matched literally wherever they appear."""

    def __init__(self, names: Iterable[str] = (), identifiers: Iterable[str] = ()) -> None:
        replacements: dict[str, str] = {}
        for name in names:
            name = (name or "").strip()
            if len(name) >= 2:
                replacements[name] = mask_name(name)
                for part in name.split():
                    if len(part) >= 3:
                        replacements.setdefault(part, mask_name(part))
        for identifier in identifiers:
            identifier = (identifier or "").strip()
            if len(identifier) >= 4 and identifier not in replacements:
                replacements[identifier] = self._identifier(identifier)
        self._literal = (
            re.compile("|".join(re.escape(k) for k in sorted(replacements, key=len, reverse=True)))
            if replacements
            else None
        )
        self._replacements = replacements

    @staticmethod
    def _identifier(value: str) -> str:
        try:
            return mask_email(normalize_email(value))
        except InvalidInput:
            pass
        try:
            normalize_phone(value)
            return mask_phone(value)
        except InvalidInput:
            return mask_identifier(value)

    def text(self, text: str | None) -> str:
        if not text:
            return text or ""
        text = mask_secrets(EMAIL.sub(_email, text))
        text = SIX_DIGITS.sub(CODE_MASK, PHONE.sub(_phone, text))
        if self._literal is not None:
            text = self._literal.sub(lambda m: self._replacements[m.group(0)], text)
        for pattern in SELF_NAMED:
            text = pattern.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + mask_name(m.group(1)), text)
        return text

    def value(self, value: object) -> str:
        return self.text(str(value))

"""One customer across channels: one-time codes that link an identity on one channel (a WeChat openid)
to the customer known on another (the signed-in web user).

The customer asks for a code where they are known; it is valid for `CODE_LIFETIME` and shown once.
They type it on the other channel, which then becomes one more identity of the same customer, so
orders, refunds and recommendations follow them. A sender may try `MAX_ATTEMPTS` codes per
`CODE_LIFETIME`; the code itself is stored only as a keyed hash.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.crypto import current_keyring
from crm.errors import DuplicateIdentity
from crm.models import Channel, LinkAttempt, LinkCode
from crm.privacy import audit, utcnow
from crm.repository.common import as_channel, live_customer
from crm.repository.conversations import sender_key
from crm.repository.customers import add_identity, find_customer, get_customer
from crm.repository.views import CustomerView

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass(frozen=True)
class LinkCodeIssued:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkResult:
    """`customer` when the code linked this sender; otherwise why not."""

    customer: CustomerView | None
    attempts_left: int
    already_linked: bool = False


def _code_hash(code: str) -> str:
    return current_keyring().lookup_hash("link-code", code)


def find_link_code(text: str) -> str | None:
    """The 6-digit code in what the customer typed ("my code is 042 913" counts; full-width digits too)."""
    digits = re.sub(r"(?<=\d)[\s-](?=\d)", "", text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    match = _CODE.search(digits)
    return match.group(1) if match else None


def issue_link_code(session: Session, customer_id: int, *, channel: Channel | str,
                    now: datetime | None = None) -> LinkCodeIssued:
    """A fresh code for the customer; codes issued before and not used stop working."""
    now = now or utcnow()
    channel = as_channel(channel)
    with session.begin_nested():
        live_customer(session, customer_id)
        session.execute(update(LinkCode).where(LinkCode.customer_id == customer_id, LinkCode.used_at.is_(None))
                        .values(expires_at=now))
        code = f"{secrets.randbelow(10**6):06d}"
        expires = now + CODE_LIFETIME
        session.add(LinkCode(customer_id=customer_id, code_hash=_code_hash(code), issued_on=channel, created_at=now,
                             expires_at=expires))
        session.flush()
    return LinkCodeIssued(code, expires)


def link_attempts_left(session: Session, channel: Channel | str, sender_id: str, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    failed = session.scalar(select(func.count()).where(
        LinkAttempt.sender_key == sender_key(channel, sender_id), LinkAttempt.succeeded.is_(False),
        LinkAttempt.attempted_at > now - CODE_LIFETIME)) or 0
    return max(0, MAX_ATTEMPTS - failed)


def redeem_link_code(session: Session, code: str, *, channel: Channel | str, sender_id: str,
                     now: datetime | None = None) -> LinkResult:
    """Link `sender_id` on `channel` to the customer whose unexpired code this is. Every attempt is
    recorded (also the failed ones: the caller commits them), so a sender cannot guess for long."""
    now = now or utcnow()
    channel = as_channel(channel)
    existing = find_customer(session, channel, sender_id)
    if existing is not None and not existing.erased:
        return LinkResult(existing, link_attempts_left(session, channel, sender_id, now=now), already_linked=True)
    left = link_attempts_left(session, channel, sender_id, now=now)
    if left == 0:
        return LinkResult(None, 0)
    found = session.scalar(select(LinkCode).where(LinkCode.code_hash == _code_hash(code), LinkCode.used_at.is_(None),
                                                  LinkCode.expires_at > now))
    session.add(LinkAttempt(sender_key=sender_key(channel, sender_id), succeeded=found is not None, attempted_at=now))
    if found is None:
        session.flush()
        return LinkResult(None, left - 1)
    try:
        add_identity(session, found.customer_id, channel, sender_id, verified=True, now=now)
    except DuplicateIdentity:
        session.flush()
        return LinkResult(None, left - 1)
    found.used_at = now
    audit(session, actor=f"{channel.value}-chat", action="link_identity", customer_id=found.customer_id,
          channel=channel.value, issued_on=found.issued_on.value)
    session.flush()
    return LinkResult(get_customer(session, found.customer_id), left)

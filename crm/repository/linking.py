"""One customer across channels: one-time codes that link an identity on one channel (a WeChat openid)
to the customer known on another (the signed-in web user).

The customer asks for a code where they are known; it is valid for `CODE_LIFETIME` and shown once.
They type it on the other channel, which then becomes one more identity of the same customer, so
orders, refunds and recommendations follow them. A sender may try `MAX_ATTEMPTS` codes per
`CODE_LIFETIME`; the code itself is stored only as a keyed hash.

Codes are only for chat identities (`LINKABLE_CHANNELS`) and, on both ends, only for ones the shop or
WeChat signed: the action server asks for the signed identity, never an order proof or a client-chosen id. A link is
audited (`link_identity`), shown
to the customer on their next turn in every conversation (`links_since`), listed for staff
(`list_links`) and can be undone (`remove_link`, audited). A linked identity is the one added by a
redeemed code: same customer, and created at the moment the code was used.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from crm.crypto import current_keyring
from crm.errors import DuplicateIdentity, NotAllowed, NotFound
from crm.models import Channel, Identity, LinkAttempt, LinkCode
from crm.privacy import audit, utcnow
from crm.repository.common import as_channel, live_customer
from crm.repository.conversations import sender_key
from crm.repository.customers import add_identity, find_customer, get_customer
from crm.repository.views import CustomerView

CODE_LIFETIME = timedelta(minutes=10)
# Chat channels, whose identities can be signed (the shop's token on the web page or the REST channel,
# WeChat's signed requests); the action server gives or takes a code only for a signed one.
LINKABLE_CHANNELS = frozenset({Channel.WEB, Channel.WECHAT, Channel.REST})
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


def issue_link_code(
    session: Session, customer_id: int, *, channel: Channel | str, now: datetime | None = None
) -> LinkCodeIssued:
    """A fresh code for the customer; codes issued before and not used stop working."""
    now = now or utcnow()
    channel = as_channel(channel)
    if channel not in LINKABLE_CHANNELS:
        raise NotAllowed(f"link codes are given on chat channels only (web, wechat, rest), not {channel.value}")
    with session.begin_nested():
        live_customer(session, customer_id)
        session.execute(
            update(LinkCode)
            .where(LinkCode.customer_id == customer_id, LinkCode.used_at.is_(None))
            .values(expires_at=now)
        )
        code = f"{secrets.randbelow(10**6):06d}"
        expires = now + CODE_LIFETIME
        session.add(
            LinkCode(
                customer_id=customer_id,
                code_hash=_code_hash(code),
                issued_on=channel,
                created_at=now,
                expires_at=expires,
            )
        )
        session.flush()
    return LinkCodeIssued(code, expires)


def link_attempts_left(session: Session, channel: Channel | str, sender_id: str, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    failed = (
        session.scalar(
            select(func.count()).where(
                LinkAttempt.sender_key == sender_key(channel, sender_id),
                LinkAttempt.succeeded.is_(False),
                LinkAttempt.attempted_at > now - CODE_LIFETIME,
            )
        )
        or 0
    )
    return max(0, MAX_ATTEMPTS - failed)


def redeem_link_code(
    session: Session, code: str, *, channel: Channel | str, sender_id: str, now: datetime | None = None
) -> LinkResult:
    """Link `sender_id` on `channel` to the customer whose unexpired code this is. Every attempt is
    recorded (also the failed ones: the caller commits them), so a sender cannot guess for long."""
    now = now or utcnow()
    channel = as_channel(channel)
    if channel not in LINKABLE_CHANNELS:
        raise NotAllowed(f"link codes are taken on chat channels only (web, wechat, rest), not {channel.value}")
    existing = find_customer(session, channel, sender_id)
    if existing is not None and not existing.erased:
        return LinkResult(existing, link_attempts_left(session, channel, sender_id, now=now), already_linked=True)
    left = link_attempts_left(session, channel, sender_id, now=now)
    if left == 0:
        return LinkResult(None, 0)
    found = session.scalar(
        select(LinkCode).where(
            LinkCode.code_hash == _code_hash(code), LinkCode.used_at.is_(None), LinkCode.expires_at > now
        )
    )
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
    audit(
        session,
        actor=f"{channel.value}-chat",
        action="link_identity",
        customer_id=found.customer_id,
        now=now,
        channel=channel.value,
        issued_on=found.issued_on.value,
    )
    session.flush()
    return LinkResult(get_customer(session, found.customer_id), left)


@dataclass(frozen=True)
class LinkView:
    """An identity a customer added with a link code: where, when, and from which channel's code."""

    identity_id: int
    channel: Channel
    masked_id: str
    linked_at: datetime
    issued_on: Channel


def _mask(value: str) -> str:
    return value[:4] + "…" if len(value) > 6 else value[:1] + "…"


def _links(session: Session, customer_id: int, since: datetime | None = None) -> list[LinkView]:
    query = (
        select(Identity, LinkCode.issued_on)
        .join(LinkCode, and_(LinkCode.customer_id == Identity.customer_id, LinkCode.used_at == Identity.created_at))
        .where(Identity.customer_id == customer_id, Identity.channel.in_(LINKABLE_CHANNELS))
        .order_by(Identity.created_at.desc(), Identity.id.desc())
    )
    if since is not None:
        query = query.where(Identity.created_at > since)
    return [
        LinkView(identity.id, identity.channel, _mask(identity.external_id), identity.created_at, issued_on)
        for identity, issued_on in session.execute(query)
    ]


def list_links(session: Session, customer_id: int) -> list[LinkView]:
    """The customer's linked identities, newest first, ids masked (for the console)."""
    return _links(session, customer_id)


def links_since(session: Session, customer_id: int, since: datetime | None) -> list[LinkView]:
    """Links made after `since` (all of them when None), newest first: what the bot tells the customer."""
    return _links(session, customer_id, since)


def remove_link(
    session: Session, customer_id: int, identity_id: int, *, actor: str, now: datetime | None = None
) -> None:
    """Undo a link: the identity is deleted (that channel's conversations are anonymous again) and the
    removal is audited. Only identities added by a link code can go this way: the customer's own sign-in
    identity cannot be removed by mistake."""
    if identity_id not in {link.identity_id for link in _links(session, customer_id)}:
        raise NotFound(f"customer {customer_id} has no linked identity {identity_id}")
    with session.begin_nested():
        identity = session.get_one(Identity, identity_id)
        channel = identity.channel.value
        session.delete(identity)
        audit(
            session,
            actor=actor,
            action="unlink_identity",
            customer_id=customer_id,
            now=now,
            channel=channel,
            identity=identity_id,
        )
        session.flush()

"""Customers, the identities they are recognised by on each channel, and proving an order is yours."""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from crm.crypto import normalize_email
from crm.errors import CustomerNotFound, DuplicateIdentity, InvalidInput
from crm.models import Address, Channel, Customer, Identity, Language, LifecycleStage, Order, Tier
from crm.privacy import set_consent, utcnow
from crm.repository.common import (
    as_channel,
    as_language,
    customer_view,
    identity_hash,
    live_customer,
    normalize_external_id,
)
from crm.repository.orders import parse_order_number
from crm.repository.views import CustomerView

# Built once and run on the session's connection: per call this skips statement construction and ORM
# loading, which is most of the cost of a millisecond query.

_CUSTOMER_BY_IDENTITY = (
    select(
        Customer.id,
        Customer.name,
        Customer.preferred_language,
        Customer.tier,
        Customer.created_at,
        Customer.last_seen_at,
        Customer.marketing_consent,
        Customer.personalization_consent,
        Customer.lifecycle_stage,
        Customer.segment,
        Customer.churn_risk,
        Customer.erased_at,
    )
    .join(Identity, Identity.customer_id == Customer.id)
    .where(Identity.channel == bindparam("channel"), Identity.lookup_hash == bindparam("digest"))
)
_ORDER_OWNER = (
    select(Order.customer_id)
    .join(Customer, Customer.id == Order.customer_id)
    .where(Order.number == bindparam("number"), Customer.erased_at.is_(None))
)
# "8000", "尾号8000", "手机尾号是 8000", "后四位：8000" (full-width digits and colons are folded first).
_LAST_FOUR = re.compile(r"(?:(?:手机|电话)?(?:号码?)?(?:尾号|后四位|后4位|末四位|末4位)(?:是|为)?:?\s*)?([0-9]{4})")
_NON_DIGITS = re.compile(r"[^0-9]")


def get_customer(session: Session, customer_id: int) -> CustomerView:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer_view(customer)


def find_customer(session: Session, channel: Channel | str, external_id: str) -> CustomerView | None:
    """The customer known on `channel` as `external_id` (web user id, WeChat openid, phone, email), or None."""
    row = (
        session.connection()
        .execute(_CUSTOMER_BY_IDENTITY, {"channel": as_channel(channel), "digest": identity_hash(channel, external_id)})
        .one_or_none()
    )
    if row is None:
        return None
    return CustomerView(
        id=row.id,
        name=row.name,
        preferred_language=row.preferred_language,
        tier=row.tier,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        marketing_consent=row.marketing_consent,
        personalization_consent=row.personalization_consent,
        lifecycle_stage=row.lifecycle_stage,
        segment=row.segment,
        churn_risk=row.churn_risk,
        erased=row.erased_at is not None,
    )


def verify_order_contact(session: Session, number: str, proof: str) -> int | None:
    """The id of the customer who placed order `number`, if `proof` is the last four digits of one of their
    phone numbers (phone identity or address phone) or one of their email identities; else None.

    An unidentified chat user proves they own an order this way. A wrong proof, an unknown order and an
    erased customer all give None, so the answer never tells whether the order exists; a malformed
    number raises `InvalidOrderNumber` (it says nothing about any order). Four digits are guessable:
    the caller limits the attempts of a conversation.
    """
    number = parse_order_number(number)
    proof = unicodedata.normalize("NFKC", proof).strip()
    by_phone = "@" not in proof
    if by_phone:
        found = _LAST_FOUR.fullmatch(proof)
        if found is None:
            return None
        expected = found.group(1)
    else:
        try:
            expected = normalize_email(proof)
        except InvalidInput:
            return None
    customer_id = session.connection().execute(_ORDER_OWNER, {"number": number}).scalar_one_or_none()
    if customer_id is None:
        return None
    channel = Channel.PHONE if by_phone else Channel.EMAIL
    known = list(
        session.scalars(
            select(Identity.external_id).where(Identity.customer_id == customer_id, Identity.channel == channel)
        )
    )
    if by_phone:
        known += session.scalars(select(Address.phone).where(Address.customer_id == customer_id))
        known = [_NON_DIGITS.sub("", phone)[-4:] for phone in known]
    matched = False
    for value in known:  # no early exit: every candidate is compared
        matched |= hmac.compare_digest(value.encode("utf-8"), expected.encode("utf-8"))
    return customer_id if matched else None


def find_customer_by_phone(session: Session, phone: str) -> CustomerView | None:
    return find_customer(session, Channel.PHONE, phone)


def find_customer_by_email(session: Session, email: str) -> CustomerView | None:
    return find_customer(session, Channel.EMAIL, email)


def create_customer(
    session: Session,
    *,
    name: str | None,
    language: Language | str = Language.ZH,
    identities: Sequence[tuple[Channel | str, str]] = (),
    marketing_consent: bool = False,
    personalization_consent: bool = False,
    source: str = "signup",
    now: datetime | None = None,
) -> CustomerView:
    now = now or utcnow()
    language = as_language(language)
    keys = [(as_channel(c), identity_hash(c, e), normalize_external_id(c, e)) for c, e in identities]
    if len({(c, h) for c, h, _ in keys}) != len(keys):
        raise InvalidInput("the same identity is listed twice")
    with session.begin_nested():
        for channel, digest, _ in keys:
            owner = session.scalar(
                select(Identity.customer_id).where(Identity.channel == channel, Identity.lookup_hash == digest)
            )
            if owner is not None:
                raise DuplicateIdentity(channel.value, owner)
        customer = Customer(
            name=name,
            preferred_language=language,
            tier=Tier.STANDARD,
            created_at=now,
            last_seen_at=now,
            marketing_consent=False,
            personalization_consent=False,
            lifecycle_stage=LifecycleStage.PROSPECT,
        )
        session.add(customer)
        session.flush()
        for channel, digest, normalized in keys:
            session.add(
                Identity(
                    customer_id=customer.id,
                    channel=channel,
                    lookup_hash=digest,
                    external_id=normalized,
                    verified=False,
                    created_at=now,
                )
            )
        session.flush()
    if marketing_consent:
        set_consent(session, customer.id, "marketing", True, source=source, now=now)
    if personalization_consent:
        set_consent(session, customer.id, "personalization", True, source=source, now=now)
    return customer_view(customer)


def add_identity(
    session: Session,
    customer_id: int,
    channel: Channel | str,
    external_id: str,
    *,
    verified: bool = False,
    now: datetime | None = None,
) -> None:
    """Link one more way of recognising the customer; linking the same identity again is a no-op."""
    channel = as_channel(channel)
    digest = identity_hash(channel, external_id)
    with session.begin_nested():
        live_customer(session, customer_id)
        owner = session.scalar(
            select(Identity.customer_id).where(Identity.channel == channel, Identity.lookup_hash == digest)
        )
        if owner == customer_id:
            return
        if owner is not None:
            raise DuplicateIdentity(channel.value, owner)
        session.add(
            Identity(
                customer_id=customer_id,
                channel=channel,
                lookup_hash=digest,
                external_id=normalize_external_id(channel, external_id),
                verified=verified,
                created_at=now or utcnow(),
            )
        )
        session.flush()


def customer_for_sender(
    session: Session,
    channel: Channel | str,
    sender_id: str,
    *,
    language: Language | str = Language.ZH,
    now: datetime | None = None,
) -> CustomerView:
    """The customer behind a chat sender id, created as a prospect on first contact."""
    found = find_customer(session, channel, sender_id)
    if found is not None:
        touch_customer(session, found.id, now=now)
        return found
    return create_customer(
        session,
        name=None,
        language=language,
        identities=[(channel, sender_id)],
        source=f"{as_channel(channel).value}-chat",
        now=now,
    )


def resolve_customer(session: Session, reference: str) -> CustomerView:
    """A customer from what staff type: an id (`42`), an identity (`web:demo-alice`, `phone:13800138000`)
    or an email address."""
    reference = reference.strip()
    if re.fullmatch(r"\d{1,9}", reference):
        return get_customer(session, int(reference))
    channel, separator, external_id = reference.partition(":")
    if separator and channel in {c.value for c in Channel}:
        found = find_customer(session, channel, external_id)
    elif "@" in reference:
        found = find_customer(session, Channel.EMAIL, reference)
    else:
        raise InvalidInput(f"{reference!r}: give a customer id, channel:id (e.g. web:demo-alice) or an email")
    if found is None:
        raise CustomerNotFound(reference)
    return found


def touch_customer(session: Session, customer_id: int, *, now: datetime | None = None) -> None:
    customer = live_customer(session, customer_id)
    customer.last_seen_at = now or utcnow()


def set_preferred_language(session: Session, customer_id: int, language: Language | str) -> None:
    live_customer(session, customer_id).preferred_language = as_language(language)


def default_address_region(session: Session, customer_id: int) -> str | None:
    return session.scalar(
        select(Address.region_code)
        .where(Address.customer_id == customer_id)
        .order_by(Address.is_default.desc(), Address.id)
        .limit(1)
    )

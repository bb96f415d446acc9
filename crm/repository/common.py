"""Validation and helpers shared by the repository modules."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.crypto import current_keyring, normalize_email, normalize_phone
from crm.errors import CustomerErased, CustomerNotFound, InvalidInput
from crm.models import Channel, Customer, Language
from crm.repository.views import CustomerView


def as_channel(value: Channel | str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        expected = ", ".join(c.value for c in Channel)
        raise InvalidInput(f"unknown channel {value!r}; expected one of {expected}") from None


def as_language(value: Language | str) -> Language:
    try:
        return Language(value)
    except ValueError:
        raise InvalidInput(f"unknown language {value!r}; expected en or zh") from None


def normalize_external_id(channel: Channel | str, external_id: str) -> str:
    """Phones and emails are normalised so `+86 138-0013-8000` and `13800138000` are one identity."""
    channel = as_channel(channel)
    if channel is Channel.PHONE:
        return normalize_phone(external_id)
    if channel is Channel.EMAIL:
        return normalize_email(external_id)
    value = external_id.strip()
    if not value or len(value) > 128:
        raise InvalidInput(f"a {channel.value} id must be 1 to 128 characters")
    return value


def identity_hash(channel: Channel | str, external_id: str) -> str:
    channel = as_channel(channel)
    return current_keyring().lookup_hash(channel.value, normalize_external_id(channel, external_id))


def customer_view(customer: Customer) -> CustomerView:
    return CustomerView(
        id=customer.id,
        name=customer.name,
        preferred_language=customer.preferred_language,
        tier=customer.tier,
        created_at=customer.created_at,
        last_seen_at=customer.last_seen_at,
        marketing_consent=customer.marketing_consent,
        personalization_consent=customer.personalization_consent,
        lifecycle_stage=customer.lifecycle_stage,
        segment=customer.segment,
        churn_risk=customer.churn_risk,
        erased=customer.erased_at is not None,
    )


def live_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    if customer.erased_at is not None:
        raise CustomerErased(customer_id)
    return customer


def new_number(session: Session, column: Any, prefix: str, now: datetime) -> str:
    while True:
        number = f"{prefix}{now:%y%m%d}{secrets.randbelow(10**6):06d}"
        if session.scalar(select(func.count()).where(column == number)) == 0:
            return number

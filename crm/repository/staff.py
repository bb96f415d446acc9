"""What the staff console reads about a customer; every read of personal data is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crm.errors import CustomerNotFound
from crm.models import Channel, ConsentEvent, Customer, Identity, Interaction, Segment
from crm.privacy import audit, mask_email, mask_name, mask_phone, utcnow
from crm.repository.common import customer_view
from crm.repository.orders import last_orders
from crm.repository.support import tickets_of
from crm.repository.views import AddressView, Customer360, CustomerView, IdentityView


def _masked_identity(identity: Identity) -> IdentityView:
    value = identity.external_id
    if identity.channel is Channel.PHONE:
        masked = mask_phone(value)
    elif identity.channel is Channel.EMAIL:
        masked = mask_email(value)
    else:
        masked = value[:4] + "…" if len(value) > 6 else value[:1] + "…"
    return IdentityView(identity.channel, masked, identity.verified)


def customer_360(
    session: Session, customer_id: int, *, actor: str, reveal: bool = False, now: datetime | None = None
) -> Customer360:
    """Everything the console shows about a customer. Contact data is masked unless `reveal`; either way
    the read of personal data is written to the audit log with the fields it exposed."""
    now = now or utcnow()
    customer = session.scalar(
        select(Customer)
        .where(Customer.id == customer_id)
        .options(selectinload(Customer.identities), selectinload(Customer.addresses))
    )
    if customer is None:
        raise CustomerNotFound(customer_id)
    view = customer_view(customer)
    if not reveal and view.name:
        view = CustomerView(**{**view.__dict__, "name": mask_name(view.name)})
    addresses = tuple(
        AddressView(
            a.recipient if reveal else mask_name(a.recipient),
            a.phone if reveal else mask_phone(a.phone),
            a.street if reveal else "…",
            a.city,
            a.region_code,
            a.postcode,
            a.is_default,
        )
        for a in sorted(customer.addresses, key=lambda a: (not a.is_default, a.id))
    )
    identities = tuple(
        IdentityView(i.channel, i.external_id, i.verified) if reveal else _masked_identity(i)
        for i in customer.identities
    )
    interactions = (
        session.scalar(
            select(func.count())
            .select_from(Interaction)
            .where(Interaction.customer_id == customer_id, Interaction.occurred_at >= now - timedelta(days=90))
        )
        or 0
    )
    consents = tuple(
        (e.purpose.value, e.granted, e.source, e.occurred_at)
        for e in session.scalars(
            select(ConsentEvent).where(ConsentEvent.customer_id == customer_id).order_by(ConsentEvent.occurred_at)
        )
    )
    audit(
        session,
        actor=actor,
        action="read_personal_data",
        customer_id=customer_id,
        now=now,
        fields=["name", "identities", "addresses"],
        revealed=reveal,
    )
    return Customer360(
        customer=view,
        rfm=customer.rfm,
        churn_probability=customer.churn_probability,
        clv=customer.clv,
        identities=identities,
        addresses=addresses,
        orders=tuple(last_orders(session, customer_id, limit=20)),
        tickets=tuple(tickets_of(session, customer_id)),
        interactions_90d=int(interactions),
        consent_history=consents,
    )


def customers_in_segment(session: Session, segment: Segment | str, *, limit: int = 100) -> list[int]:
    return list(
        session.scalars(
            select(Customer.id)
            .where(Customer.segment == Segment(segment))
            .order_by(Customer.clv.desc().nulls_last(), Customer.id)
            .limit(limit)
        )
    )

"""Privacy by design: masking for display, consent, the audit trail, and erasure.

What is personal here: names, phone numbers, emails, street addresses, invoice titles, channel
identifiers, ticket subjects and transcripts. All of them are stored encrypted (`crm.models.Encrypted`);
phone and email lookups go through keyed hashes (`crm.crypto`). This module decides who may use
them and leaves a trace when someone does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from crm.attachment_store import AttachmentStore
from crm.crypto import normalize_email, normalize_phone
from crm.db import changed_rows
from crm.errors import CustomerNotFound, InvalidInput
from crm.models import (
    Attachment,
    Address,
    Channel,
    DeadLetter,
    DeadLetterStatus,
    AuditEntry,
    ConsentEvent,
    ConsentPurpose,
    Conversation,
    CsatSurvey,
    Customer,
    ExperimentExposure,
    HandoffRequest,
    Identity,
    Interaction,
    Invoice,
    LifecycleStage,
    LinkCode,
    Message,
    NewsletterSubscription,
    Order,
    Review,
    CustomerTag,
    StaffNote,
    SubscriptionStatus,
    Ticket,
    TicketEvent,
    TicketEventKind,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- masking ---------------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """`13800138000` -> `138****8000`: enough for a customer to recognise their own number."""
    digits = normalize_phone(phone)
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_email(email: str) -> str:
    """`john.smith@example.com` -> `j***@example.com`."""
    local, domain = normalize_email(email).split("@", 1)
    return f"{local[0]}***@{domain}"


def mask_name(name: str) -> str:
    """`李伟` -> `李*`, `Alice Chen` -> `A*** C***`."""
    name = name.strip()
    if not name:
        return name
    if " " not in name and not name.isascii():
        return name[0] + "*" * (len(name) - 1)
    return " ".join(part[0] + "***" for part in name.split())


# --- audit -----------------------------------------------------------------------------------


def audit(
    session: Session, *, actor: str, action: str, customer_id: int | None, now: datetime | None = None, **detail: Any
) -> None:
    """Append to the audit log. `detail` must never hold personal data itself: field names, counts, ids."""
    if not actor.strip():
        raise InvalidInput("an audited action needs an actor")
    session.add(
        AuditEntry(occurred_at=now or utcnow(), actor=actor[:64], action=action, customer_id=customer_id, detail=detail)
    )


def audit_trail(session: Session, customer_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.customer_id == customer_id)
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
    )


# --- consent ---------------------------------------------------------------------------------


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


def set_consent(
    session: Session,
    customer_id: int,
    purpose: ConsentPurpose | str,
    granted: bool,
    *,
    source: str,
    now: datetime | None = None,
) -> bool:
    """Record a consent decision; returns whether it changed anything. Withdrawing marketing consent
    also ends every newsletter subscription."""
    try:
        purpose = ConsentPurpose(purpose)
    except ValueError:
        raise InvalidInput(f"unknown consent purpose {purpose!r}") from None
    now = now or utcnow()
    with session.begin_nested():
        customer = _customer(session, customer_id)
        if customer.erased_at is not None and granted:
            raise InvalidInput(f"customer {customer_id} has been erased")
        attribute = "marketing_consent" if purpose is ConsentPurpose.MARKETING else "personalization_consent"
        if getattr(customer, attribute) == granted:
            return False
        setattr(customer, attribute, granted)
        session.add(
            ConsentEvent(customer_id=customer_id, purpose=purpose, granted=granted, source=source[:32], occurred_at=now)
        )
        if purpose is ConsentPurpose.MARKETING and not granted:
            session.execute(
                update(NewsletterSubscription)
                .where(
                    NewsletterSubscription.customer_id == customer_id,
                    NewsletterSubscription.status == SubscriptionStatus.SUBSCRIBED,
                )
                .values(status=SubscriptionStatus.UNSUBSCRIBED, updated_at=now)
            )
        audit(
            session,
            actor=source,
            action="consent_change",
            customer_id=customer_id,
            now=now,
            purpose=purpose.value,
            granted=granted,
        )
        return True


def stop_personalization(
    session: Session, customer_id: int, *, source: str = "customer", now: datetime | None = None
) -> bool:
    """The customer's "stop personalising for me": recommendations fall back to non-personal ones."""
    return set_consent(session, customer_id, ConsentPurpose.PERSONALIZATION, False, source=source, now=now)


def may_personalize(session: Session, customer_id: int) -> bool:
    return bool(
        session.scalar(
            select(Customer.personalization_consent).where(Customer.id == customer_id, Customer.erased_at.is_(None))
        )
    )


def may_market(session: Session, customer_id: int) -> bool:
    return bool(
        session.scalar(
            select(Customer.marketing_consent).where(Customer.id == customer_id, Customer.erased_at.is_(None))
        )
    )


# --- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureReport:
    customer_id: int
    already_erased: bool
    identities_deleted: int = 0
    addresses_deleted: int = 0
    messages_deleted: int = 0
    interactions_deleted: int = 0
    subscriptions_deleted: int = 0
    conversations_anonymised: int = 0
    tickets_anonymised: int = 0
    reviews_anonymised: int = 0
    invoices_anonymised: int = 0
    orders_kept: int = 0
    dead_letters_blanked: int = 0
    attachments_deleted: int = 0


def _blank_dead_letters(session: Session, customer_id: int, now: datetime) -> int:
    """Events of the customer's chat identities that the feedback consumer set aside (`dead_letters`) hold
    their words: those payloads are deleted (the letter becomes dropped). Letters are few and are matched
    by the sender id inside them, which only decryption shows."""
    senders = {
        external_id
        for channel, external_id in session.execute(
            select(Identity.channel, Identity.external_id).where(Identity.customer_id == customer_id)
        )
        if channel not in (Channel.PHONE, Channel.EMAIL)
    }
    if not senders:
        return 0
    blanked = 0
    for letter in session.scalars(select(DeadLetter).where(DeadLetter.payload.is_not(None))):
        if letter.payload is None:
            continue
        try:
            sender = json.loads(letter.payload).get("sender_id")
        except (ValueError, AttributeError):
            continue
        if isinstance(sender, str) and sender.strip() in senders:
            letter.payload, letter.status, letter.updated_at = None, DeadLetterStatus.DROPPED, now
            blanked += 1
    return blanked


def erase_customer(session: Session, customer_id: int, *, actor: str, now: datetime | None = None) -> ErasureReport:
    """Right to erasure: delete or irreversibly blank every personal field of the customer.

    Orders stay (totals, items, region, dates) attached to the now-anonymous customer row so that
    sales figures do not change; nothing left can be tied back to a person. Repeating the erasure is a
    no-op that reports `already_erased`.
    """
    now = now or utcnow()
    with session.begin_nested():
        customer = _customer(session, customer_id)
        if customer.erased_at is not None:
            return ErasureReport(customer_id, already_erased=True)
        order_ids = select(Order.id).where(Order.customer_id == customer_id).scalar_subquery()
        conversation_ids = select(Conversation.id).where(Conversation.customer_id == customer_id).scalar_subquery()

        session.execute(update(Order).where(Order.customer_id == customer_id).values(shipping_address_id=None))
        dead_letters = _blank_dead_letters(session, customer_id, now)
        addresses = changed_rows(session, delete(Address).where(Address.customer_id == customer_id))
        identities = changed_rows(session, delete(Identity).where(Identity.customer_id == customer_id))
        session.execute(delete(LinkCode).where(LinkCode.customer_id == customer_id))
        messages = changed_rows(session, delete(Message).where(Message.conversation_id.in_(conversation_ids)))
        # a satisfaction survey's score stays in the figures; the reason is the customer's own words
        session.execute(update(CsatSurvey).where(CsatSurvey.conversation_id.in_(conversation_ids)).values(reason=None))
        interactions = changed_rows(session, delete(Interaction).where(Interaction.customer_id == customer_id))
        subscriptions = changed_rows(
            session, delete(NewsletterSubscription).where(NewsletterSubscription.customer_id == customer_id)
        )
        # Which variant the customer saw, and when, is behaviour like an interaction: it goes too (also when
        # it was recorded for one of their conversations before they were known).
        sender_keys = select(Conversation.sender_key).where(
            Conversation.customer_id == customer_id, Conversation.sender_key.is_not(None)
        )
        session.execute(
            delete(ExperimentExposure).where(
                or_(ExperimentExposure.customer_id == customer_id, ExperimentExposure.conversation_key.in_(sender_keys))
            )
        )
        # Images the customer sent or was sent (attachments): rows and files, also those sent before the CRM knew
        # the conversation was theirs.
        images = list(
            session.scalars(
                select(Attachment).where(
                    or_(
                        Attachment.customer_id == customer_id,
                        Attachment.conversation_id.in_(conversation_ids),
                        Attachment.sender_key.in_(sender_keys),
                    )
                )
            )
        )
        store = AttachmentStore()
        for image in images:
            store.delete(image.file_id, image.media_type)
            session.delete(image)
        # Staff notes on the customer and their conversations repeat what they said; the tags staff gave the
        # person are a profile of them.
        session.execute(
            delete(StaffNote).where(
                or_(StaffNote.customer_id == customer_id, StaffNote.conversation_id.in_(conversation_ids))
            )
        )
        session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer_id))
        session.execute(
            update(HandoffRequest)
            .where(HandoffRequest.customer_id == customer_id)
            .values(customer_id=None, summary=None, sender_id=None)
        )
        conversations = changed_rows(
            session,
            update(Conversation)
            .where(Conversation.customer_id == customer_id)
            .values(customer_id=None, sender_key=None),
        )
        # A ticket's comments and resolution note are staff words about the person, like notes; who changed
        # what and when stays.
        their_tickets = TicketEvent.ticket_id.in_(select(Ticket.id).where(Ticket.customer_id == customer_id))
        session.execute(delete(TicketEvent).where(their_tickets, TicketEvent.kind == TicketEventKind.COMMENT))
        session.execute(update(TicketEvent).where(their_tickets).values(text=None))
        tickets = changed_rows(
            session,
            update(Ticket)
            .where(Ticket.customer_id == customer_id)
            .values(subject=None, sender_id=None, resolution=None),
        )
        reviews = changed_rows(session, update(Review).where(Review.customer_id == customer_id).values(body=None))
        invoices = changed_rows(
            session, update(Invoice).where(Invoice.order_id.in_(order_ids)).values(title=None, tax_id=None)
        )
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.customer_id == customer_id)) or 0

        customer.name = None
        customer.marketing_consent = False
        customer.personalization_consent = False
        customer.last_seen_at = None
        customer.lifecycle_stage = LifecycleStage.CHURNED
        customer.segment = None
        customer.rfm = None
        customer.churn_probability = None
        customer.churn_risk = None
        customer.clv = None
        customer.scored_at = None
        customer.erased_at = now
        session.expire(customer, ["identities", "addresses"])

        report = ErasureReport(
            customer_id,
            already_erased=False,
            identities_deleted=identities,
            addresses_deleted=addresses,
            messages_deleted=messages,
            interactions_deleted=interactions,
            subscriptions_deleted=subscriptions,
            conversations_anonymised=conversations,
            tickets_anonymised=tickets,
            reviews_anonymised=reviews,
            invoices_anonymised=invoices,
            orders_kept=orders,
            dead_letters_blanked=dead_letters,
            attachments_deleted=len(images),
        )
        audit(
            session,
            actor=actor,
            action="erase",
            customer_id=customer_id,
            now=now,
            **{k: v for k, v in report.__dict__.items() if k not in ("customer_id", "already_erased")},
        )
        return report

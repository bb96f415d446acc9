"""The one-tap opt-out: withdrawing marketing consent (a ConsentEvent, the flag cleared, newsletters
ended, an audit entry: `crm.privacy.set_consent`) and cancelling what still waits to be shown on the
web. Every later selection reads the flag, so the opt-out holds on every channel at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from crm.models import ConsentPurpose, OutreachMessage, OutreachStatus
from crm.privacy import set_consent, utcnow


def opt_out(session: Session, customer_id: int, *, source: str, now: datetime | None = None) -> bool:
    """Returns whether consent was still given (False: they had opted out already)."""
    now = now or utcnow()
    changed = set_consent(session, customer_id, ConsentPurpose.MARKETING, False, source=source, now=now)
    session.execute(
        update(OutreachMessage)
        .where(OutreachMessage.customer_id == customer_id, OutreachMessage.status == OutreachStatus.PENDING)
        .values(status=OutreachStatus.CANCELLED)
    )
    return changed

"""The web page's side: what waits for a customer's next conversation, taken once.

The action server calls `take_pending` when a conversation session starts on the web page; the
messages it returns are marked shown (the web's "opened": the page drew them), so the next
conversation does not repeat them. Nothing is shown to anyone who withdrew consent since the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Channel, Customer, OutreachCampaign, OutreachMessage, OutreachStatus
from crm.outreach.wording import campaign_text, compose, opt_out_button


@dataclass(frozen=True)
class WebOutreach:
    text: str
    button: dict[str, str]


def take_pending(session: Session, customer_id: int, now: datetime | None = None) -> list[WebOutreach]:
    now = now or datetime.now(timezone.utc)
    consenting = session.scalar(
        select(Customer.marketing_consent).where(Customer.id == customer_id, Customer.erased_at.is_(None))
    )
    rows = session.execute(
        select(OutreachMessage, OutreachCampaign)
        .join(OutreachCampaign, OutreachCampaign.id == OutreachMessage.campaign_id)
        .where(
            OutreachMessage.customer_id == customer_id,
            OutreachMessage.channel == Channel.WEB,
            OutreachMessage.status == OutreachStatus.PENDING,
        )
        .order_by(OutreachMessage.selected_at, OutreachMessage.id)
        .with_for_update()
    ).all()
    shown: list[WebOutreach] = []
    for message, campaign in rows:
        if not consenting:
            message.status = OutreachStatus.CANCELLED
            continue
        message.status, message.shown_at = OutreachStatus.SHOWN, now
        text = campaign_text(campaign, message.arm, message.language)
        shown.append(WebOutreach(compose(text, Channel.WEB, message.language), opt_out_button(message.language)))
    return shown

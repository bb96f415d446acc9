"""What a campaign did, per arm: selected, contacted, opened, replied, opted out, bought.

- contacted: WeChat accepted the message (`sent`) or the web page showed it (`shown`);
- opened: on the web, shown is opened (the page drew it in an open conversation); WeChat's
  customer-service API reports no reads, so on WeChat only replies tell that it was read;
- replied: the customer wrote in one of their conversations within the window after the contact;
- opted out: marketing consent withdrawn within the window after the selection (any channel);
- purchased: a paid order within the window after the selection — counted for the hold-out too, from
  the same moment, so the two arms compare like with like (the experiment's report does exactly that,
  with intervals and a p-value: crm/experiments).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import (
    PURCHASE_STATUSES,
    ConsentEvent,
    ConsentPurpose,
    Conversation,
    Message,
    MessageSender,
    Order,
    OutreachCampaign,
    OutreachMessage,
    OutreachStatus,
)


@dataclass
class ArmFigures:
    arm: str
    selected: int = 0
    held_out: int = 0
    contacted: int = 0
    pending: int = 0
    failed: int = 0
    cancelled: int = 0
    opened: int = 0
    replied: int = 0
    opted_out: int = 0
    analysed: int = 0  # selected whose purchase window has ended
    purchased: int = 0  # of those analysed
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def purchase_rate(self) -> float | None:
        return self.purchased / self.analysed if self.analysed else None


def _first_after(times: list[datetime], start: datetime, end: datetime) -> bool:
    return any(start < t <= end for t in times)


def campaign_figures(session: Session, campaign: OutreachCampaign, as_of: datetime) -> list[ArmFigures]:
    window = timedelta(days=campaign.window_days)
    messages = list(
        session.scalars(
            select(OutreachMessage).where(OutreachMessage.campaign_id == campaign.id).order_by(OutreachMessage.id)
        )
    )
    ids = sorted({m.customer_id for m in messages})
    orders: dict[int, list[datetime]] = defaultdict(list)
    replies: dict[int, list[datetime]] = defaultdict(list)
    opt_outs: dict[int, list[datetime]] = defaultdict(list)
    if ids:
        for cid, at in session.execute(
            select(Order.customer_id, Order.placed_at).where(
                Order.customer_id.in_(ids), Order.status.in_(PURCHASE_STATUSES)
            )
        ):
            orders[cid].append(at)
        for replier, at in session.execute(
            select(Conversation.customer_id, Message.created_at)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.customer_id.in_(ids), Message.sender == MessageSender.CUSTOMER)
        ):
            if replier is not None:  # the query keeps the campaign's customers only
                replies[replier].append(at)
        for cid, at in session.execute(
            select(ConsentEvent.customer_id, ConsentEvent.occurred_at).where(
                ConsentEvent.customer_id.in_(ids),
                ConsentEvent.purpose == ConsentPurpose.MARKETING,
                ConsentEvent.granted.is_(False),
            )
        ):
            opt_outs[cid].append(at)
    arms: dict[str, ArmFigures] = {}
    order = [a.name for a in campaign.experiment.arms] if campaign.experiment is not None else []
    for name in order:
        arms[name] = ArmFigures(name)
    for m in messages:
        figures = arms.setdefault(m.arm or "all", ArmFigures(m.arm or "all"))
        figures.selected += 1
        figures.by_channel[m.channel.value] = figures.by_channel.get(m.channel.value, 0) + 1
        contact = m.sent_at or m.shown_at
        if m.status == OutreachStatus.HELD_OUT:
            figures.held_out += 1
        elif m.status in (OutreachStatus.SENT, OutreachStatus.SHOWN):
            figures.contacted += 1
            figures.opened += m.status == OutreachStatus.SHOWN
            if contact is not None and _first_after(replies[m.customer_id], contact, contact + window):
                figures.replied += 1
        elif m.status == OutreachStatus.PENDING:
            figures.pending += 1
        elif m.status == OutreachStatus.FAILED:
            figures.failed += 1
        else:
            figures.cancelled += 1
        if _first_after(opt_outs[m.customer_id], m.selected_at, m.selected_at + window):
            figures.opted_out += 1
        if m.selected_at + window <= as_of:
            figures.analysed += 1
            figures.purchased += any(m.selected_at <= t <= m.selected_at + window for t in orders[m.customer_id])
    return list(arms.values())

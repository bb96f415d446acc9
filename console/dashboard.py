"""The figures of the metrics dashboard, over a trailing window of days, each with its definition (shown on
hover in the console). Days are calendar days in the console's time zone.

The shop-level figures are `crm.metrics.compute` over the same window; the rest is about the assistant:
how many conversations it had where, how many it settled alone, how often it failed, how long customers waited
for a person, how satisfied they were, and what its recommendations led to. Containment, the fallback rate and
the waits have one definition, crm.service_metrics' (the figures that do not flatter, #16 item 5), for the
cards, the rates over time and the CSV alike.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.metrics import ShopMetrics, compute
from crm.service_metrics import ServiceFigures, compute_service
from crm.models import (
    Conversation,
    Customer,
    HandoffRequest,
    Interaction,
    InteractionKind,
    Message,
    MessageSender,
    Review,
)
from crm.privacy import utcnow

from console.i18n import MESSAGES

LOW_CONFIDENCE = 0.5
ATTRIBUTION = timedelta(days=7)
SATISFIED = 4.0

# Each figure's definition (the console's message catalogue holds it in both languages): English here, for
# whoever reads the figures outside the console.
DEFINITIONS = {
    key.removeprefix("definition."): english for key, (english, _) in MESSAGES.items() if key.startswith("definition.")
}


@dataclass(frozen=True)
class Dashboard:
    days: int
    start: datetime
    end: datetime
    day_list: list[date]
    per_day_channel: dict[date, Counter[str]]
    conversations: int
    with_handoff: int
    predicted_messages: int
    low_confidence_messages: int
    satisfied: int
    with_satisfaction: int
    average_satisfaction: float | None
    reviews: int
    average_rating: float | None
    impressions: int
    clicks: int
    purchases_after_click: int
    top_intents: list[tuple[str, int]]
    rates_by_bucket: list[tuple[date, float | None, float | None, float | None]]  # containment, fallback, handoff
    shop: ShopMetrics
    service: ServiceFigures  # the figures that do not flatter (crm.service_metrics), with CSAT from the surveys

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return None if b == 0 else a / b

    @property
    def low_confidence_rate(self) -> float | None:
        return self._ratio(self.low_confidence_messages, self.predicted_messages)

    @property
    def handoff_rate(self) -> float | None:
        return self._ratio(self.with_handoff, self.conversations)

    @property
    def csat(self) -> float | None:
        return self._ratio(self.satisfied, self.with_satisfaction)

    @property
    def ctr(self) -> float | None:
        return self._ratio(self.clicks, self.impressions)

    @property
    def rec_conversion(self) -> float | None:
        return self._ratio(self.purchases_after_click, self.clicks)


def compute_dashboard(session: Session, days: int, tz: ZoneInfo, *, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    local_today = now.astimezone(tz).date()
    first_day = local_today - timedelta(days=days - 1)
    start = datetime.combine(first_day, datetime.min.time(), tz)
    end = now
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    bucket_days = 1 if days <= 31 else 7

    def bucket(moment: datetime) -> date:
        offset = (moment.astimezone(tz).date() - first_day).days
        return first_day + timedelta(days=offset - offset % bucket_days)

    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])  # conversations, with a hand-off
    conversations = handed = 0
    handed_ids = set(
        session.scalars(
            select(HandoffRequest.conversation_id)
            .join(Conversation, Conversation.id == HandoffRequest.conversation_id)
            .where(Conversation.started_at >= start, Conversation.started_at < end)
        )
    )
    for cid, started, channel in session.execute(
        select(Conversation.id, Conversation.started_at, Conversation.channel).where(
            Conversation.started_at >= start, Conversation.started_at < end
        )
    ):
        per_day[started.astimezone(tz).date()][channel.value] += 1
        row = totals[bucket(started)]
        conversations += 1
        row[0] += 1
        if cid in handed_ids:
            handed += 1
            row[1] += 1

    predicted = low = 0
    intents: Counter[str] = Counter()
    for created, intent, confidence in session.execute(
        select(Message.created_at, Message.intent, Message.confidence).where(
            Message.sender == MessageSender.CUSTOMER, Message.created_at >= start, Message.created_at < end
        )
    ):
        if intent:
            intents[intent] += 1
        if confidence is not None:
            predicted += 1
            low += confidence < LOW_CONFIDENCE

    scores = [
        score
        for score in session.scalars(
            select(Customer.satisfaction).where(
                Customer.satisfaction.is_not(None), Customer.last_contact_at >= start, Customer.last_contact_at < end
            )
        )
        if score is not None
    ]
    reviews, rating = session.execute(
        select(func.count(), func.avg(Review.rating)).where(Review.created_at >= start, Review.created_at < end)
    ).one()

    def count(kind: InteractionKind) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Interaction)
                .where(Interaction.kind == kind, Interaction.occurred_at >= start, Interaction.occurred_at < end)
            )
            or 0
        )

    click = Interaction.__table__.alias("click")
    buy = Interaction.__table__.alias("buy")
    first_purchase = (
        select(click.c.id, click.c.occurred_at, func.min(buy.c.occurred_at))
        .join(
            buy,
            (buy.c.customer_id == click.c.customer_id)
            & (buy.c.product_id == click.c.product_id)
            & (buy.c.kind == InteractionKind.PURCHASE.value)
            & (buy.c.occurred_at >= click.c.occurred_at),
        )
        .where(click.c.kind == InteractionKind.REC_CLICK.value, click.c.occurred_at >= start, click.c.occurred_at < end)
        .group_by(click.c.id, click.c.occurred_at)
    )
    converted = 0
    for _, clicked, bought in session.execute(first_purchase):
        clicked, bought = _aware(clicked), _aware(bought)
        converted += bought - clicked <= ATTRIBUTION

    # The cards' figures and each bucket's containment and fallback in one pass of crm.service_metrics over the
    # window (its one definition): each conversation is read once, and counted in the bucket it started in.
    service = compute_service(session, start, end, tz, bucket=bucket)
    buckets = sorted({first_day + timedelta(days=i) for i in range(0, days, bucket_days)})
    rates = []
    for b in buckets:
        conv, hand = totals.get(b, [0, 0])
        honest = service.by_bucket.get(b) if conv else None
        rates.append(
            (
                b,
                honest.containment if honest else None,
                honest.fallback_rate if honest else None,
                Dashboard._ratio(hand, conv),
            )
        )

    return Dashboard(
        days=days,
        start=start,
        end=end,
        day_list=day_list,
        per_day_channel=dict(per_day),
        conversations=conversations,
        with_handoff=handed,
        predicted_messages=predicted,
        low_confidence_messages=low,
        satisfied=sum(s >= SATISFIED for s in scores),
        with_satisfaction=len(scores),
        average_satisfaction=statistics.fmean(scores) if scores else None,
        reviews=int(reviews or 0),
        average_rating=None if rating is None else float(rating),
        impressions=count(InteractionKind.REC_IMPRESSION),
        clicks=count(InteractionKind.REC_CLICK),
        purchases_after_click=converted,
        top_intents=intents.most_common(10),
        rates_by_bucket=rates,
        shop=compute(session, window_days=days, as_of=now),
        service=service,
    )


def _aware(moment: datetime | str) -> datetime:
    """Timestamps read through a table alias may come back as the database stores them (naive UTC)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

"""RFM scores, named segments and lifecycle stages, recomputed together with churn and CLV.

RFM: among customers who bought, recency, frequency and monetary value are each scored 1-5 by
quintile of rank (ties share a score; 5 is best: most recent, most frequent, highest spend).

Named segments, first matching rule wins:
  new         never bought and signed up in the last 30 days, or first purchase in the last 30 days
  silent      never bought, signed up more than 30 days ago
  lost        last purchase more than 180 days ago
  at_risk     last purchase 91-180 days ago, or churn risk high with R <= 3
  high_value  R >= 3, F >= 4 and M >= 4
  potential   every other buyer (recent, not yet high value)

Lifecycle stage: prospect (never bought) -> new (first purchase in the last 30 days) -> active
(bought in the last 90 days) -> at_risk (last purchase 91-180 days ago) -> churned (over 180 days).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import SupportsInt

import numpy as np
from scipy.stats import rankdata
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm import churn, clv
from crm.history import PAID_STATUSES, facts_at, load_history
from crm.models import ChurnRisk, Customer, LifecycleStage, Order, Segment

NEW_DAYS = 30
ACTIVE_DAYS = 90
LOST_DAYS = 180


def quintile_scores(values: np.ndarray) -> np.ndarray:
    """1-5 by quintile of (average) rank; higher values score higher."""
    if len(values) == 0:
        return np.zeros(0, dtype=int)
    percentile = rankdata(values, method="average") / len(values)
    return np.clip(np.ceil(percentile * 5), 1, 5).astype(int)


def rfm_scores(days_since_last: np.ndarray, purchases: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    """Rows of (R, F, M) for buyers, in the order given."""
    return np.column_stack([quintile_scores(-days_since_last), quintile_scores(purchases), quintile_scores(monetary)])


def _rfm(scores: Iterable[str | SupportsInt]) -> tuple[int, int, int]:
    """(R, F, M) from a row of `rfm_scores` or the digits stored on the customer ("354")."""
    recency, frequency, monetary = (int(s) for s in scores)
    return recency, frequency, monetary


def segment_for(
    *,
    bought: bool,
    signup_days: float,
    first_purchase_days: float | None,
    last_purchase_days: float | None,
    rfm: tuple[int, int, int] | None,
    churn_risk: ChurnRisk | None,
) -> Segment:
    if not bought:
        return Segment.NEW if signup_days <= NEW_DAYS else Segment.SILENT
    assert first_purchase_days is not None and last_purchase_days is not None and rfm is not None
    r, f, m = rfm
    if first_purchase_days <= NEW_DAYS:
        return Segment.NEW
    if last_purchase_days > LOST_DAYS:
        return Segment.LOST
    if last_purchase_days > ACTIVE_DAYS or (churn_risk is ChurnRisk.HIGH and r <= 3):
        return Segment.AT_RISK
    if r >= 3 and f >= 4 and m >= 4:
        return Segment.HIGH_VALUE
    return Segment.POTENTIAL


def lifecycle_for(
    *, bought: bool, first_purchase_days: float | None, last_purchase_days: float | None
) -> LifecycleStage:
    if not bought:
        return LifecycleStage.PROSPECT
    assert first_purchase_days is not None and last_purchase_days is not None
    if first_purchase_days <= NEW_DAYS:
        return LifecycleStage.NEW
    if last_purchase_days <= ACTIVE_DAYS:
        return LifecycleStage.ACTIVE
    if last_purchase_days <= LOST_DAYS:
        return LifecycleStage.AT_RISK
    return LifecycleStage.CHURNED


@dataclass(frozen=True)
class SegmentationReport:
    as_of: datetime
    customers: int
    segments: dict[str, int]
    lifecycle: dict[str, int]
    churn_risk: dict[str, int]
    average_clv: dict[str, float]
    churn: churn.ChurnReport
    clv: clv.ClvReport
    seconds: float


def recompute(session: Session, as_of: datetime | None = None) -> SegmentationReport:
    """Score every customer who has not been erased and store the results on the customer rows."""
    started = time.perf_counter()
    as_of = as_of or datetime.now(timezone.utc)
    history = load_history(session, as_of)
    facts = facts_at(history, history.as_of)
    churn_scores = churn.train_and_score(history)
    clv_scores = clv.score(history)
    buyers = np.flatnonzero(facts.purchases > 0)
    rfm = np.zeros((history.size, 3), dtype=int)
    if len(buyers):
        rfm[buyers] = rfm_scores(
            facts.days_since_last_purchase[buyers], facts.purchases[buyers], facts.monetary[buyers]
        )
    updates = []
    segments: Counter[str] = Counter()
    lifecycle: Counter[str] = Counter()
    risks: Counter[str] = Counter()
    clv_by_segment: dict[str, list[float]] = {}
    for i, customer_id in enumerate(history.customer_ids.tolist()):
        bought = bool(facts.purchases[i] > 0)
        probability = float(churn_scores.probability[i])
        risk = None if math.isnan(probability) else churn.risk_grade(probability)
        first = float(facts.days_since_first_purchase[i]) if bought else None
        last = float(facts.days_since_last_purchase[i]) if bought else None
        scores = _rfm(rfm[i]) if bought else None
        segment = segment_for(
            bought=bought,
            signup_days=float(facts.tenure_days[i]),
            first_purchase_days=first,
            last_purchase_days=last,
            rfm=scores,
            churn_risk=risk,
        )
        stage = lifecycle_for(bought=bought, first_purchase_days=first, last_purchase_days=last)
        value = round(float(clv_scores.clv[i]), 2)
        updates.append(
            {
                "id": customer_id,
                "segment": segment,
                "lifecycle_stage": stage,
                "rfm": "".join(map(str, scores)) if scores else None,
                "churn_probability": None if risk is None else round(probability, 4),
                "churn_risk": risk,
                "clv": Decimal(f"{value:.2f}"),
                "scored_at": as_of,
            }
        )
        segments[segment.value] += 1
        lifecycle[stage.value] += 1
        risks["unscored" if risk is None else risk.value] += 1
        clv_by_segment.setdefault(segment.value, []).append(value)
    if updates:
        session.execute(update(Customer), updates)
    return SegmentationReport(
        as_of=as_of,
        customers=history.size,
        segments=dict(segments),
        lifecycle=dict(lifecycle),
        churn_risk=dict(risks),
        average_clv={k: round(sum(v) / len(v), 2) for k, v in clv_by_segment.items()},
        churn=churn_scores.report,
        clv=clv_scores.report,
        seconds=time.perf_counter() - started,
    )


def rescore(session: Session, customer_ids: list[int], as_of: datetime | None = None) -> int:
    """Segment and lifecycle stage of these customers from their orders as of now, keeping the scores
    that only make sense against the whole population (RFM quintiles, churn risk, CLV) from the last
    full `recompute`. The feedback consumer calls it for the customers each batch touched; a customer
    who bought but was never fully scored keeps their segment until the next full run."""
    if not customer_ids:
        return 0
    as_of = as_of or datetime.now(timezone.utc)
    day = 86400.0
    customers = session.execute(
        select(Customer.id, Customer.created_at, Customer.rfm, Customer.churn_risk, Customer.segment).where(
            Customer.id.in_(customer_ids), Customer.erased_at.is_(None)
        )
    ).all()
    purchases = {
        row.customer_id: (row.first, row.last)
        for row in session.execute(
            select(Order.customer_id, func.min(Order.placed_at).label("first"), func.max(Order.placed_at).label("last"))
            .where(Order.customer_id.in_(customer_ids), Order.status.in_(PAID_STATUSES))
            .group_by(Order.customer_id)
        )
    }
    updates = []
    for customer in customers:
        first, last = purchases.get(customer.id, (None, None))
        bought = first is not None

        def days(moment: datetime | None) -> float | None:
            if moment is None:
                return None
            aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
            return (as_of - aware).total_seconds() / day

        stage = lifecycle_for(bought=bought, first_purchase_days=days(first), last_purchase_days=days(last))
        segment = customer.segment
        if not bought or customer.rfm:
            scores = _rfm(customer.rfm) if customer.rfm else None
            segment = segment_for(
                bought=bought,
                signup_days=days(customer.created_at) or 0.0,
                first_purchase_days=days(first),
                last_purchase_days=days(last),
                rfm=scores,
                churn_risk=customer.churn_risk,
            )
        updates.append({"id": customer.id, "segment": segment, "lifecycle_stage": stage})
    if updates:
        session.execute(update(Customer), updates)
    return len(updates)

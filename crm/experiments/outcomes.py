"""Counting, per arm, who was exposed and who converted within the experiment's window.

A unit converts when its first qualifying event after the exposure falls within `window_days` of it;
only units whose window has ended by `as_of` are analysed, so a unit exposed an hour ago does not
count as a non-converter. Each metric is one grouped query (the earliest event per exposure): no
date arithmetic in SQL, the same on SQLite and PostgreSQL. For `csat` the event is a satisfaction survey
answered 4 or 5 in one of the unit's conversations (a unit never surveyed, or rating lower, does not convert).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from crm.experiments.analysis import ArmCounts
from crm.models import (
    PURCHASE_STATUSES,
    Conversation,
    ConversationStatus,
    CsatSurvey,
    Experiment,
    ExperimentExposure,
    ExperimentMetric,
    Interaction,
    InteractionKind,
    Order,
)

E = ExperimentExposure
SATISFIED_SCORE = 4  # csat: a unit converts with a rating of 4 or 5 (of 1-5) given after its exposure


def _first_events(metric: ExperimentMetric) -> Select[int, datetime | None]:
    """(exposure id, time of its first qualifying event after the exposure)."""
    if metric in (ExperimentMetric.REC_CLICK, ExperimentMetric.ADD_TO_CART):
        kind = InteractionKind.REC_CLICK if metric == ExperimentMetric.REC_CLICK else InteractionKind.ADD_TO_CART
        return select(E.id, func.min(Interaction.occurred_at)).join(
            Interaction,
            and_(
                Interaction.customer_id == E.customer_id,
                Interaction.kind == kind,
                Interaction.occurred_at >= E.exposed_at,
            ),
        )
    if metric == ExperimentMetric.PURCHASE:
        return select(E.id, func.min(Order.placed_at)).join(
            Order,
            and_(
                Order.customer_id == E.customer_id, Order.status.in_(PURCHASE_STATUSES), Order.placed_at >= E.exposed_at
            ),
        )
    if metric == ExperimentMetric.CSAT:  # a satisfaction survey answered 4 or 5 after the exposure
        return (
            select(E.id, func.min(CsatSurvey.answered_at))
            .join(
                Conversation,
                or_(Conversation.customer_id == E.customer_id, Conversation.sender_key == E.conversation_key),
            )
            .join(
                CsatSurvey,
                and_(
                    CsatSurvey.conversation_id == Conversation.id,
                    CsatSurvey.score >= SATISFIED_SCORE,
                    CsatSurvey.answered_at >= E.exposed_at,
                ),
            )
        )
    return select(E.id, func.min(Conversation.ended_at)).join(
        Conversation,
        and_(
            or_(Conversation.customer_id == E.customer_id, Conversation.sender_key == E.conversation_key),
            Conversation.status == ConversationStatus.RESOLVED_BY_BOT,
            Conversation.ended_at >= E.exposed_at,
        ),
    )


def arm_counts(session: Session, experiment: Experiment, as_of: datetime) -> list[ArmCounts]:
    """Exposed, analysed (window ended by `as_of`) and converted units of every arm, control first."""
    window = timedelta(days=experiment.window_days)
    first: dict[int, datetime] = {
        exposure_id: at
        for exposure_id, at in session.execute(
            _first_events(experiment.metric).where(E.experiment_id == experiment.id).group_by(E.id)
        )
        if at is not None
    }
    exposed: Counter[int] = Counter()
    analysed: Counter[int] = Counter()
    converted: Counter[int] = Counter()
    rows = session.execute(select(E.id, E.arm_id, E.exposed_at).where(E.experiment_id == experiment.id))
    for exposure_id, arm_id, exposed_at in rows:
        exposed[arm_id] += 1
        if exposed_at + window > as_of:
            continue
        analysed[arm_id] += 1
        event = first.get(exposure_id)
        if event is not None and event - exposed_at <= window:
            converted[arm_id] += 1
    return [
        ArmCounts(arm.name, arm.weight, exposed[arm.id], analysed[arm.id], converted[arm.id]) for arm in experiment.arms
    ]

"""The one place the assistant asks "which variant does this customer get?", and where it says
"they saw it".

`arm_for` only reads: asking is not seeing (the list may come back empty, the action may fail), so
the exposure is written by `record_exposure` when the variant was actually shown, once per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from crm.experiments.assignment import choose, conversation_unit, customer_unit
from crm.experiments.definitions import CUSTOMER_METRICS
from crm.experiments.variants import explanation_style, recommend_options
from crm.models import (
    Channel,
    Customer,
    Experiment,
    ExperimentExposure,
    ExperimentStatus,
    ExperimentSurface,
    ExperimentTarget,
)
from crm.repository.conversations import sender_key


@dataclass(frozen=True)
class Assignment:
    experiment_id: int
    experiment_key: str
    arm_id: int
    arm: str
    parameters: dict[str, Any]
    unit: str
    customer_id: int | None
    conversation_key: str | None
    varied: frozenset[str] = field(default_factory=frozenset)  # replies: the messages any arm rewords

    @property
    def recommend_options(self) -> dict[str, Any]:
        """Keyword arguments for `Recommender.recommend` (empty for a control that keeps the default)."""
        return recommend_options(self.parameters)

    @property
    def explanation(self) -> str:
        """How the list is shown: `reasons` (each product's reason, the default) or `none`."""
        return explanation_style(self.parameters)

    def wording(self, key: str) -> dict[str, str] | None:
        """A replies arm's {"en": ..., "zh": ...} for message `key`; None: the default words."""
        return (self.parameters.get("wording") or {}).get(key)


# How long an action server may believe "no experiment runs on this surface" before asking the CRM again
# (actions/experiments.py): a message said on every turn costs no query while nothing is tested.
QUIET_SECONDS = 10.0


def running_experiment(session: Session, surface: ExperimentSurface | str, now: datetime) -> Experiment | None:
    return session.scalar(
        select(Experiment)
        .options(selectinload(Experiment.arms))
        .where(
            Experiment.surface == ExperimentSurface(surface),
            Experiment.status == ExperimentStatus.RUNNING,
            Experiment.starts_at <= now,
            or_(Experiment.stops_at.is_(None), Experiment.stops_at > now),
        )
        .limit(1)
    )


def _targeted(session: Session, experiment: Experiment, customer_id: int | None, channel: Channel) -> bool:
    if experiment.target_kind == ExperimentTarget.CHANNEL:
        return channel.value == experiment.target_value
    if experiment.target_kind == ExperimentTarget.SEGMENT:
        if customer_id is None:
            return False
        segment = session.scalar(select(Customer.segment).where(Customer.id == customer_id))
        return segment is not None and segment.value == experiment.target_value
    return True


def arm_for(
    session: Session,
    surface: ExperimentSurface | str,
    *,
    customer_id: int | None = None,
    conversation_id: str | None = None,
    channel: Channel | str = Channel.REST,
    now: datetime | None = None,
) -> Assignment | None:
    """The arm of the experiment running on `surface` for this customer (by CRM id when known, so linked
    channels agree) or this guest conversation (`conversation_id` is the Rasa sender id); None when no
    experiment runs, the unit is outside its target, or a guest cannot be measured by its metric."""
    now = now or datetime.now(timezone.utc)
    channel = Channel(channel)
    experiment = running_experiment(session, surface, now)
    if experiment is None:
        return None
    if customer_id is not None:
        unit, key = customer_unit(customer_id), None
    elif conversation_id and experiment.metric not in CUSTOMER_METRICS:
        key = sender_key(channel, conversation_id)
        unit = conversation_unit(key)
    else:
        return None
    if not _targeted(session, experiment, customer_id, channel):
        return None
    arm = experiment.arms[choose(experiment.salt, unit, [a.weight for a in experiment.arms])]
    varied = frozenset(k for a in experiment.arms for k in (a.parameters or {}).get("wording") or {})
    return Assignment(
        experiment.id, experiment.key, arm.id, arm.name, dict(arm.parameters), unit, customer_id, key, varied
    )


def record_exposure(
    session: Session, assignment: Assignment, channel: Channel | str, now: datetime | None = None
) -> bool:
    """Notes that the unit saw its arm; only the first time counts (True when this was it)."""
    exists = select(ExperimentExposure.id).where(
        ExperimentExposure.experiment_id == assignment.experiment_id, ExperimentExposure.unit == assignment.unit
    )
    if session.scalar(exists) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                ExperimentExposure(
                    experiment_id=assignment.experiment_id,
                    arm_id=assignment.arm_id,
                    unit=assignment.unit,
                    customer_id=assignment.customer_id,
                    conversation_key=assignment.conversation_key,
                    channel=Channel(channel),
                    exposed_at=now or datetime.now(timezone.utc),
                )
            )
    except IntegrityError:  # another action server recorded the same unit a moment ago
        return False
    return True

"""Creating and running experiments: what a marketer decides before the first customer is exposed.

The planned sample per arm is fixed at creation (from a baseline rate and the smallest lift worth
detecting, or given outright) and cannot change afterwards: that is what makes the report's
fixed-horizon verdict honest. Only one experiment runs per surface at a time, so a customer is never
in two experiments that change the same list.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crm.errors import InvalidInput, NotFound
from crm.experiments.variants import (
    LANGUAGES,
    OUTREACH_KEYS,
    REPLY_KEYS,
    outreach_parameters,
    recommendation_parameters,
    reply_parameters,
)
from crm.models import (
    Channel,
    Experiment,
    ExperimentArm,
    ExperimentMetric,
    ExperimentStatus,
    ExperimentSurface,
    ExperimentTarget,
    Segment,
)

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
ARM_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
MAX_ARMS = 5
DEFAULT_POWER = 0.8
# Metrics only a known customer's records can show (a guest's clicks and orders are not in the CRM).
CUSTOMER_METRICS = (ExperimentMetric.REC_CLICK, ExperimentMetric.ADD_TO_CART, ExperimentMetric.PURCHASE)


class ExperimentNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no experiment {key!r} (python -m crm experiments list)")


@dataclass(frozen=True)
class ArmSpec:
    name: str
    weight: int
    parameters: dict[str, Any] = field(default_factory=dict)


def parse_arm(text: str) -> ArmSpec:
    """`NAME:WEIGHT[:key=value,key=value]`, e.g. `control:50` or `als:50:strategy=als,diversity=off`."""
    name, _, rest = text.partition(":")
    weight_text, _, settings_text = rest.partition(":")
    if not ARM_PATTERN.fullmatch(name):
        raise InvalidInput(f"arm name {name!r}: lower-case letters, digits, - and _ (at most 32)")
    if not weight_text.isdigit() or not 0 < int(weight_text) <= 10_000:
        raise InvalidInput(f"arm {name!r}: the weight must be a whole number from 1 to 10000 (NAME:WEIGHT)")
    settings: dict[str, str] = {}
    for item in filter(None, settings_text.split(",")):
        key, equals, value = item.partition("=")
        if not equals or not key or not value:
            raise InvalidInput(f"arm {name!r}: settings are key=value, separated by commas, not {item!r}")
        settings[key.strip()] = value.strip()
    return ArmSpec(name, int(weight_text), recommendation_parameters(settings))


def parse_wording(text: str) -> tuple[str, str, str, str]:
    """`ARM:MESSAGE_KEY:LANGUAGE=TEXT` (the text may hold colons and commas), e.g.
    `warm:rec_intro_personal:en=Handpicked for you:` -> (arm, key, language, text)."""
    arm, _, rest = text.partition(":")
    key, _, rest = rest.partition(":")
    language, equals, wording = rest.partition("=")
    if not arm or not key or not equals or language not in LANGUAGES:
        raise InvalidInput(f"a wording is ARM:MESSAGE_KEY:en=TEXT or ARM:MESSAGE_KEY:zh=TEXT, not {text[:80]!r}")
    return arm, key, language, wording


def with_wordings(arms: Sequence[ArmSpec], wordings: Sequence[str]) -> list[ArmSpec]:
    """The arms of a replies (or outreach) experiment with their wordings (`parse_wording` texts); an unknown
    arm, an unknown message key or a message worded in one language only is refused. Which keys fit which
    surface is checked when the experiment is created (`_check_arms`)."""
    by_arm: dict[str, dict[str, dict[str, str]]] = {arm.name: {} for arm in arms}
    for text in wordings:
        arm, key, language, wording = parse_wording(text)
        if arm not in by_arm:
            raise InvalidInput(f"wording for arm {arm!r}, which is not one of {', '.join(by_arm)}")
        by_arm[arm].setdefault(key, {})[language] = wording
    keys = {**REPLY_KEYS, **OUTREACH_KEYS}
    return [replace(a, parameters={**a.parameters, **reply_parameters(by_arm[a.name], keys)}) for a in arms]


def _check_arms(surface: ExperimentSurface, arms: Sequence[ArmSpec]) -> None:
    """An arm changes only what its surface can change: wordings on replies, ranking on recommendations, the
    message on outreach (a treatment arm's own offer; the hold-out, never contacted, has none)."""
    if surface == ExperimentSurface.REPLIES:
        for arm in arms:
            if set(arm.parameters) - {"wording"}:
                raise InvalidInput(f"arm {arm.name!r}: a replies experiment changes wordings only, not the ranking")
            reply_parameters(arm.parameters.get("wording") or {})
        if not any(arm.parameters.get("wording") for arm in arms):
            raise InvalidInput("a replies experiment needs a wording in at least one arm (ARM:MESSAGE_KEY:en=TEXT)")
    elif surface == ExperimentSurface.OUTREACH:
        for arm in arms:
            if set(arm.parameters) - {"wording"}:
                raise InvalidInput(
                    f"arm {arm.name!r}: an outreach experiment changes the message only, not the ranking"
                )
            outreach_parameters(arm.parameters.get("wording") or {})
        if arms and arms[0].parameters.get("wording"):
            raise InvalidInput(f"arm {arms[0].name!r} is the hold-out (never contacted); it has no message")
    elif any("wording" in arm.parameters for arm in arms):
        raise InvalidInput(f"wordings are for replies experiments, not {surface.value}")


def parse_target(text: str) -> tuple[ExperimentTarget, str | None]:
    """`all`, `segment:at_risk` or `channel:wechat`."""
    kind, _, value = text.partition(":")
    if kind == ExperimentTarget.ALL and not value:
        return ExperimentTarget.ALL, None
    if kind == ExperimentTarget.SEGMENT and value in {s.value for s in Segment}:
        return ExperimentTarget.SEGMENT, value
    if kind == ExperimentTarget.CHANNEL and value in {c.value for c in Channel}:
        return ExperimentTarget.CHANNEL, value
    raise InvalidInput(
        f"target {text!r}: all, segment:<{'|'.join(s.value for s in Segment)}> or "
        f"channel:<{'|'.join(c.value for c in Channel)}>"
    )


def planned_sample_size(
    baseline: float, relative_lift: float, *, alpha: float = 0.05, power: float = DEFAULT_POWER
) -> int:
    """Units per arm a two-sided two-proportion z-test needs to detect `baseline` -> `baseline x (1 + lift)`
    with `power` (statsmodels NormalIndPower on Cohen's h, equal arms)."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if not 0 < baseline < 1:
        raise InvalidInput("the baseline rate must be between 0 and 1 (e.g. 0.05 for 5 %)")
    target = baseline * (1 + relative_lift)
    if relative_lift == 0 or not 0 < target < 1:
        raise InvalidInput("the lift must be non-zero and keep the rate between 0 and 1 (e.g. 0.1 for +10 %)")
    effect = abs(float(proportion_effectsize(target, baseline)))
    return math.ceil(NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0))


def create_experiment(
    session: Session,
    key: str,
    arms: Sequence[ArmSpec],
    *,
    metric: ExperimentMetric | str,
    planned_per_arm: int,
    target: str = "all",
    window_days: int = 7,
    alpha: float = 0.05,
    surface: ExperimentSurface | str = ExperimentSurface.RECOMMENDATIONS,
    description: str = "",
    now: datetime | None = None,
) -> Experiment:
    """A draft experiment; nobody is assigned until it is started."""
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidInput(f"experiment key {key!r}: lower-case letters, digits, - and _ (at most 64)")
    if session.scalar(select(Experiment.id).where(Experiment.key == key)) is not None:
        raise InvalidInput(f"an experiment {key!r} exists already")
    if not 2 <= len(arms) <= MAX_ARMS:
        raise InvalidInput(f"an experiment needs 2 to {MAX_ARMS} arms (the first is the control)")
    if len({arm.name for arm in arms}) != len(arms):
        raise InvalidInput("arm names must differ")
    if not 0 < alpha < 0.5:
        raise InvalidInput("alpha must be between 0 and 0.5")
    if not 0 < window_days <= 90 or not 0 < planned_per_arm <= 10_000_000:
        raise InvalidInput("window_days must be 1-90 and the planned sample per arm positive")
    try:
        metric = ExperimentMetric(metric)
        surface = ExperimentSurface(surface)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    _check_arms(surface, arms)
    target_kind, target_value = parse_target(target)
    experiment = Experiment(
        key=key,
        description=description[:500],
        surface=surface,
        salt=secrets.token_hex(16),
        target_kind=target_kind,
        target_value=target_value,
        metric=metric,
        window_days=window_days,
        planned_per_arm=planned_per_arm,
        alpha=alpha,
        status=ExperimentStatus.DRAFT,
        created_at=now or datetime.now(timezone.utc),
        arms=[
            ExperimentArm(name=a.name, position=i, weight=a.weight, parameters=a.parameters) for i, a in enumerate(arms)
        ],
    )
    session.add(experiment)
    session.flush()
    return experiment


def get_experiment(session: Session, key: str) -> Experiment:
    found = session.scalar(select(Experiment).where(Experiment.key == key).options(selectinload(Experiment.arms)))
    if found is None:
        raise ExperimentNotFound(key)
    return found


def list_experiments(session: Session) -> list[Experiment]:
    return list(
        session.scalars(
            select(Experiment)
            .options(selectinload(Experiment.arms))
            .order_by(Experiment.created_at.desc(), Experiment.id.desc())
        )
    )


def settle(session: Session, now: datetime | None = None) -> None:
    """Marks stopped the running experiments whose scheduled stop time has passed (assignment already
    ended then: `arm_for` reads the stop time itself)."""
    now = now or datetime.now(timezone.utc)
    for experiment in session.scalars(
        select(Experiment).where(
            Experiment.status == ExperimentStatus.RUNNING, Experiment.stops_at.is_not(None), Experiment.stops_at <= now
        )
    ):
        experiment.status = ExperimentStatus.STOPPED


def start_experiment(
    session: Session, key: str, *, at: datetime | None = None, now: datetime | None = None
) -> Experiment:
    """From draft to running; assignment starts at `at` (default now; a later time schedules the start)."""
    now = now or datetime.now(timezone.utc)
    settle(session, now)
    experiment = get_experiment(session, key)
    if experiment.status != ExperimentStatus.DRAFT:
        raise InvalidInput(
            f"experiment {key!r} is {experiment.status.value}; only a draft can start "
            "(a stopped experiment is not restarted: create a new one)"
        )
    running = session.scalar(
        select(Experiment.key).where(
            Experiment.surface == experiment.surface, Experiment.status == ExperimentStatus.RUNNING
        )
    )
    if running is not None:
        raise InvalidInput(f"experiment {running!r} already runs on {experiment.surface.value}; stop it first")
    experiment.status = ExperimentStatus.RUNNING
    experiment.starts_at = at or now
    return experiment


def stop_experiment(
    session: Session, key: str, *, at: datetime | None = None, now: datetime | None = None
) -> Experiment:
    """Ends assignment at `at` (default now; a later time schedules the stop and the experiment runs until
    then). The report goes on counting the conversions of those already exposed."""
    now = now or datetime.now(timezone.utc)
    settle(session, now)
    experiment = get_experiment(session, key)
    if experiment.status != ExperimentStatus.RUNNING:
        raise InvalidInput(f"experiment {key!r} is {experiment.status.value}, not running")
    at = at or now
    if experiment.starts_at is not None and at <= experiment.starts_at:
        raise InvalidInput(
            f"experiment {key!r} starts at {experiment.starts_at:%Y-%m-%d %H:%M} UTC; it cannot stop before that"
        )
    experiment.stops_at = at
    if at <= now:
        experiment.status = ExperimentStatus.STOPPED
    return experiment

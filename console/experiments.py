"""The experiments page's work on the CRM: the list, a create form read the way `python -m crm experiments
create` reads its arguments, start and stop times, and the report — the very figures of `python -m crm
experiments report KEY --json` (same functions, same document), plus each arm's cumulative rate per day.

Nothing here judges an experiment itself: the rules (keys, arms, weights, settings, targets, one running
experiment per surface, the planned sample) are `crm.experiments.definitions`' and its refusals reach the
page as the CRM words them. The console only checks what a form adds: field lengths, numbers, times, and the
wording fields (each arm's words for the chosen message on replies, its own offer on outreach), so that what a
marketer got wrong there reads in the page's language; the CRM checks the wordings again when it creates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput
from crm.experiments import definitions as ex
from crm.experiments.analysis import Analysis, analyse, wilson
from crm.experiments.outcomes import arm_counts
from crm.experiments.variants import (
    BLEND_KEYS,
    EXPLANATIONS,
    MAX_OUTREACH_CHARS,
    MAX_WORDING_CHARS,
    OUTREACH_KEYS,
    REPLY_KEYS,
    STRATEGIES,
    describe,
)
from crm.models import (
    Channel,
    Experiment,
    ExperimentExposure,
    ExperimentMetric,
    ExperimentStatus,
    ExperimentSurface,
    Segment,
)

from console.i18n import refusal

ARM_ROWS = ex.MAX_ARMS
FIELD_MAX_CHARS = 500  # the longest field the form has (the description); anything longer is refused
NUMBER_MAX_CHARS = 24
MOMENT_MAX_CHARS = 40
DAILY_POINTS = 60  # the cumulative chart reads the counts at most this many times
METRICS = [m.value for m in ExperimentMetric]
SURFACES = [s.value for s in ExperimentSurface]
TARGETS = ["all", *(f"segment:{s.value}" for s in Segment), *(f"channel:{c.value}" for c in Channel)]
ARM_STRATEGIES = list(STRATEGIES)
DIVERSITY = ("on", "off")
SETTING_KEYS = ("strategy", "diversity", f"explanation={'|'.join(EXPLANATIONS)}", *BLEND_KEYS)
MESSAGE_KEYS = list(REPLY_KEYS)  # what a replies experiment may reword (one message per experiment on this page)
OUTREACH_KEY = next(iter(OUTREACH_KEYS))  # an outreach arm's own offer
WORDING_MAX_CHARS = MAX_OUTREACH_CHARS  # the longer of the two limits: the form field's
LANGUAGES = ("en", "zh")


# --- the list ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    experiment: Experiment
    exposures: int
    variants: list[str]  # `describe` of each arm's parameters


def list_page(session: Session) -> list[Listed]:
    """Every experiment, newest first, with its exposures so far (scheduled stops settled first, as the CLI does)."""
    ex.settle(session)
    counts = dict(
        session.execute(
            select(ExperimentExposure.experiment_id, func.count()).group_by(ExperimentExposure.experiment_id)
        ).all()
    )
    return [
        Listed(e, counts.get(e.id, 0), [describe(a.parameters) for a in e.arms]) for e in ex.list_experiments(session)
    ]


# --- the create form -----------------------------------------------------------------------------------------


def _field(data: dict[str, str], name: str, limit: int = FIELD_MAX_CHARS) -> str:
    value = data.get(name, "").strip()
    if len(value) > limit:
        raise refusal(InvalidInput, "experiments.refusal.too_long", field=name, n=limit)
    return value


def _number(data: dict[str, str], name: str, kind: type[int] | type[float]) -> Any:
    """A number field, or None when empty; anything else than a finite number of `kind` is refused."""
    value = _field(data, name, NUMBER_MAX_CHARS)
    if not value:
        return None
    try:
        number = kind(value)
    except ValueError:
        raise refusal(InvalidInput, "experiments.refusal.number", field=name, value=repr(value)) from None
    if not math.isfinite(number):
        raise refusal(InvalidInput, "experiments.refusal.number", field=name, value=repr(value))
    return number


@dataclass(frozen=True)
class ArmRow:
    """One filled row of the form: the arm as the CLI's `--arm` takes it, the ranking fields it set, and its
    wording in each language ("" when empty)."""

    spec: str
    name: str
    ranked: bool  # a strategy, a variety or other settings were chosen
    wording: dict[str, str]


def arm_row(data: dict[str, str], row: int) -> ArmRow | None:
    """The arm of form row `row` (`NAME:WEIGHT[:key=value,...]`: the strategy and variety chosen in their lists
    come first, then the settings typed in) with its wordings; None for an empty row."""
    name = _field(data, f"arm_name_{row}", 40)
    weight = _field(data, f"arm_weight_{row}", NUMBER_MAX_CHARS)
    strategy = _field(data, f"arm_strategy_{row}", 40)
    diversity = _field(data, f"arm_diversity_{row}", 40)
    settings = _field(data, f"arm_settings_{row}", 300)
    wording = {lang: _field(data, f"arm_wording_{lang}_{row}", WORDING_MAX_CHARS) for lang in LANGUAGES}
    if not (name or weight or strategy or diversity or settings or any(wording.values())):
        return None
    if ":" in name or ":" in weight:
        raise refusal(InvalidInput, "experiments.refusal.colon", name=repr(name))
    chosen = [f"strategy={strategy}"] if strategy else []
    chosen += [f"diversity={diversity}"] if diversity else []
    chosen += [settings] if settings else []
    spec = f"{name}:{weight}" + (f":{','.join(chosen)}" if chosen else "")
    return ArmRow(spec, name, bool(chosen), wording)


def wordings(data: dict[str, str], surface: str, rows: list[ArmRow]) -> list[str]:
    """The rows' wordings as the CLI's `--wording ARM:MESSAGE_KEY:LANGUAGE=TEXT` takes them. Replies: each arm's
    words for the message chosen in `wording_key` (an arm left empty says the default words); outreach: each
    treatment arm's own offer (one left empty sends the campaign's message; the first arm, the hold-out, is
    never contacted and has none). What is wrong here is refused in the page's language."""
    worded = [row for row in rows if any(row.wording.values())]
    if surface not in (ExperimentSurface.REPLIES.value, ExperimentSurface.OUTREACH.value):
        if worded:
            raise refusal(InvalidInput, "experiments.refusal.wording_surface")
        return []
    for row in rows:
        if row.ranked:
            raise refusal(InvalidInput, "experiments.refusal.ranking_surface", name=repr(row.name))
    if surface == ExperimentSurface.OUTREACH.value:
        key, limit = OUTREACH_KEY, MAX_OUTREACH_CHARS
        if rows and any(rows[0].wording.values()):
            raise refusal(InvalidInput, "experiments.refusal.holdout_message", name=repr(rows[0].name))
    else:
        key, limit = _field(data, "wording_key", 40), MAX_WORDING_CHARS
        if key not in REPLY_KEYS:
            raise refusal(InvalidInput, "experiments.refusal.wording_key")
        if not worded:
            raise refusal(InvalidInput, "experiments.refusal.wording_missing")
    placeholders = {**REPLY_KEYS, **OUTREACH_KEYS}[key]
    texts = []
    for row in worded:
        for language in LANGUAGES:
            text = row.wording[language]
            if not text:
                raise refusal(InvalidInput, "experiments.refusal.wording_language", name=repr(row.name))
            if len(text) > limit:
                raise refusal(InvalidInput, "experiments.refusal.wording_too_long", name=repr(row.name), n=limit)
            if not placeholders and ("{" in text or "}" in text):  # the message fills no {placeholder}
                raise refusal(InvalidInput, "experiments.refusal.wording_braces", name=repr(row.name))
            texts.append(f"{row.name}:{key}:{language}={text}")
    return texts


def planned_per_arm(data: dict[str, str], alpha: float) -> int:
    """The CLI's rule: `--sample-size N`, or `--baseline` with `--mde` (80 % power), never both."""
    size = _number(data, "sample_size", int)
    baseline = _number(data, "baseline", float)
    mde = _number(data, "mde", float)
    if size is not None and (baseline is not None or mde is not None):
        raise refusal(InvalidInput, "experiments.refusal.size_both")
    if size is not None:
        if size <= 0:
            raise refusal(InvalidInput, "experiments.refusal.size_positive")
        return size
    if baseline is None:
        raise refusal(InvalidInput, "experiments.refusal.size_missing")
    if mde is None:
        raise refusal(InvalidInput, "experiments.refusal.mde_missing")
    return ex.planned_sample_size(baseline, mde, alpha=alpha)


def create_from_form(session: Session, data: dict[str, str]) -> Experiment:
    """`python -m crm experiments create` from the page's form; nothing is written when anything is refused."""
    rows = [row for row in (arm_row(data, i) for i in range(ARM_ROWS)) if row is not None]
    surface = _field(data, "surface", 40) or ExperimentSurface.RECOMMENDATIONS.value
    specs = ex.with_wordings([ex.parse_arm(row.spec) for row in rows], wordings(data, surface, rows))
    window = _number(data, "window_days", int)
    alpha = _number(data, "alpha", float)
    window = 7 if window is None else window
    alpha = 0.05 if alpha is None else alpha
    if not 0 < alpha < 0.5:  # before the sample size, which is computed at this alpha
        raise refusal(InvalidInput, "experiments.refusal.alpha")
    planned = planned_per_arm(data, alpha)
    return ex.create_experiment(
        session,
        _field(data, "key", 64),
        specs,
        metric=_field(data, "metric", 40),
        planned_per_arm=planned,
        target=_field(data, "target", 80) or "all",
        window_days=window,
        alpha=alpha,
        surface=surface,
        description=_field(data, "description"),
    )


# --- times a person types ------------------------------------------------------------------------------------


def moment(text: str | None, tz: ZoneInfo) -> datetime | None:
    """A time from a form or a query (`2026-12-07T09:30` as a browser's datetime field sends it, an ISO date, or
    ISO with an offset): None when empty; without an offset it is the shop's time zone (the page shows that)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) > MOMENT_MAX_CHARS:
            raise ValueError(text)
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        value = value.astimezone(timezone.utc)
        if not 2000 <= value.year <= 2200:
            raise ValueError(text)
    except (ValueError, OverflowError):
        raise refusal(InvalidInput, "experiments.refusal.moment", value=repr(text[:MOMENT_MAX_CHARS])) from None
    return value


def change(session: Session, key: str, command: str, at: datetime | None) -> Experiment:
    """`start` or `stop`, exactly as the CLI's commands (a later `at` schedules it)."""
    operation = ex.start_experiment if command == "start" else ex.stop_experiment
    return operation(session, key, at=at)


# --- the report ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    experiment: Experiment
    as_of: datetime
    analysis: Analysis
    variants: list[str]

    @property
    def level(self) -> float:
        return 1 - self.analysis.alpha

    @property
    def smallest_analysed(self) -> int:
        return min(a.analysed for a in self.analysis.arms)

    @property
    def verdict(self) -> str:
        """Which of the analysis' verdicts applies (the page words each in its language): `srm` (do not trust
        anything), `early` (the fixed horizon is not reached: do not read the figures yet), `winner` (a
        treatment beats the control), `control` (a treatment did significantly worse), `none`."""
        a = self.analysis
        if a.srm:
            return "srm"
        if not a.reached:
            return "early"
        if a.winner is None:
            return "none"
        return "control" if a.winner == a.arms[0].name else "winner"

    @property
    def worse(self) -> list[str]:
        """The treatment arms significantly worse than the control (Holm-adjusted)."""
        a = self.analysis
        return [
            r.name
            for r in a.arms[1:]
            if r.adjusted_p is not None and r.adjusted_p < a.alpha and not (r.lift is not None and r.lift > 0)
        ]

    @property
    def treatments(self) -> int:
        return len(self.analysis.arms) - 1


def report(session: Session, key: str, as_of: datetime | None = None) -> Report:
    """The report of `python -m crm experiments report KEY [--as-of]`."""
    ex.settle(session)
    experiment = ex.get_experiment(session, key)
    as_of = as_of or datetime.now(timezone.utc)
    analysis = analyse(
        arm_counts(session, experiment, as_of), planned_per_arm=experiment.planned_per_arm, alpha=experiment.alpha
    )
    return Report(experiment, as_of, analysis, [describe(a.parameters) for a in experiment.arms])


def document(found: Report) -> dict[str, Any]:
    """The report as `python -m crm experiments report KEY --json` prints it (the console's JSON download)."""
    e = found.experiment
    return {
        "key": e.key,
        "status": e.status.value,
        "surface": e.surface.value,
        "metric": e.metric.value,
        "window_days": e.window_days,
        "target": e.target_kind.value + (f":{e.target_value}" if e.target_value else ""),
        "planned_per_arm": e.planned_per_arm,
        "alpha": e.alpha,
        "starts_at": e.starts_at.isoformat() if e.starts_at else None,
        "stops_at": e.stops_at.isoformat() if e.stops_at else None,
        "arms": [
            {"name": a.name, "weight": a.weight, "parameters": a.parameters, "variant": variant}
            for a, variant in zip(e.arms, found.variants)
        ],
        "as_of": found.as_of.isoformat(),
        "analysis": asdict(found.analysis),
    }


@dataclass(frozen=True)
class Daily:
    """Each arm's cumulative rate (and its interval at the experiment's level) at the end of each day since the
    start, in the shop's days: what the report would have said that evening. Lists per arm, one entry per day;
    None before any unit of that arm was analysed."""

    days: list[date]
    arms: list[str]
    rates: list[list[float | None]]
    lows: list[list[float | None]]
    highs: list[list[float | None]]


def daily(session: Session, key: str, as_of: datetime | None, tz: ZoneInfo) -> Daily:
    experiment = ex.get_experiment(session, key)
    as_of = as_of or datetime.now(timezone.utc)
    names = [a.name for a in experiment.arms]
    start = experiment.starts_at
    if start is None or start >= as_of:
        return Daily([], names, [[] for _ in names], [[] for _ in names], [[] for _ in names])
    first, last = start.astimezone(tz).date(), as_of.astimezone(tz).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if len(days) > DAILY_POINTS:  # evenly spaced, always with the last day
        step = math.ceil(len(days) / DAILY_POINTS)
        days = days[::-1][::step][::-1]
    result = Daily(days, names, [[] for _ in names], [[] for _ in names], [[] for _ in names])
    for day in days:
        evening = min(datetime.combine(day + timedelta(days=1), time(), tz).astimezone(timezone.utc), as_of)
        for i, counts in enumerate(arm_counts(session, experiment, evening)):
            if counts.analysed:
                low, high = wilson(counts.conversions, counts.analysed, experiment.alpha)
                result.rates[i].append(counts.conversions / counts.analysed)
                result.lows[i].append(low)
                result.highs[i].append(high)
            else:
                for series in (result.rates, result.lows, result.highs):
                    series[i].append(None)
    return result


def is_running(experiment: Experiment) -> bool:
    return experiment.status == ExperimentStatus.RUNNING

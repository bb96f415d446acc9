"""The statistics of an experiment report, on counts alone (no database), so the simulation checks
exactly the code the report runs.

Every figure comes from scipy or statsmodels:
- rate and 95 % interval per arm: Wilson score interval (`proportion_confint(method="wilson")`);
- p-value of each arm against the control: two-sided two-proportion z-test with pooled variance
  (`proportions_ztest`), Holm-adjusted when there are several treatment arms (`multipletests`);
- relative lift and its interval: the ratio of the rates with the log (Katz) interval
  (`confint_proportions_2indep(compare="ratio", method="log")`), minus one;
- sample-ratio mismatch: chi-square goodness of fit of the exposures to the arm weights (`scipy.stats.chisquare`);
- minimum detectable effect at the current sample: `NormalIndPower` solved for Cohen's h at 80 % power.

The verdict is fixed-horizon: no winner is called before every arm has the planned sample, because
stopping the first time a daily look crosses p < 0.05 makes false winners far more likely than 5 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

SRM_THRESHOLD = 0.001  # conventional: a mismatch this unlikely under the weights means broken plumbing
POWER = 0.8


@dataclass(frozen=True)
class ArmCounts:
    name: str
    weight: int
    exposed: int  # every unit that saw the arm
    analysed: int  # those whose conversion window has ended
    conversions: int


@dataclass(frozen=True)
class ArmResult:
    name: str
    weight: int
    exposed: int
    analysed: int
    conversions: int
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    lift: float | None = None  # relative to the control; None for the control itself
    lift_low: float | None = None
    lift_high: float | None = None
    p_value: float | None = None
    adjusted_p: float | None = None


@dataclass(frozen=True)
class Analysis:
    arms: list[ArmResult]
    alpha: float
    planned_per_arm: int
    reached: bool
    srm_p: float | None
    srm: bool
    mde: float | None  # relative change detectable with 80 % power at the current sample
    winner: str | None
    verdict: str


def wilson(conversions: int, n: int, alpha: float) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(conversions, n, alpha=alpha, method="wilson")
    return float(low), float(high)


def z_test(conversions: int, n: int, control_conversions: int, control_n: int) -> float | None:
    """Two-sided pooled two-proportion z-test; None when it is undefined (no variation at all)."""
    from statsmodels.stats.proportion import proportions_ztest

    total = conversions + control_conversions
    if n == 0 or control_n == 0 or total in (0, n + control_n):
        return None
    _, p = proportions_ztest([conversions, control_conversions], [n, control_n], alternative="two-sided")
    return float(p)


def lift_interval(
    conversions: int, n: int, control_conversions: int, control_n: int, alpha: float
) -> tuple[float, float, float] | None:
    """Relative lift and its interval; None while either arm has no conversion (the ratio is undefined)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    if min(conversions, control_conversions, n, control_n) == 0:
        return None
    low, high = confint_proportions_2indep(
        conversions, n, control_conversions, control_n, compare="ratio", method="log", alpha=alpha
    )
    return (conversions / n) / (control_conversions / control_n) - 1, float(low) - 1, float(high) - 1


def sample_ratio_p(exposed: Sequence[int], weights: Sequence[int]) -> float | None:
    from scipy.stats import chisquare

    total = sum(exposed)
    if total == 0:
        return None
    expected = [total * w / sum(weights) for w in weights]
    return float(chisquare(list(exposed), expected).pvalue)


def minimum_detectable_effect(control_rate: float, control_n: int, n: int, alpha: float) -> float | None:
    """The smallest relative change of the control's rate the current sample detects with 80 % power."""
    from statsmodels.stats.power import NormalIndPower

    if control_n < 2 or n < 2 or not 0 < control_rate < 1:
        return None
    h = float(
        NormalIndPower().solve_power(
            effect_size=None, nobs1=control_n, alpha=alpha, power=POWER, ratio=n / control_n, alternative="two-sided"
        )
    )
    angle = math.asin(math.sqrt(control_rate)) + h / 2
    detectable = 1.0 if angle >= math.pi / 2 else math.sin(angle) ** 2
    return detectable / control_rate - 1


def _holm(p_values: list[float | None], alpha: float) -> list[float | None]:
    from statsmodels.stats.multitest import multipletests

    known = [p for p in p_values if p is not None]
    if len(known) <= 1:
        return list(p_values)
    adjusted = iter(float(p) for p in multipletests(known, alpha=alpha, method="holm")[1])
    return [None if p is None else next(adjusted) for p in p_values]


def _percent(value: float) -> str:
    return f"{value:+.1%}"


def analyse(counts: Sequence[ArmCounts], *, planned_per_arm: int, alpha: float = 0.05) -> Analysis:
    """Compares every arm with the first (the control) and says whether a winner may be called."""
    if len(counts) < 2:
        raise ValueError("an analysis needs a control and at least one other arm")
    control = counts[0]
    results: list[ArmResult] = []
    raw_p: list[float | None] = []
    for arm in counts:
        rate = arm.conversions / arm.analysed if arm.analysed else None
        low, high = wilson(arm.conversions, arm.analysed, alpha) if arm.analysed else (None, None)
        result = ArmResult(arm.name, arm.weight, arm.exposed, arm.analysed, arm.conversions, rate, low, high)
        if arm is not control:
            lift = lift_interval(arm.conversions, arm.analysed, control.conversions, control.analysed, alpha)
            p = z_test(arm.conversions, arm.analysed, control.conversions, control.analysed)
            raw_p.append(p)
            result = replace(result, p_value=p)
            if lift is not None:
                result = replace(result, lift=lift[0], lift_low=lift[1], lift_high=lift[2])
        results.append(result)
    adjusted = _holm(raw_p, alpha)
    results = [results[0]] + [replace(r, adjusted_p=a) for r, a in zip(results[1:], adjusted)]

    srm_p = sample_ratio_p([a.exposed for a in counts], [a.weight for a in counts])
    srm = srm_p is not None and srm_p < SRM_THRESHOLD
    smallest = min(counts[1:], key=lambda a: a.analysed)
    control_rate = results[0].rate
    mde = (
        None
        if control_rate is None
        else minimum_detectable_effect(control_rate, control.analysed, smallest.analysed, alpha)
    )
    reached = min(a.analysed for a in counts) >= planned_per_arm
    winner, verdict = _verdict(
        results, reached=reached, srm=srm, srm_p=srm_p, planned=planned_per_arm, alpha=alpha, mde=mde
    )
    return Analysis(results, alpha, planned_per_arm, reached, srm_p, srm, mde, winner, verdict)


def _verdict(
    results: list[ArmResult],
    *,
    reached: bool,
    srm: bool,
    srm_p: float | None,
    planned: int,
    alpha: float,
    mde: float | None,
) -> tuple[str | None, str]:
    if srm:
        return None, (
            f"sample ratio mismatch (chi-square p = {srm_p:.2g}): the arms did not get the traffic "
            "their weights ask for, so the groups may differ in more than the variant; find the cause "
            "(assignment, exposure logging, bot traffic) before trusting any figure here"
        )
    if not reached:
        smallest = min(r.analysed for r in results)
        return None, (
            f"no winner yet: the smallest arm has {smallest:,} of the planned {planned:,} analysed "
            "units; this is a fixed-horizon test, and calling it early (stopping on a good day) "
            "makes false winners much more likely than the stated error rate"
        )
    significant = [r for r in results[1:] if r.adjusted_p is not None and r.adjusted_p < alpha]
    better = [r for r in significant if r.lift is not None and r.lift > 0]
    if better:
        best = max(better, key=lambda r: r.rate or 0.0)
        return best.name, (
            f"{best.name} beats {results[0].name}: lift {_percent(best.lift or 0.0)} "
            f"({1 - alpha:.0%} CI {_percent(best.lift_low or 0.0)} to {_percent(best.lift_high or 0.0)}),"
            f" p = {best.adjusted_p:.3g}"
        )
    if significant:
        worst = ", ".join(r.name for r in significant)
        return results[0].name, f"{results[0].name} beats {worst}: the variant(s) did significantly worse"
    reach = "" if mde is None else f"; with this sample a change of {mde:.1%} or more would have shown with 80 % power"
    return None, f"no significant difference at alpha = {alpha:g}{reach}"

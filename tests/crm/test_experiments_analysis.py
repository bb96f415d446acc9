"""The report's statistics against figures computed by hand from the textbook formulas (standard
library only), the fixed-horizon guard, and the sample-ratio check."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from crm.errors import InvalidInput
from crm.experiments.analysis import ArmCounts, analyse
from crm.experiments.definitions import planned_sample_size

Z975 = NormalDist().inv_cdf(0.975)
Z80 = NormalDist().inv_cdf(0.8)


def hand_wilson(x: int, n: int, z: float = Z975) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def hand_z_test(x1: int, n1: int, x0: int, n0: int) -> float:
    pooled = (x1 + x0) / (n1 + n0)
    z = (x1 / n1 - x0 / n0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return math.erfc(abs(z) / math.sqrt(2))


def hand_lift_interval(x1: int, n1: int, x0: int, n0: int) -> tuple[float, float]:
    ratio = (x1 / n1) / (x0 / n0)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    return ratio * math.exp(-Z975 * se) - 1, ratio * math.exp(Z975 * se) - 1


def two_arms(x0: int, n0: int, x1: int, n1: int, planned: int = 1000, exposed: tuple[int, int] | None = None):
    e0, e1 = exposed or (n0, n1)
    return analyse(
        [ArmCounts("control", 1, e0, n0, x0), ArmCounts("treatment", 1, e1, n1, x1)], planned_per_arm=planned
    )


def test_rates_intervals_lift_and_p_value_match_the_hand_computed_case() -> None:
    result = two_arms(100, 2000, 130, 2000)
    control, treatment = result.arms
    assert control.rate == pytest.approx(0.05) and treatment.rate == pytest.approx(0.065)
    assert (control.rate_low, control.rate_high) == pytest.approx(hand_wilson(100, 2000), abs=1e-9)
    assert (treatment.rate_low, treatment.rate_high) == pytest.approx(hand_wilson(130, 2000), abs=1e-9)
    assert treatment.lift == pytest.approx(0.3)
    assert (treatment.lift_low, treatment.lift_high) == pytest.approx(
        hand_lift_interval(130, 2000, 100, 2000), abs=1e-9
    )
    assert treatment.p_value == pytest.approx(hand_z_test(130, 2000, 100, 2000), rel=1e-9)
    assert treatment.p_value == pytest.approx(0.0416, abs=5e-4)  # z = 2.037
    assert treatment.adjusted_p == treatment.p_value  # one comparison: nothing to adjust
    assert control.lift is None and control.p_value is None


def test_a_significant_result_after_the_planned_sample_names_the_winner() -> None:
    result = two_arms(100, 2000, 130, 2000, planned=2000)
    assert result.reached and not result.srm
    assert result.winner == "treatment"
    assert result.verdict.startswith("treatment beats control: lift +30.0%")


def test_no_winner_is_called_before_the_planned_sample_however_small_the_p_value() -> None:
    result = two_arms(100, 2000, 200, 2000, planned=5000)
    assert result.arms[1].p_value < 1e-6
    assert not result.reached and result.winner is None
    assert "no winner yet" in result.verdict and "2,000 of the planned 5,000" in result.verdict


def test_a_sample_ratio_mismatch_overrides_the_verdict() -> None:
    result = two_arms(250, 5000, 400, 5000, planned=4000, exposed=(5000, 5400))
    statistic = (200**2 / 5200) * 2
    assert result.srm_p == pytest.approx(math.erfc(math.sqrt(statistic / 2)), rel=1e-9)  # chi-square, 1 df
    assert result.srm and result.winner is None
    assert result.verdict.startswith("sample ratio mismatch")


def test_the_sample_ratio_follows_the_weights() -> None:
    fair = analyse([ArmCounts("control", 1, 2500, 2500, 100), ArmCounts("b", 3, 7450, 7450, 300)], planned_per_arm=100)
    assert not fair.srm and fair.srm_p is not None and fair.srm_p > 0.1


def test_no_significant_difference_says_what_the_sample_could_have_detected() -> None:
    result = two_arms(100, 2000, 104, 2000, planned=2000)
    assert result.winner is None and result.verdict.startswith("no significant difference")
    h = (Z975 + Z80) * math.sqrt(2 / 2000)  # Cohen's h detectable with equal arms (the far tail is negligible)
    detectable = math.sin(math.asin(math.sqrt(0.05)) + h / 2) ** 2 / 0.05 - 1
    assert result.mde == pytest.approx(detectable, rel=2e-3)
    assert f"{result.mde:.1%}" in result.verdict


def test_the_control_wins_when_a_variant_is_significantly_worse() -> None:
    result = two_arms(130, 2000, 80, 2000, planned=2000)
    assert result.winner == "control" and "did significantly worse" in result.verdict


def test_several_variants_are_holm_adjusted() -> None:
    result = analyse(
        [
            ArmCounts("control", 1, 2000, 2000, 100),
            ArmCounts("b", 1, 2000, 2000, 130),
            ArmCounts("c", 1, 2000, 2000, 104),
        ],
        planned_per_arm=2000,
    )
    p_b, p_c = hand_z_test(130, 2000, 100, 2000), hand_z_test(104, 2000, 100, 2000)
    assert result.arms[1].adjusted_p == pytest.approx(min(1.0, 2 * p_b))  # the smaller p is doubled
    assert result.arms[2].adjusted_p == pytest.approx(max(2 * p_b, p_c))
    assert result.winner is None  # b's p = 0.044 does not survive the adjustment


def test_undefined_figures_are_none_not_errors() -> None:
    result = two_arms(0, 10, 0, 10, planned=5)
    assert result.arms[1].p_value is None and result.arms[1].lift is None and result.mde is None
    assert result.winner is None and result.verdict.startswith("no significant difference")
    empty = two_arms(0, 0, 0, 0)
    assert empty.arms[0].rate is None and empty.srm_p is None


def test_planned_sample_size_matches_the_normal_approximation() -> None:
    baseline, lift = 0.05, 0.2
    h = 2 * math.asin(math.sqrt(baseline * (1 + lift))) - 2 * math.asin(math.sqrt(baseline))
    planned = planned_sample_size(baseline, lift)
    assert planned == math.ceil(2 * ((Z975 + Z80) / h) ** 2)  # the arcsine difference has variance 2 / n
    p0, p1 = baseline, baseline * (1 + lift)  # the classic formula on the raw proportions agrees within 1 %
    pooled = (p0 + p1) / 2
    classic = (Z975 * math.sqrt(2 * pooled * (1 - pooled)) + Z80 * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / (
        p1 - p0
    ) ** 2
    assert planned == pytest.approx(classic, rel=0.01)
    for bad in ((0.0, 0.1), (0.5, 1.5), (0.05, 0.0)):
        with pytest.raises(InvalidInput):
            planned_sample_size(*bad)

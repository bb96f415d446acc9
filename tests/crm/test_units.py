"""Pure functions: masking, normalisation, keys, order numbers, segment and lifecycle rules, CLV models."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from crm import churn
from crm.clv import BetaGeoModel, GammaGammaModel
from crm.crypto import Keyring, generate_key, load_or_create_key_file, normalize_email, normalize_phone
from crm.errors import EncryptionKeyError, InvalidInput, InvalidOrderNumber
from crm.models import ChurnRisk, LifecycleStage, Segment
from crm.privacy import mask_email, mask_name, mask_phone
from crm.repository import find_order_numbers, parse_order_number
from crm.segments import lifecycle_for, quintile_scores, segment_for


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("0086-139-1234-5678", "139****5678"),
    ],
)
def test_phone_masking_keeps_prefix_and_last_four(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_email_and_name_masking() -> None:
    assert mask_email("John.Smith@Example.com") == "j***@example.com"
    assert mask_name("李伟") == "李*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("Alice Chen") == "A*** C***"


@pytest.mark.parametrize("bad", ["12", "phone", "+86 12"])
def test_malformed_phone_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_phone(bad)


def test_email_normalisation() -> None:
    assert normalize_email("  Li.Wei@Example.CN ") == "li.wei@example.cn"
    with pytest.raises(InvalidInput):
        normalize_email("not-an-email")


def test_encryption_round_trip_is_bound_to_key_and_column() -> None:
    keyring = Keyring.from_master(os.urandom(32))
    sealed = keyring.encrypt("13800138000", "addresses.phone")
    assert b"13800138000" not in sealed
    assert keyring.encrypt("13800138000", "addresses.phone") != sealed  # random nonce
    assert keyring.decrypt(sealed, "addresses.phone") == "13800138000"
    with pytest.raises(EncryptionKeyError):
        keyring.decrypt(sealed, "customers.name")
    with pytest.raises(EncryptionKeyError):
        Keyring.from_master(os.urandom(32)).decrypt(sealed, "addresses.phone")


def test_lookup_hash_depends_on_key_kind_and_value() -> None:
    key = os.urandom(32)
    a, b = Keyring.from_master(key), Keyring.from_master(key)
    assert a.lookup_hash("phone", "13800138000") == b.lookup_hash("phone", "13800138000")
    assert a.lookup_hash("phone", "13800138000") != a.lookup_hash("web", "13800138000")
    other = Keyring.from_master(os.urandom(32))
    assert a.lookup_hash("phone", "13800138000") != other.lookup_hash("phone", "13800138000")


def test_key_file_is_created_owner_only_and_reused(tmp_path) -> None:
    path = tmp_path / "var" / "crm.key"
    first = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == first
    path.chmod(0o644)
    with pytest.raises(EncryptionKeyError, match="chmod 600"):
        load_or_create_key_file(path)


def test_key_from_environment_is_validated(monkeypatch) -> None:
    from crm.crypto import current_keyring

    monkeypatch.setenv("KELIAN_CRM_KEY", "too-short")
    with pytest.raises(EncryptionKeyError):
        current_keyring()
    monkeypatch.setenv("KELIAN_CRM_KEY", generate_key())
    assert isinstance(current_keyring(), Keyring)


def test_key_file_used_when_no_environment_key(monkeypatch, tmp_path) -> None:
    from crm.crypto import current_keyring

    monkeypatch.delenv("KELIAN_CRM_KEY")
    monkeypatch.setenv("KELIAN_CRM_KEY_FILE", str(tmp_path / "k"))
    keyring = current_keyring()
    assert (tmp_path / "k").exists()
    assert current_keyring() == keyring


def test_order_numbers() -> None:
    assert parse_order_number(" kl20251107 ") == "KL20251107"
    for bad in ("KL2025110", "KL202511071", "20251107", "KX20251107", "KL2025-1107", ""):
        with pytest.raises(InvalidOrderNumber):
            parse_order_number(bad)
    assert find_order_numbers("where is kl 20251107? and KL10000001, not KL123") == ["KL20251107", "KL10000001"]


def test_quintiles_score_higher_values_higher() -> None:
    scores = quintile_scores(np.arange(1, 11, dtype=float))
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores(np.ones(7)).tolist() == [3] * 7  # ties share the middle score


@pytest.mark.parametrize(
    ("facts", "segment"),
    [
        (dict(bought=False, signup_days=10, first=None, last=None, rfm=None, risk=None), Segment.NEW),
        (dict(bought=False, signup_days=100, first=None, last=None, rfm=None, risk=None), Segment.SILENT),
        (dict(bought=True, signup_days=300, first=20, last=5, rfm=(5, 1, 2), risk=ChurnRisk.LOW), Segment.NEW),
        (dict(bought=True, signup_days=300, first=250, last=200, rfm=(1, 3, 3), risk=ChurnRisk.HIGH), Segment.LOST),
        (
            dict(bought=True, signup_days=300, first=250, last=120, rfm=(2, 4, 4), risk=ChurnRisk.MEDIUM),
            Segment.AT_RISK,
        ),
        (dict(bought=True, signup_days=300, first=250, last=40, rfm=(3, 3, 3), risk=ChurnRisk.HIGH), Segment.AT_RISK),
        (dict(bought=True, signup_days=300, first=250, last=10, rfm=(5, 5, 4), risk=ChurnRisk.LOW), Segment.HIGH_VALUE),
        (dict(bought=True, signup_days=300, first=250, last=10, rfm=(5, 2, 3), risk=ChurnRisk.LOW), Segment.POTENTIAL),
    ],
)
def test_segment_rules(facts: dict, segment: Segment) -> None:
    assert (
        segment_for(
            bought=facts["bought"],
            signup_days=facts["signup_days"],
            first_purchase_days=facts["first"],
            last_purchase_days=facts["last"],
            rfm=facts["rfm"],
            churn_risk=facts["risk"],
        )
        is segment
    )


@pytest.mark.parametrize(
    ("bought", "first", "last", "stage"),
    [
        (False, None, None, LifecycleStage.PROSPECT),
        (True, 10, 10, LifecycleStage.NEW),
        (True, 200, 60, LifecycleStage.ACTIVE),
        (True, 200, 120, LifecycleStage.AT_RISK),
        (True, 300, 181, LifecycleStage.CHURNED),
    ],
)
def test_lifecycle_rules(bought: bool, first: float | None, last: float | None, stage: LifecycleStage) -> None:
    assert lifecycle_for(bought=bought, first_purchase_days=first, last_purchase_days=last) is stage


def test_risk_grades() -> None:
    assert churn.risk_grade(0.5) is ChurnRisk.LOW
    assert churn.risk_grade(churn.MEDIUM_RISK_FROM) is ChurnRisk.MEDIUM
    assert churn.risk_grade(0.99) is ChurnRisk.HIGH


def _simulate_bgnbd(
    rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float, weeks: float, holdout: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The BG/NBD story itself: Poisson buying at a Gamma rate, a Beta coin after each purchase."""
    x, t_x, age, future = (np.zeros(n) for _ in range(4))
    rates = rng.gamma(r, 1 / alpha, size=n)
    dropouts = rng.beta(a, b, size=n)
    for i in range(n):
        start = rng.uniform(0, weeks * 0.5)
        t, alive, times = start, True, [start]
        while alive:
            t += rng.exponential(1 / rates[i])
            if t > weeks + holdout:
                break
            times.append(t)
            alive = rng.random() > dropouts[i]
        seen = [s for s in times if s <= weeks]
        x[i], t_x[i], age[i] = len(seen) - 1, seen[-1] - start, weeks - start
        future[i] = sum(1 for s in times if weeks < s <= weeks + holdout)
    return x, t_x, age, future


def test_bgnbd_recovers_its_parameters_and_predicts_the_holdout() -> None:
    rng = np.random.default_rng(3)
    x, t_x, age, future = _simulate_bgnbd(rng, 3000, r=0.8, alpha=4.0, a=0.8, b=2.5, weeks=52, holdout=26)
    model = BetaGeoModel.fit(x, t_x, age)
    assert model.r == pytest.approx(0.8, rel=0.3)
    assert model.alpha == pytest.approx(4.0, rel=0.35)
    predicted = model.expected_purchases(26, x, t_x, age)
    assert predicted.sum() == pytest.approx(future.sum(), rel=0.12)
    assert np.corrcoef(predicted, future)[0, 1] > 0.5
    alive = model.probability_alive(x, t_x, age)
    assert np.all((alive >= 0) & (alive <= 1))
    assert alive[x == 0].min() == 1.0  # no purchase after the first: no evidence of drop-out


def test_gamma_gamma_shrinks_towards_the_population_mean() -> None:
    rng = np.random.default_rng(5)
    p, q, v = 6.0, 4.0, 150.0
    nu = rng.gamma(q, 1 / v, size=4000)
    x = rng.integers(1, 8, size=4000).astype(float)
    m = np.array([rng.gamma(p, 1 / rate, size=int(k)).mean() for rate, k in zip(nu, x)])
    model = GammaGammaModel.fit(x, m)
    population = p * v / (q - 1)
    assert model.p * model.v / (model.q - 1) == pytest.approx(population, rel=0.15)
    one, many = model.expected_value(np.array([1.0, 10.0]), np.array([1000.0, 1000.0]), fallback=0.0)
    assert population < one < many < 1000.0

"""Churn: the probability that a customer makes no purchase in the next 30 days.

A logistic regression (scikit-learn, standardised inputs) on behavioural features (`crm.history`)
is trained on a time split: snapshots at 60, 90 and 120 days before the anchor, each labelled by the
30 days that followed it, and evaluated by ROC AUC on the held-out last period (snapshot 30 days
before the anchor, labelled by the last 30 days), which the training never saw. The model that
scores customers today is then refitted on the most recent labelled snapshots (30, 60 and 90 days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from crm.history import DAY, FEATURE_NAMES, History, behaviour_features, purchased_between
from crm.models import ChurnRisk

LABEL_DAYS = 30
TRAIN_SNAPSHOTS_DAYS = (60, 90, 120)
TEST_SNAPSHOT_DAYS = 30
SCORING_SNAPSHOTS_DAYS = (30, 60, 90)
# Risk grades on the probability of no purchase in 30 days: most customers of any shop do not buy in
# a given month, so "high" is reserved for customers the model is nearly sure about.
MEDIUM_RISK_FROM = 0.80
HIGH_RISK_FROM = 0.95


@dataclass(frozen=True)
class ChurnReport:
    train_rows: int
    test_rows: int
    train_churn_rate: float
    test_churn_rate: float
    roc_auc: float | None
    coefficients: dict[str, float]


@dataclass(frozen=True)
class ChurnScores:
    probability: np.ndarray  # aligned with History.customer_ids; NaN where no score
    report: ChurnReport


def _snapshot(history: History, days_before: float) -> tuple[np.ndarray, np.ndarray]:
    cutoff = history.as_of - days_before * DAY
    eligible = history.created < cutoff
    features = behaviour_features(history, cutoff)[eligible]
    churned = ~purchased_between(history, cutoff, cutoff + LABEL_DAYS * DAY)[eligible]
    return features, churned.astype(int)


def _stack(history: History, snapshots: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    parts = [_snapshot(history, days) for days in snapshots]
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _model() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))


def risk_grade(probability: float) -> ChurnRisk:
    if probability >= HIGH_RISK_FROM:
        return ChurnRisk.HIGH
    if probability >= MEDIUM_RISK_FROM:
        return ChurnRisk.MEDIUM
    return ChurnRisk.LOW


def train_and_score(history: History) -> ChurnScores:
    """Evaluate on the held-out period, refit on the latest periods, score every customer at the anchor.

    With too little history to have both outcomes in a period, nothing is scored (probabilities NaN).
    """
    nothing = np.full(history.size, np.nan)
    train_x, train_y = _stack(history, TRAIN_SNAPSHOTS_DAYS)
    test_x, test_y = _snapshot(history, TEST_SNAPSHOT_DAYS)
    if len(np.unique(train_y)) < 2:
        rates = [float(np.mean(y)) if len(y) else 0.0 for y in (train_y, test_y)]
        return ChurnScores(nothing, ChurnReport(len(train_y), len(test_y), rates[0], rates[1], None, {}))
    evaluated = _model().fit(train_x, train_y)
    auc = float(roc_auc_score(test_y, evaluated.predict_proba(test_x)[:, 1])) if len(np.unique(test_y)) == 2 else None
    final_x, final_y = _stack(history, SCORING_SNAPSHOTS_DAYS)
    final = _model().fit(final_x, final_y) if len(np.unique(final_y)) == 2 else evaluated
    probability = final.predict_proba(behaviour_features(history, history.as_of))[:, 1]
    coefficients = dict(zip(FEATURE_NAMES, final.named_steps["logisticregression"].coef_[0].round(3).tolist()))
    return ChurnScores(
        probability,
        ChurnReport(len(train_y), len(test_y), float(train_y.mean()), float(test_y.mean()), auc, coefficients),
    )

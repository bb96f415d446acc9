"""Customer lifetime value: BG/NBD for how often, Gamma-Gamma for how much.

Why these models: a shop is a non-contractual setting. Nobody cancels a subscription; customers
just stop coming back, unseen. BG/NBD (Fader, Hardie & Lee, 2005) models exactly that: while
"alive" a customer buys at a personal Poisson rate (rates vary as a Gamma across customers), and
after each purchase they may silently drop out (probability varies as a Beta). From each customer's
frequency, recency and age it gives the expected number of purchases in any horizon. Gamma-Gamma
(Fader, Hardie & Lee, 2005b) shrinks each customer's average order value towards the shop's
average, more so for customers with few orders. CLV over a horizon is the product: expected
purchases x expected order value (revenue in CNY, undiscounted; 12 months by default).
Customers who never bought are not covered by the model and get 0.

Both models are fitted by maximum likelihood (scipy, on log-parameters, with a small L2 penalty
that keeps the optimiser away from degenerate corners on small shops). Time is in weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from crm.history import DAY, History

WEEK = 7 * DAY
PENALTY = 1e-3


@dataclass(frozen=True)
class Summary:
    """Per customer, in weeks: repeat purchases, age at the last purchase, age now (from the first purchase)."""

    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    average_value: np.ndarray  # mean value of the repeat purchases (0 when none)
    buyer: np.ndarray


def summarise(history: History, cutoff: float) -> Summary:
    """RFM summary at `cutoff`; purchases on the same day count once, as in the BG/NBD literature."""
    n = history.size
    frequency, recency, age, average = (np.zeros(n) for _ in range(4))
    buyer = np.zeros(n, dtype=bool)
    before = history.purchase_time < cutoff
    order = np.lexsort((history.purchase_time[before], history.purchase_customer[before]))
    who = history.purchase_customer[before][order]
    when = history.purchase_time[before][order]
    value = history.purchase_value[before][order]
    for customer in np.unique(who):
        mask = who == customer
        days = np.floor(when[mask] / DAY)
        unique_days, first_index = np.unique(days, return_index=True)
        day_values = np.add.reduceat(value[mask], first_index)
        buyer[customer] = True
        frequency[customer] = len(unique_days) - 1
        recency[customer] = (unique_days[-1] - unique_days[0]) * DAY / WEEK
        age[customer] = (cutoff - unique_days[0] * DAY) / WEEK
        if len(unique_days) > 1:
            average[customer] = day_values[1:].mean()
    return Summary(frequency, recency, age, average, buyer)


@dataclass(frozen=True)
class BetaGeoModel:
    r: float
    alpha: float
    a: float
    b: float

    @staticmethod
    def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = params
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        first = betaln(a, b + x) - (r + x) * np.log(alpha + t)
        second = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
        return common + np.logaddexp(first, second)

    @classmethod
    def fit(cls, x: np.ndarray, t_x: np.ndarray, t: np.ndarray) -> "BetaGeoModel":
        def loss(log_params: np.ndarray) -> float:
            params = np.exp(log_params)
            return float(-cls.log_likelihood(params, x, t_x, t).mean() + PENALTY * np.sum(params**2))

        best = min(
            (
                minimize(loss, np.log(start), method="L-BFGS-B")
                for start in ((1.0, 1.0, 1.0, 1.0), (0.5, 10.0, 0.5, 3.0))
            ),
            key=lambda result: result.fun,
        )
        return cls(*np.exp(best.x).tolist())

    def expected_purchases(self, horizon: float, x: np.ndarray, t_x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """E[purchases in the next `horizon` weeks | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = horizon / (alpha + t + horizon)
        hyper = hyp2f1(r + x, b + x, a + b + x - 1, z)
        numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + t) / (alpha + t + horizon)) ** (r + x) * hyper)
        return numerator / (1 + self._dropout_odds(x, t_x, t))

    def probability_alive(self, x: np.ndarray, t_x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + self._dropout_odds(x, t_x, t))

    def _dropout_odds(self, x: np.ndarray, t_x: np.ndarray, t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        return np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * ((alpha + t) / (alpha + t_x)) ** (r + x), 0.0)


@dataclass(frozen=True)
class GammaGammaModel:
    p: float
    q: float
    v: float

    @staticmethod
    def log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        p, q, v = params
        return (
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(v)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(x * m + v)
        )

    @classmethod
    def fit(cls, x: np.ndarray, m: np.ndarray) -> "GammaGammaModel":
        scale = float(np.mean(m))

        def loss(log_params: np.ndarray) -> float:
            p, q, v = np.exp(log_params)
            return float(-cls.log_likelihood(np.array([p, q, v * scale]), x, m).mean() + PENALTY * (p**2 + q**2 + v**2))

        result = minimize(loss, np.log([2.0, 3.0, 1.0]), method="L-BFGS-B")
        p, q, v = np.exp(result.x)
        return cls(float(p), float(q), float(v * scale))

    def expected_value(self, x: np.ndarray, m: np.ndarray, fallback: float) -> np.ndarray:
        """Shrunk average order value; customers without repeat purchases get the population mean."""
        population = self.p * self.v / (self.q - 1) if self.q > 1 else fallback
        shrunk = self.p * (self.v + x * m) / np.maximum(self.p * x + self.q - 1, 1e-9)
        return np.where(x > 0, shrunk, population)


@dataclass(frozen=True)
class ClvReport:
    horizon_weeks: float
    buyers: int
    repeat_buyers: int
    bgnbd: BetaGeoModel | None
    gamma_gamma: GammaGammaModel | None
    holdout_weeks: float
    holdout_predicted: float | None  # purchases predicted for the held-out weeks, all customers
    holdout_actual: float | None
    holdout_correlation: float | None


@dataclass(frozen=True)
class ClvScores:
    clv: np.ndarray
    expected_purchases: np.ndarray
    probability_alive: np.ndarray
    report: ClvReport


def _actual_unique_days(history: History, start: float, end: float) -> np.ndarray:
    mask = (history.purchase_time >= start) & (history.purchase_time < end)
    pairs = np.unique(
        np.column_stack([history.purchase_customer[mask], np.floor(history.purchase_time[mask] / DAY)]), axis=0
    )
    return (
        np.bincount(pairs[:, 0].astype(np.int64), minlength=history.size).astype(float)
        if len(pairs)
        else np.zeros(history.size)
    )


def score(history: History, horizon_weeks: float = 52.0, holdout_weeks: float = 13.0) -> ClvScores:
    """Fit on everything before the anchor and predict the next `horizon_weeks`; also check the method
    by fitting on all but the last `holdout_weeks` and predicting those weeks."""
    now = history.as_of
    summary = summarise(history, now)
    zeros = np.zeros(history.size)
    buyers = summary.buyer
    if buyers.sum() < 20 or (summary.frequency[buyers] > 0).sum() < 10:
        return ClvScores(
            zeros,
            zeros,
            zeros,
            ClvReport(
                horizon_weeks,
                int(buyers.sum()),
                int((summary.frequency > 0).sum()),
                None,
                None,
                holdout_weeks,
                None,
                None,
                None,
            ),
        )
    x, t_x, t = summary.frequency[buyers], summary.recency[buyers], summary.age[buyers]
    bgnbd = BetaGeoModel.fit(x, t_x, t)
    repeat = buyers & (summary.frequency > 0) & (summary.average_value > 0)
    gamma_gamma = GammaGammaModel.fit(summary.frequency[repeat], summary.average_value[repeat])
    expected = np.zeros(history.size)
    alive = np.zeros(history.size)
    expected[buyers] = bgnbd.expected_purchases(horizon_weeks, x, t_x, t)
    alive[buyers] = bgnbd.probability_alive(x, t_x, t)
    first_values = history.purchase_value[history.purchase_value > 0]
    value = gamma_gamma.expected_value(
        summary.frequency, summary.average_value, float(first_values.mean()) if len(first_values) else 0.0
    )
    clv = np.where(buyers, expected * value, 0.0)

    calibration_end = now - holdout_weeks * WEEK
    calibration = summarise(history, calibration_end)
    known = calibration.buyer
    predicted = actual = correlation = None
    if known.sum() >= 20 and (calibration.frequency[known] > 0).sum() >= 10:
        check = BetaGeoModel.fit(calibration.frequency[known], calibration.recency[known], calibration.age[known])
        forecast = check.expected_purchases(
            holdout_weeks, calibration.frequency[known], calibration.recency[known], calibration.age[known]
        )
        observed = _actual_unique_days(history, calibration_end, now)[known]
        predicted, actual = float(forecast.sum()), float(observed.sum())
        correlation = float(np.corrcoef(forecast, observed)[0, 1]) if observed.std() > 0 else None
    return ClvScores(
        clv,
        expected,
        alive,
        ClvReport(
            horizon_weeks,
            int(buyers.sum()),
            int(repeat.sum()),
            bgnbd,
            gamma_gamma,
            holdout_weeks,
            predicted,
            actual,
            correlation,
        ),
    )

"""The behavioural history of every customer as numpy arrays, and per-customer facts at any cutoff.

Segmentation, churn and lifetime value all read the same history, so that a "purchase" means one
thing everywhere: an order that reached payment (paid, shipped, delivered or returned), dated when
it was placed; its value counts only if the goods were kept (a returned order is worth nothing).
Facts at a cutoff use only what happened strictly before it, which is what makes time-split
evaluation honest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from typing import Any

import numpy as np
from sqlalchemy import Float, String, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from crm.models import (
    Customer,
    Interaction,
    InteractionKind,
    Order,
    OrderStatus,
    Ticket,
)

DAY = 86400.0
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURNED)
KIND_CODES = {kind: code for code, kind in enumerate(InteractionKind)}


class epoch(FunctionElement[float]):
    """Seconds since 1970 of a stored (naive UTC) timestamp, computed by the database: loading a year
    of interactions this way is several times faster than building datetime objects."""

    type = Float()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@dataclass(frozen=True)
class History:
    as_of: float
    customer_ids: np.ndarray
    created: np.ndarray
    purchase_customer: np.ndarray  # index into customer_ids
    purchase_time: np.ndarray
    purchase_value: np.ndarray
    interaction_customer: np.ndarray
    interaction_time: np.ndarray
    interaction_kind: np.ndarray
    ticket_customer: np.ndarray
    ticket_time: np.ndarray

    @property
    def size(self) -> int:
        return len(self.customer_ids)


def load_history(session: Session, as_of: datetime) -> History:
    """Everything up to `as_of` of the customers who have not been erased."""
    cutoff = as_of.timestamp()
    customers = (
        session.connection()
        .execute(
            select(Customer.id, epoch(Customer.created_at)).where(Customer.erased_at.is_(None)).order_by(Customer.id)
        )
        .all()
    )
    ids = np.array([c[0] for c in customers], dtype=np.int64)
    position = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int64)
    position[ids] = np.arange(len(ids))

    def columns(query: Any, count: int) -> list[np.ndarray]:
        """The rows of `query` (customer id first, timestamp second) of known customers before the cutoff."""
        rows = session.connection().execute(query).all()
        if not rows:
            return [np.zeros(0, dtype=np.int64)] + [np.zeros(0) for _ in range(count - 1)]
        arrays = [np.array(column) for column in zip(*rows)]
        customer = arrays[0].astype(np.int64)
        known = customer < len(position)
        known[known] &= position[customer[known]] >= 0
        keep = known & (arrays[1] < cutoff)
        return [position[customer[keep]]] + [a[keep] for a in arrays[1:]]

    purchase_customer, purchase_time, purchase_value, returned = columns(
        select(
            Order.customer_id,
            epoch(Order.placed_at),
            type_coerce(Order.total, Float),
            Order.status == OrderStatus.RETURNED,
        ).where(Order.status.in_(PAID_STATUSES)),
        4,
    )
    purchase_value = np.where(returned.astype(bool), 0.0, purchase_value.astype(float))
    interaction_customer, interaction_time, kinds = columns(
        select(Interaction.customer_id, epoch(Interaction.occurred_at), type_coerce(Interaction.kind, String)), 3
    )
    codes = {kind.value: code for kind, code in KIND_CODES.items()}
    interaction_kind = np.array([codes[k] for k in kinds.tolist()], dtype=np.int64)
    ticket_customer, ticket_time = columns(select(Ticket.customer_id, epoch(Ticket.created_at)), 2)
    return History(
        as_of=cutoff,
        customer_ids=ids,
        created=np.array([c[1] for c in customers], dtype=float),
        purchase_customer=purchase_customer,
        purchase_time=purchase_time,
        purchase_value=purchase_value,
        interaction_customer=interaction_customer,
        interaction_time=interaction_time,
        interaction_kind=interaction_kind,
        ticket_customer=ticket_customer,
        ticket_time=ticket_time,
    )


@dataclass(frozen=True)
class Facts:
    """Per-customer facts at a cutoff (arrays aligned with `History.customer_ids`)."""

    cutoff: float
    exists: np.ndarray  # signed up before the cutoff
    purchases: np.ndarray
    monetary: np.ndarray
    first_purchase: np.ndarray  # NaN when none
    last_purchase: np.ndarray  # NaN when none
    tenure_days: np.ndarray

    @property
    def days_since_last_purchase(self) -> np.ndarray:
        return (self.cutoff - self.last_purchase) / DAY

    @property
    def days_since_first_purchase(self) -> np.ndarray:
        return (self.cutoff - self.first_purchase) / DAY


def _count(who: np.ndarray, mask: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(who[mask], weights=None if weights is None else weights[mask], minlength=size).astype(float)


def facts_at(history: History, cutoff: float) -> Facts:
    n = history.size
    before = history.purchase_time < cutoff
    who = history.purchase_customer[before]
    when = history.purchase_time[before]
    first = np.full(n, np.inf)
    last = np.full(n, -np.inf)
    np.minimum.at(first, who, when)
    np.maximum.at(last, who, when)
    first[np.isinf(first)] = np.nan
    last[np.isinf(last)] = np.nan
    return Facts(
        cutoff=cutoff,
        exists=history.created < cutoff,
        purchases=_count(history.purchase_customer, before, n),
        monetary=_count(history.purchase_customer, before, n, history.purchase_value),
        first_purchase=first,
        last_purchase=last,
        tenure_days=np.maximum(cutoff - history.created, 0) / DAY,
    )


def purchased_between(history: History, start: float, end: float) -> np.ndarray:
    mask = (history.purchase_time >= start) & (history.purchase_time < end)
    return _count(history.purchase_customer, mask, history.size) > 0


FEATURE_NAMES = (
    "log_days_since_last_purchase",
    "has_purchased",
    "log_purchases",
    "log_monetary",
    "log_tenure_days",
    "purchases_30d",
    "purchases_90d",
    "log_interactions_7d",
    "log_interactions_30d",
    "log_interactions_90d",
    "log_days_since_last_interaction",
    "add_to_cart_30d",
    "interaction_trend",
    "tickets_90d",
)


def behaviour_features(history: History, cutoff: float) -> np.ndarray:
    """The churn model's inputs at `cutoff`: recency, frequency, value, tenure and recent engagement."""
    n = history.size
    facts = facts_at(history, cutoff)
    horizon_cap = 400.0
    since_purchase = np.where(
        np.isnan(facts.last_purchase), horizon_cap, np.minimum(facts.days_since_last_purchase, horizon_cap)
    )
    pt, pc = history.purchase_time, history.purchase_customer
    it, ic, kind = history.interaction_time, history.interaction_customer, history.interaction_kind

    def purchases_within(days: float) -> np.ndarray:
        return _count(pc, (pt < cutoff) & (pt >= cutoff - days * DAY), n)

    def interactions_within(days: float, only: InteractionKind | None = None) -> np.ndarray:
        mask = (it < cutoff) & (it >= cutoff - days * DAY)
        if only is not None:
            mask &= kind == KIND_CODES[only]
        return _count(ic, mask, n)

    last_interaction = np.full(n, -np.inf)
    seen = it < cutoff
    np.maximum.at(last_interaction, ic[seen], it[seen])
    since_interaction = np.where(
        np.isinf(last_interaction), horizon_cap, np.minimum((cutoff - last_interaction) / DAY, horizon_cap)
    )
    i7, i30, i90 = interactions_within(7), interactions_within(30), interactions_within(90)
    tickets = _count(
        history.ticket_customer, (history.ticket_time < cutoff) & (history.ticket_time >= cutoff - 90 * DAY), n
    )
    return np.column_stack(
        [
            np.log1p(since_purchase),
            (facts.purchases > 0).astype(float),
            np.log1p(facts.purchases),
            np.log1p(facts.monetary),
            np.log1p(facts.tenure_days),
            purchases_within(30),
            purchases_within(90),
            np.log1p(i7),
            np.log1p(i30),
            np.log1p(i90),
            np.log1p(since_interaction),
            interactions_within(30, InteractionKind.ADD_TO_CART),
            i30 / (i90 / 3.0 + 1.0),
            tickets,
        ]
    )

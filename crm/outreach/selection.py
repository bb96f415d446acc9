"""Who a campaign may reach, and on which channel.

Rules:
- `churn_high_value`: churn risk graded high by the latest scoring (`python -m crm score`) and CLV in
  the top 20 % of the scored customers. The CRM keeps the current grade, not its history, so "rose to
  high" is "is high now": once per campaign (the occasion `churn`), so a customer who stays high is not
  told twice by the same campaign;
- `abandoned_cart`: the customer's latest add-to-cart is between 24 hours and 7 days old and no order
  was placed (nor a purchase recorded) since; the occasion is that cart event, so a later cart is a new one.

Everyone selected consented to marketing, is not erased, and is reachable on their channel: the
preferred channel the conversations taught the CRM, else the channel of their last conversation; only
WeChat (an openid identity: the customer-service API) and the web (a web identity: shown at the next
visit) can carry an outreach. A customer reachable on neither is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from crm.models import (
    Channel,
    ChurnRisk,
    Conversation,
    Customer,
    Identity,
    Interaction,
    InteractionKind,
    Language,
    Order,
    OrderStatus,
    OutreachRule,
)

REACHABLE = (Channel.WECHAT, Channel.WEB)
TOP_CLV_SHARE = 0.2
CART_AFTER = timedelta(hours=24)
CART_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    trigger: str  # the occasion: once per campaign, customer and trigger
    channel: Channel
    language: Language
    address: str  # the customer's id on the channel (WeChat openid, web user id)
    reason: str


def consented() -> Select[int]:
    return select(Customer.id).where(Customer.marketing_consent.is_(True), Customer.erased_at.is_(None))


def clv_threshold(session: Session) -> float | None:
    """The lowest CLV of the top 20 % of scored, living customers (None when nobody is scored)."""
    values = sorted(
        (
            float(v)
            for v in session.scalars(
                select(Customer.clv).where(Customer.clv.is_not(None), Customer.erased_at.is_(None))
            )
            if v is not None
        ),
        reverse=True,
    )
    if not values:
        return None
    return values[max(1, math.ceil(len(values) * TOP_CLV_SHARE)) - 1]


def _churn_high_value(session: Session, now: datetime) -> dict[int, tuple[str, str]]:
    threshold = clv_threshold(session)
    if threshold is None:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.clv).where(
            Customer.id.in_(consented()), Customer.churn_risk == ChurnRisk.HIGH, Customer.clv >= threshold
        )
    )
    return {
        cid: ("churn", f"churn risk high, CLV {float(clv):,.0f} (top 20 % from {threshold:,.0f})")
        for cid, clv in rows
        if clv is not None
    }


def _abandoned_cart(session: Session, now: datetime) -> dict[int, tuple[str, str]]:
    bought = aliased(Interaction)
    latest = (
        select(Interaction.customer_id, func.max(Interaction.occurred_at).label("at"))
        .where(Interaction.kind == InteractionKind.ADD_TO_CART, Interaction.customer_id.in_(consented()))
        .group_by(Interaction.customer_id)
        .subquery()
    )
    carts = session.execute(
        select(Interaction.customer_id, Interaction.id, Interaction.occurred_at)
        .join(latest, and_(latest.c.customer_id == Interaction.customer_id, latest.c.at == Interaction.occurred_at))
        .where(
            Interaction.kind == InteractionKind.ADD_TO_CART,
            Interaction.occurred_at <= now - CART_AFTER,
            Interaction.occurred_at >= now - CART_WITHIN,
            ~exists().where(
                Order.customer_id == Interaction.customer_id,
                Order.placed_at >= Interaction.occurred_at,
                Order.status != OrderStatus.CANCELLED,
            ),
            ~exists().where(
                bought.customer_id == Interaction.customer_id,
                bought.kind == InteractionKind.PURCHASE,
                bought.occurred_at >= Interaction.occurred_at,
            ),
        )
        .order_by(Interaction.customer_id, Interaction.id)
    )
    found: dict[int, tuple[str, str]] = {}
    for customer_id, interaction_id, at in carts:
        hours = (now - at).total_seconds() / 3600
        found.setdefault(customer_id, (f"cart:{interaction_id}", f"cart left {hours:.0f} h ago"))
    return found


RULES = {OutreachRule.CHURN_HIGH_VALUE: _churn_high_value, OutreachRule.ABANDONED_CART: _abandoned_cart}


def _last_channels(session: Session, customer_ids: list[int]) -> dict[int, Channel]:
    latest = (
        select(Conversation.customer_id, func.max(Conversation.started_at).label("at"))
        .where(Conversation.customer_id.in_(customer_ids))
        .group_by(Conversation.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(Conversation.customer_id, Conversation.channel).join(
            latest, and_(latest.c.customer_id == Conversation.customer_id, latest.c.at == Conversation.started_at)
        )
    )
    return {customer_id: channel for customer_id, channel in rows if customer_id is not None}


def _addresses(session: Session, customer_ids: list[int]) -> dict[tuple[int, Channel], str]:
    """The newest identity of each customer on each reachable channel (decrypted)."""
    found: dict[tuple[int, Channel], str] = {}
    for identity in session.scalars(
        select(Identity)
        .where(Identity.customer_id.in_(customer_ids), Identity.channel.in_(REACHABLE))
        .order_by(Identity.created_at, Identity.id)
    ):
        found[(identity.customer_id, identity.channel)] = identity.external_id
    return found


def select_candidates(session: Session, rule: OutreachRule | str, now: datetime) -> tuple[list[Candidate], int]:
    """The consented customers a rule selects and can reach, in customer order, and how many it selected
    but could not reach."""
    matched = RULES[OutreachRule(rule)](session, now)
    if not matched:
        return [], 0
    ids = sorted(matched)
    customers = {
        cid: (preferred, language)
        for cid, preferred, language in session.execute(
            select(Customer.id, Customer.preferred_channel, Customer.preferred_language).where(Customer.id.in_(ids))
        )
    }
    last = _last_channels(session, ids)
    addresses = _addresses(session, ids)
    candidates: list[Candidate] = []
    unreachable = 0
    for cid in ids:
        preferred, language = customers[cid]
        channel = next(
            (c for c in (preferred, last.get(cid)) if c in REACHABLE and (cid, c) in addresses),
            None,
        )
        if channel is None:
            unreachable += 1
            continue
        trigger, reason = matched[cid]
        candidates.append(Candidate(cid, trigger, channel, language or Language.ZH, addresses[(cid, channel)], reason))
    return candidates, unreachable

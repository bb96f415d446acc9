"""Experiments in the CRM: deterministic and balanced assignment, one arm per customer across linked
channels, one exposure per unit, targets, what a draft may contain, and conversions counted within
the window (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import chisquare
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput
from crm.experiments.assignment import bucket, choose, customer_unit
from crm.experiments.definitions import (
    ExperimentNotFound,
    create_experiment,
    get_experiment,
    parse_arm,
    start_experiment,
    stop_experiment,
)
from crm.experiments.outcomes import arm_counts
from crm.experiments.variants import describe, explanation_style, recommend_options
from crm.experiments.serving import arm_for, record_exposure
from crm.migrate import upgrade
from crm.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Customer,
    Experiment,
    ExperimentExposure,
    Interaction,
    InteractionKind,
    Segment,
)
from crm.repository import add_identity, find_customer
from crm.repository.conversations import sender_key
from tests.crm.conftest import empty_database

T0 = datetime(2025, 11, 1, 9, tzinfo=timezone.utc)


def experiment(
    session: Session,
    key: str = "recs",
    *,
    metric: str = "rec_click",
    target: str = "all",
    arms: tuple[str, ...] = ("control:50", "als:50:strategy=als"),
    start: bool = True,
) -> Experiment:
    created = create_experiment(
        session,
        key,
        [parse_arm(a) for a in arms],
        metric=metric,
        planned_per_arm=100,
        target=target,
        now=T0 - timedelta(days=1),
    )
    if start:
        start_experiment(session, key, at=T0 - timedelta(hours=1))
    return created


def customers(session: Session, count: int, **where: object) -> list[int]:
    query = select(Customer.id).where(Customer.erased_at.is_(None)).order_by(Customer.id).limit(count)
    for name, value in where.items():
        query = query.where(getattr(Customer, name) == value)
    return list(session.scalars(query))


# --- assignment --------------------------------------------------------------------------------


def test_assignment_is_a_pure_function_of_salt_and_unit() -> None:
    units = [customer_unit(i) for i in range(2000)]
    first = [choose("salt-a", u, (1, 1)) for u in units]
    assert first == [choose("salt-a", u, (1, 1)) for u in units]
    other = [choose("salt-b", u, (1, 1)) for u in units]
    agreement = sum(a == b for a, b in zip(first, other)) / len(units)
    assert 0.45 < agreement < 0.55  # another experiment's salt says nothing about this one's arm
    assert all(0.0 <= bucket("s", u) < 1.0 for u in units)


@pytest.mark.parametrize("weights", [(1, 1), (1, 3), (2, 1, 1)])
def test_assignment_follows_the_weights(weights: tuple[int, ...]) -> None:
    n = 20_000
    counts = [0] * len(weights)
    for i in range(n):
        counts[choose("balance", customer_unit(i), weights)] += 1
    expected = [n * w / sum(weights) for w in weights]
    assert chisquare(counts, expected).pvalue > 0.001


def test_bad_weights_are_refused() -> None:
    for weights in ((), (1, 0), (-1, 2)):
        with pytest.raises(ValueError):
            choose("s", "u", weights)


# --- serving -----------------------------------------------------------------------------------


def test_no_arm_without_a_running_experiment(session: Session) -> None:
    someone = customers(session, 1)[0]
    assert arm_for(session, "recommendations", customer_id=someone, now=T0) is None
    experiment(session, start=False)
    assert arm_for(session, "recommendations", customer_id=someone, now=T0) is None  # a draft assigns nobody
    start_experiment(session, "recs", at=T0)
    assert arm_for(session, "recommendations", customer_id=someone, now=T0 - timedelta(minutes=1)) is None
    assert arm_for(session, "recommendations", customer_id=someone, now=T0) is not None
    stop_experiment(session, "recs", at=T0 + timedelta(days=3))
    assert arm_for(session, "recommendations", customer_id=someone, now=T0 + timedelta(days=4)) is None


def test_a_customer_keeps_the_arm_on_every_linked_channel_and_is_exposed_once(session: Session) -> None:
    created = experiment(session)
    someone = customers(session, 1)[0]
    add_identity(session, someone, Channel.WEB, "shop-user-experiments", now=T0)
    add_identity(session, someone, Channel.WECHAT, "wx-openid-experiments", now=T0)
    web = find_customer(session, Channel.WEB, "shop-user-experiments")
    wechat = find_customer(session, Channel.WECHAT, "wx-openid-experiments")
    assert web is not None and wechat is not None and web.id == wechat.id == someone
    on_web = arm_for(
        session, "recommendations", customer_id=web.id, conversation_id="shop-user-experiments", channel="web", now=T0
    )
    on_wechat = arm_for(
        session,
        "recommendations",
        customer_id=wechat.id,
        conversation_id="wx-openid-experiments",
        channel="wechat",
        now=T0 + timedelta(days=1),
    )
    assert on_web is not None and on_wechat is not None
    assert (on_web.arm, on_web.unit) == (on_wechat.arm, on_wechat.unit) == (on_web.arm, f"customer:{someone}")
    expected = created.arms[choose(created.salt, f"customer:{someone}", (50, 50))].name
    assert on_web.arm == expected
    assert record_exposure(session, on_web, "web", now=T0)
    assert not record_exposure(session, on_wechat, "wechat", now=T0 + timedelta(days=1))
    rows = session.scalars(select(ExperimentExposure).where(ExperimentExposure.experiment_id == created.id)).all()
    assert [(r.unit, r.channel, r.exposed_at) for r in rows] == [(f"customer:{someone}", Channel.WEB, T0)]


def test_arms_are_balanced_over_the_demo_customers(session: Session) -> None:
    created = experiment(session)
    ids = customers(session, 1000)
    arms = [arm_for(session, "recommendations", customer_id=i, now=T0) for i in ids]
    counts = [sum(1 for a in arms if a is not None and a.arm == arm.name) for arm in created.arms]
    assert sum(counts) == len(ids)
    assert chisquare(counts).pvalue > 0.001


def test_guests_are_in_only_when_the_metric_can_see_them(session: Session) -> None:
    experiment(session, "clicks")
    assert arm_for(session, "recommendations", conversation_id="guest-123", channel="web", now=T0) is None
    stop_experiment(session, "clicks", at=T0 - timedelta(minutes=30))
    experiment(session, "self-service", metric="resolved")
    guest = arm_for(session, "recommendations", conversation_id="guest-123", channel="web", now=T0)
    assert guest is not None and guest.customer_id is None
    assert guest.unit == f"conversation:{sender_key('web', 'guest-123')}" and "guest-123" not in guest.unit
    again = arm_for(session, "recommendations", conversation_id="guest-123", channel="web", now=T0)
    assert again == guest
    assert arm_for(session, "recommendations", now=T0) is None  # nobody at all


def test_a_segment_target_takes_only_that_segment(session: Session) -> None:
    experiment(session, target="segment:at_risk")
    at_risk = customers(session, 3, segment=Segment.AT_RISK)
    others = customers(session, 3, segment=Segment.HIGH_VALUE)
    assert at_risk and others
    assert all(arm_for(session, "recommendations", customer_id=i, now=T0) is not None for i in at_risk)
    assert all(arm_for(session, "recommendations", customer_id=i, now=T0) is None for i in others)


def test_a_channel_target_takes_only_that_channel(session: Session) -> None:
    experiment(session, target="channel:wechat", metric="resolved")
    someone = customers(session, 1)[0]
    assert arm_for(session, "recommendations", customer_id=someone, channel="wechat", now=T0) is not None
    assert arm_for(session, "recommendations", customer_id=someone, channel="web", now=T0) is None
    assert arm_for(session, "recommendations", conversation_id="wx-guest", channel="wechat", now=T0) is not None


# --- definitions -------------------------------------------------------------------------------


def test_arm_settings_become_recommender_options() -> None:
    als = parse_arm("als:30:strategy=als,diversity=off")
    assert (als.name, als.weight) == ("als", 30)
    assert als.parameters == {"strategy": "als", "blend": {"popularity_weight": 0.0}, "diversity": False}
    tuned = parse_arm("mix:1:popularity_weight=0.4,personal_weight=0.8")
    assert tuned.parameters == {"blend": {"popularity_weight": 0.4, "personal_weight": 0.8}}
    assert parse_arm("control:70").parameters == {}


def test_the_explanation_style_is_a_display_setting_checked_at_creation(session: Session) -> None:
    bare = parse_arm("bare:1:explanation=none,strategy=als")
    assert bare.parameters["explanation"] == "none" and "explanation" not in recommend_options(bare.parameters)
    assert describe(bare.parameters) == "strategy=als explanation=none popularity_weight=0"
    assert parse_arm("told:1:explanation=Reasons").parameters == {"explanation": "reasons"}
    assert explanation_style({}) == "reasons" and explanation_style(bare.parameters) == "none"
    for unknown in ("verbose", "short", ""):
        with pytest.raises(InvalidInput, match="explanation must be one of reasons, none|settings are key=value"):
            parse_arm(f"b:1:explanation={unknown}")
    create_experiment(session, "styles", [parse_arm("control:1"), bare], metric="rec_click", planned_per_arm=10)
    stored = get_experiment(session, "styles").arms[1].parameters
    assert stored["explanation"] == "none"
    for surface in ("replies", "outreach"):  # a display setting of recommendations only
        with pytest.raises(InvalidInput, match="wordings only|message only"):
            create_experiment(
                session,
                f"styles-{surface}",
                [parse_arm("control:1"), parse_arm("b:1:explanation=none")],
                metric="resolved",
                planned_per_arm=10,
                surface=surface,
            )


@pytest.mark.parametrize(
    "bad",
    [
        "Control:50",
        "a:1:explanation=verbose",
        "a:0",
        "a:x",
        "a:1:strategy=magic",
        "a:1:colour=red",
        "a:1:diversity=maybe",
        "a:1:text_weight=-1",
        "a:1:novalue",
        "a:1:text_weight=lots",
    ],
)
def test_bad_arms_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_arm(bad)


def test_bad_experiments_are_refused_and_nothing_is_written(session: Session) -> None:
    arms = [parse_arm("control:1"), parse_arm("b:1:diversity=off")]
    cases: list[dict[str, Any]] = [
        dict(key="Bad Key", arms=arms),
        dict(key="one-arm", arms=arms[:1]),
        dict(key="twins", arms=[arms[0], arms[0]]),
        dict(key="metric", arms=arms, metric="happiness"),
        dict(key="target", arms=arms, target="segment:vip"),
        dict(key="alpha", arms=arms, alpha=0.7),
    ]
    for case in cases:
        options: dict[str, Any] = {"metric": "rec_click", "planned_per_arm": 100, **case}
        with pytest.raises(InvalidInput):
            create_experiment(session, options.pop("key"), options.pop("arms"), **options)
    assert session.scalar(select(func.count()).select_from(Experiment)) == 0
    experiment(session, "taken", start=False)
    with pytest.raises(InvalidInput, match="exists already"):
        experiment(session, "taken", start=False)
    with pytest.raises(ExperimentNotFound):
        get_experiment(session, "nobody")


def test_one_running_experiment_per_surface_and_no_restart(session: Session) -> None:
    experiment(session, "first")
    experiment(session, "second", start=False)
    with pytest.raises(InvalidInput, match="already runs"):
        start_experiment(session, "second")
    stop_experiment(session, "first", at=T0)
    with pytest.raises(InvalidInput, match="only a draft can start"):
        start_experiment(session, "first")
    with pytest.raises(InvalidInput, match="not running"):
        stop_experiment(session, "first")
    assert start_experiment(session, "second").status.value == "running"


# --- outcomes ----------------------------------------------------------------------------------


def expose(
    session: Session,
    created: Experiment,
    arm: int,
    customer_id: int | None,
    at: datetime,
    conversation_key: str | None = None,
) -> None:
    unit = f"customer:{customer_id}" if customer_id is not None else f"conversation:{conversation_key}"
    session.add(
        ExperimentExposure(
            experiment_id=created.id,
            arm_id=created.arms[arm].id,
            unit=unit,
            customer_id=customer_id,
            conversation_key=conversation_key,
            channel=Channel.WEB,
            exposed_at=at,
        )
    )


def interaction(session: Session, customer_id: int, kind: InteractionKind, at: datetime) -> None:
    session.add(
        Interaction(customer_id=customer_id, product_id=1, kind=kind, weight=1.0, channel=Channel.WEB, occurred_at=at)
    )


def test_conversions_count_within_the_window_after_the_exposure(session: Session) -> None:
    created = experiment(session, metric="rec_click")
    a, b, c, d, e, f = customers(session, 6)
    session.execute(delete(Interaction).where(Interaction.customer_id.in_([a, b, c, d, e, f])))
    expose(session, created, 0, a, T0)
    interaction(session, a, InteractionKind.REC_CLICK, T0 + timedelta(days=2))  # converts
    interaction(session, a, InteractionKind.REC_CLICK, T0 + timedelta(days=3))  # still one unit
    expose(session, created, 0, b, T0)
    interaction(session, b, InteractionKind.REC_CLICK, T0 - timedelta(hours=1))  # before: not caused by it
    interaction(session, b, InteractionKind.REC_CLICK, T0 + timedelta(days=8))  # after the 7-day window
    expose(session, created, 1, c, T0)
    interaction(session, c, InteractionKind.ADD_TO_CART, T0 + timedelta(days=1))  # another metric's event
    expose(session, created, 1, d, T0)
    interaction(session, d, InteractionKind.REC_CLICK, T0 + timedelta(days=7))  # on the window's edge
    expose(session, created, 1, e, T0 + timedelta(days=9))  # window not over by the report: not analysed
    interaction(session, e, InteractionKind.REC_CLICK, T0 + timedelta(days=9, hours=1))
    expose(session, created, 0, f, T0 + timedelta(days=2))
    session.flush()
    counts = arm_counts(session, created, T0 + timedelta(days=10))
    assert [(x.name, x.exposed, x.analysed, x.conversions) for x in counts] == [("control", 3, 3, 1), ("als", 3, 2, 1)]


def test_add_to_cart_and_resolved_conversations(session: Session) -> None:
    carts = experiment(session, "carts", metric="add_to_cart")
    a, b = customers(session, 2)
    session.execute(delete(Interaction).where(Interaction.customer_id.in_([a, b])))
    expose(session, carts, 0, a, T0)
    interaction(session, a, InteractionKind.ADD_TO_CART, T0 + timedelta(hours=5))
    expose(session, carts, 1, b, T0)
    interaction(session, b, InteractionKind.REC_CLICK, T0 + timedelta(hours=5))
    session.flush()
    assert [x.conversions for x in arm_counts(session, carts, T0 + timedelta(days=30))] == [1, 0]

    stop_experiment(session, "carts", at=T0)
    resolved = experiment(session, "resolved", metric="resolved")
    key = sender_key("web", "guest-resolved")
    expose(session, resolved, 1, None, T0, conversation_key=key)
    session.add(
        Conversation(
            channel=Channel.WEB,
            sender_key=key,
            status=ConversationStatus.RESOLVED_BY_BOT,
            started_at=T0 - timedelta(minutes=5),
            ended_at=T0 + timedelta(minutes=10),
        )
    )
    expose(session, resolved, 0, a, T0)
    session.add(
        Conversation(
            channel=Channel.WEB,
            customer_id=a,
            status=ConversationStatus.HANDED_OFF,
            started_at=T0 - timedelta(minutes=5),
            ended_at=T0 + timedelta(minutes=10),
        )
    )
    session.flush()
    counts = arm_counts(session, resolved, T0 + timedelta(days=30))
    assert [(x.analysed, x.conversions) for x in counts] == [(1, 0), (1, 1)]


def test_start_and_stop_can_be_scheduled(session: Session) -> None:
    someone = customers(session, 1)[0]
    now = T0
    experiment(session, "later", start=False)
    start_experiment(session, "later", at=now + timedelta(days=1), now=now)
    assert arm_for(session, "recommendations", customer_id=someone, now=now) is None
    assert arm_for(session, "recommendations", customer_id=someone, now=now + timedelta(days=1)) is not None
    with pytest.raises(InvalidInput, match="cannot stop before"):
        stop_experiment(session, "later", at=now + timedelta(hours=1), now=now)
    scheduled = stop_experiment(session, "later", at=now + timedelta(days=8), now=now)
    assert scheduled.status.value == "running"  # until its stop time
    assert arm_for(session, "recommendations", customer_id=someone, now=now + timedelta(days=7)) is not None
    assert arm_for(session, "recommendations", customer_id=someone, now=now + timedelta(days=8)) is None
    experiment(session, "next", start=False)
    with pytest.raises(InvalidInput, match="already runs"):
        start_experiment(session, "next", at=now + timedelta(days=2), now=now + timedelta(days=2))
    started = start_experiment(session, "next", at=now + timedelta(days=9), now=now + timedelta(days=9))
    assert started.status.value == "running" and scheduled.status.value == "stopped"  # settled on the way


def test_purchases_are_paid_orders_after_the_exposure(session: Session) -> None:
    from crm.models import PURCHASE_STATUSES, Order

    created = experiment(session, "buy", metric="purchase")
    order = session.scalars(select(Order).where(Order.status.in_(PURCHASE_STATUSES)).order_by(Order.id).limit(1)).one()
    buyer = order.customer_id
    no_orders = session.scalars(select(Customer.id).where(~Customer.orders.any()).order_by(Customer.id).limit(1)).one()
    cancelled = next(
        o
        for o in session.scalars(select(Order).where(Order.status == "cancelled").order_by(Order.id))
        if o.customer_id != buyer
        and not session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.customer_id == o.customer_id,
                Order.status.in_(PURCHASE_STATUSES),
                Order.placed_at >= o.placed_at - timedelta(days=1),
            )
        )
    )
    expose(session, created, 0, buyer, order.placed_at - timedelta(days=1))
    expose(session, created, 1, no_orders, order.placed_at - timedelta(days=1))
    expose(session, created, 1, cancelled.customer_id, cancelled.placed_at - timedelta(days=1))  # not a purchase
    session.flush()
    latest = max(order.placed_at, cancelled.placed_at)
    counts = arm_counts(session, created, latest + timedelta(days=30))
    assert [(x.analysed, x.conversions) for x in counts] == [(1, 1), (2, 0)]


def test_erasure_deletes_what_the_customer_was_shown(session: Session) -> None:
    from crm.privacy import erase_customer

    created = experiment(session, "erased", metric="resolved")
    someone, other = customers(session, 2)
    key = sender_key("web", "guest-before-login")
    session.add(
        Conversation(
            channel=Channel.WEB,
            customer_id=someone,
            sender_key=key,
            status=ConversationStatus.RESOLVED_BY_BOT,
            started_at=T0,
            ended_at=T0,
        )
    )
    expose(session, created, 0, someone, T0)
    expose(session, created, 1, None, T0, conversation_key=key)  # exposed as a guest, then known
    expose(session, created, 1, other, T0)
    session.flush()
    erase_customer(session, someone, actor="test")
    left = session.scalars(select(ExperimentExposure.unit).where(ExperimentExposure.experiment_id == created.id))
    assert list(left) == [f"customer:{other}"]


@pytest.mark.postgres
def test_two_action_servers_recording_one_unit_write_one_row(tmp_path: Path) -> None:
    """The second insert waits for the first transaction, meets the unique key and reports "not new"
    (or sees the row at once, if the first committed before it looked): one exposure either way."""
    with empty_database("postgres", tmp_path) as engine:
        upgrade(engine)
        with Session(engine) as setup, setup.begin():
            experiment(setup, "race", metric="resolved")
            assignment = arm_for(setup, "recommendations", conversation_id="guest-race", channel="web", now=T0)
        assert assignment is not None
        first, second = Session(engine), Session(engine)
        outcome: dict[str, bool] = {}
        try:
            first.begin()
            assert record_exposure(first, assignment, "web", now=T0)
            with second.begin():
                racing = threading.Thread(
                    target=lambda: outcome.update(second=record_exposure(second, assignment, "web"))
                )
                racing.start()
                racing.join(0.5)  # usually still waiting for the first transaction's row
                first.commit()
                racing.join(30)
        finally:
            first.close()
            second.close()
        assert outcome == {"second": False}
        with Session(engine) as check:
            assert check.scalar(select(func.count()).select_from(ExperimentExposure)) == 1

"""The dashboard's figures on a small CRM whose every count is known, and its charts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm.db import transaction
from crm.models import (
    Category,
    Conversation,
    ConversationStatus,
    Customer,
    HandoffRequest,
    HandoffStatus,
    Interaction,
    Message,
    Product,
    Review,
)
from crm.service_metrics import ServiceFigures
from console import charts
from console import dashboard as dashboard_module
from console.dashboard import DEFINITIONS, compute_dashboard

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)  # 20:00 in Shanghai
DAY = timedelta(days=1)


def conversation(
    session: Session,
    channel: str,
    status: str,
    started: datetime,
    messages: tuple[tuple[str | None, float | None], ...] = (),
) -> Conversation:
    row = Conversation(channel=channel, status=ConversationStatus(status), started_at=started, language="en")
    session.add(row)
    session.flush()
    for intent, confidence in messages:
        session.add(
            Message(
                conversation_id=row.id,
                sender="customer",
                text="…",
                intent=intent,
                confidence=confidence,
                created_at=started + timedelta(seconds=5),
            )
        )
    session.add(Message(conversation_id=row.id, sender="bot", text="…", created_at=started + timedelta(seconds=9)))
    return row


def handoff(session: Session, row: Conversation, requested: datetime, assigned: datetime | None, status: str) -> None:
    session.add(
        HandoffRequest(
            conversation_id=row.id,
            reason="customer asked",
            status=HandoffStatus(status),
            requested_at=requested,
            assigned_at=assigned,
            priority=0,
        )
    )


@pytest.fixture
def shop(empty: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(empty) as session:
        session.add(Category(id=1, slug="shoes", name_en="Shoes", name_zh="鞋"))
        for pid in (1, 2, 3, 4):
            session.add(
                Product(
                    id=pid,
                    sku=f"S-{pid}",
                    name_en=f"Shoe {pid}",
                    name_zh=f"鞋{pid}",
                    description_en="",
                    description_zh="",
                    category_id=1,
                    brand="b",
                    price=Decimal("100"),
                    stock=5,
                    created_at=NOW - 400 * DAY,
                )
            )
        happy = Customer(name="A", created_at=NOW - 100 * DAY, satisfaction=4.5, last_contact_at=NOW - DAY)
        unhappy = Customer(name="B", created_at=NOW - 100 * DAY, satisfaction=2.0, last_contact_at=NOW - 2 * DAY)
        long_ago = Customer(name="C", created_at=NOW - 100 * DAY, satisfaction=5.0, last_contact_at=NOW - 60 * DAY)
        session.add_all([happy, unhappy, long_ago])
        session.flush()

        day3 = NOW - 3 * DAY
        conversation(session, "web", "resolved_by_bot", day3, (("track_order", 0.9), (None, None)))
        handed = conversation(session, "web", "handed_off", day3 + timedelta(hours=1), (("nlu_fallback", 0.3),))
        handoff(session, handed, day3 + timedelta(hours=1), day3 + timedelta(hours=1, minutes=6), "assigned")
        served = conversation(session, "wechat", "resolved_by_agent", NOW - DAY, (("greet", 0.45),))
        handoff(session, served, NOW - DAY, NOW - DAY + timedelta(minutes=2), "closed")
        conversation(session, "rest", "abandoned", NOW - 2 * DAY, (("track_order", 0.8),))
        queued = conversation(session, "web", "handed_off", NOW - timedelta(minutes=30))
        handoff(session, queued, NOW - timedelta(minutes=30), None, "waiting")
        conversation(session, "web", "resolved_by_bot", NOW - 40 * DAY, (("greet", 0.2),))  # before the window

        clicked = NOW - 6 * DAY
        for pid in (1, 2, 3, 4):
            session.add(
                Interaction(
                    customer_id=happy.id,
                    product_id=pid,
                    kind="rec_impression",
                    weight=0.2,
                    channel="web",
                    occurred_at=clicked - timedelta(minutes=1),
                )
            )
        for pid in (1, 2, 3):
            session.add(
                Interaction(
                    customer_id=happy.id, product_id=pid, kind="rec_click", weight=3, channel="web", occurred_at=clicked
                )
            )
        session.add(
            Interaction(
                customer_id=happy.id,
                product_id=1,
                kind="purchase",
                weight=8,
                channel="web",
                occurred_at=clicked + 2 * DAY,
            )
        )  # within 7 days of its click
        session.add(
            Interaction(
                customer_id=happy.id, product_id=3, kind="purchase", weight=8, channel="web", occurred_at=clicked - DAY
            )
        )  # before the click: not caused by it
        session.add(
            Interaction(
                customer_id=unhappy.id,
                product_id=2,
                kind="purchase",
                weight=8,
                channel="web",
                occurred_at=clicked + DAY,
            )
        )  # someone else
        session.add_all(
            [
                Review(customer_id=happy.id, product_id=1, rating=4, language="en", created_at=NOW - DAY),
                Review(customer_id=unhappy.id, product_id=2, rating=2, language="en", created_at=NOW - DAY),
                Review(customer_id=unhappy.id, product_id=3, rating=5, language="en", created_at=NOW - 50 * DAY),
            ]
        )
    return empty


def test_the_figures(shop: sessionmaker[Session]) -> None:
    with shop() as session:
        board = compute_dashboard(session, 7, SHANGHAI, now=NOW)
    assert board.start == datetime(2026, 3, 4, tzinfo=SHANGHAI) and board.day_list[-1] == date(2026, 3, 10)
    assert board.conversations == 5 and board.with_handoff == 3 and board.handoff_rate == pytest.approx(0.6)
    # containment, fallback and waits are crm.service_metrics' (one definition), not a second count here
    service = board.service
    assert (service.contained, service.conversations) == (1, 5) and service.containment == pytest.approx(0.2)
    assert (service.failed_messages, service.customer_messages) == (1, 5)
    assert (board.predicted_messages, board.low_confidence_messages) == (4, 2)
    assert board.low_confidence_rate == pytest.approx(0.5)
    # the request still waiting counts with its wait so far (30 minutes), not only the two taken ones
    assert sorted(service.waits_minutes) == pytest.approx([2.0, 6.0, 30.0]) and service.median_wait == 6.0
    assert service.open_waits == 1 and service.longest_open_wait_minutes == pytest.approx(30.0)
    for removed in ("containment", "fallback_rate", "resolved_by_bot", "fallback_messages", "median_wait"):
        assert not hasattr(board, removed)  # no second, flattering figure
    assert (board.satisfied, board.with_satisfaction, board.csat) == (1, 2, 0.5)
    assert board.average_satisfaction == pytest.approx(3.25)
    assert (board.reviews, board.average_rating) == (2, 3.0)
    assert (board.impressions, board.clicks, board.purchases_after_click) == (4, 3, 1)
    assert board.ctr == pytest.approx(0.75) and board.rec_conversion == pytest.approx(1 / 3)
    assert board.top_intents[0] == ("track_order", 2)
    day = (NOW - 3 * DAY).astimezone(SHANGHAI).date()
    assert board.per_day_channel[day] == {"web": 2}
    assert len(board.rates_by_bucket) == 7 and board.shop.conversations == 5


@pytest.mark.parametrize("days", [7, 90])  # daily buckets, weekly buckets
def test_the_rates_over_time_come_from_the_one_pass_of_the_cards(
    shop: sessionmaker[Session], days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window's service figures are computed once; each bucket's containment and fallback rate are what
    compute_service gives over that bucket's own [start, end)."""
    calls = []
    real = dashboard_module.compute_service

    def counted(*args: Any, **kwargs: Any) -> ServiceFigures:
        calls.append(args[1:3])
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboard_module, "compute_service", counted)
    with shop() as session:
        board = compute_dashboard(session, days, SHANGHAI, now=NOW)
        assert calls == [(board.start, board.end)]
        step = 1 if days <= 31 else 7
        seen = 0
        for b, containment, fallback, _ in board.rates_by_bucket:
            bucket_start = datetime.combine(b, datetime.min.time(), SHANGHAI)
            bucket_end = min(board.end, datetime.combine(b + timedelta(days=step), datetime.min.time(), SHANGHAI))
            alone = real(session, bucket_start, bucket_end, SHANGHAI)
            assert (containment, fallback) == (alone.containment, alone.fallback_rate)
            seen += containment is not None
    assert seen >= 1 and len(board.rates_by_bucket) == -(-days // step)


def test_every_figure_has_a_definition() -> None:
    assert not set(DEFINITIONS) & {"containment", "fallback", "wait", "waiting_now"}  # the flattering ones are gone
    assert set(DEFINITIONS) >= {
        "service_containment",
        "service_fallback",
        "handoff",
        "service_wait",
        "service_longest",
        "csat",
        "ctr",
        "rec_conversion",
        "conversion_rate",
        "engagement_rate",
        "service_efficiency",
        "repeat_purchase_rate",
    }


def test_empty_crm(empty: sessionmaker[Session]) -> None:
    with empty() as session:
        board = compute_dashboard(session, 30, SHANGHAI, now=NOW)
    assert board.conversations == 0 and board.service.containment is None and board.csat is None
    assert board.service.median_wait is None and all(row[1:] == (None, None, None) for row in board.rates_by_bucket)
    for draw in charts.CHARTS.values():
        assert b"<svg" in draw(board)


@pytest.mark.filterwarnings("ignore:Glyph")  # matplotlib's font has no Chinese; the browser draws the SVG's text
def test_charts_are_svg(shop: sessionmaker[Session]) -> None:
    with shop() as session:
        board = compute_dashboard(session, 7, SHANGHAI, now=NOW)
    for name, draw in charts.CHARTS.items():
        svg = draw(board).decode()
        assert svg.startswith("<?xml") and "<svg" in svg, name
    assert "WeChat" in charts.conversations_per_day(board).decode()
    assert "微信" in charts.conversations_per_day(board, "zh").decode()
    assert "点击后 7 天内购买" in charts.recommendation_funnel(board, "zh").decode()
    labelled = charts.top_intents(
        board, "zh", {name: {"zh": f"意图{i}"} for i, (name, _) in enumerate(board.top_intents)}
    )
    assert all(f"意图{i}" in labelled.decode() for i in range(len(board.top_intents)))
    assert "purchases" in charts.recommendation_funnel(board).decode()


@pytest.mark.filterwarnings("ignore:Glyph")  # matplotlib's font has no Chinese; the browser draws the SVG's text
def test_the_rates_over_time_are_the_honest_ones(empty: sessionmaker[Session]) -> None:
    """Per day, containment and fallback by crm.service_metrics' definition: a refund left at the form's question
    is not contained though the bot "resolved" it, and an FAQ answer the customer rejected is a fallback though
    the NLU understood the question."""
    day = NOW - 2 * DAY
    with transaction(empty) as session:
        for turns in (
            (("customer", "get_refund", None), ("bot", None, "action_ask_order_id")),  # stuck: not contained
            (("customer", "track_order", None), ("bot", None, "action_track_order")),  # contained
            (("customer", "faq_delivery", None), ("bot", None, "action_answer_faq"), ("customer", "deny", None)),
        ):
            row = Conversation(channel="web", status=ConversationStatus.RESOLVED_BY_BOT, started_at=day, language="en")
            session.add(row)
            session.flush()
            for minute, (who, intent, action) in enumerate(turns):
                session.add(
                    Message(
                        conversation_id=row.id,
                        sender=who,
                        text=f"m{minute}",
                        intent=intent,
                        action=action,
                        created_at=day + timedelta(minutes=minute),
                    )
                )
    with empty() as session:
        board = compute_dashboard(session, 7, SHANGHAI, now=NOW)
    assert board.service.containment == pytest.approx(1 / 3)  # the old "resolved by the bot" said 3 of 3
    assert board.service.fallback_rate == pytest.approx(1 / 4)  # the old count of nlu_fallback said 0 of 4
    by_day = {row[0]: row[1:] for row in board.rates_by_bucket}
    assert list(by_day[day.astimezone(SHANGHAI).date()]) == pytest.approx([1 / 3, 1 / 4, 0.0])
    assert sum(1 for rates in by_day.values() if rates[0] is not None) == 1  # days without conversations: none
    svg = charts.rates_over_time(board).decode()
    assert "containment" in svg and "self-service" not in svg
    assert "机器人独立解决" in charts.rates_over_time(board, "zh").decode()

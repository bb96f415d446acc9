"""The dashboard's figures on a small CRM whose every count is known, and its charts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
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
from console import charts
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
    assert board.conversations == 5 and board.resolved_by_bot == 1 and board.containment == pytest.approx(0.2)
    assert board.with_handoff == 3 and board.handoff_rate == pytest.approx(0.6)
    assert (
        board.customer_messages,
        board.fallback_messages,
        board.predicted_messages,
        board.low_confidence_messages,
    ) == (5, 1, 4, 2)
    assert board.fallback_rate == pytest.approx(0.2) and board.low_confidence_rate == pytest.approx(0.5)
    assert sorted(board.waits_minutes) == pytest.approx([2.0, 6.0]) and board.median_wait == pytest.approx(4.0)
    assert board.waiting_now == 1 and board.longest_wait_minutes == pytest.approx(30.0)
    assert (board.satisfied, board.with_satisfaction, board.csat) == (1, 2, 0.5)
    assert board.average_satisfaction == pytest.approx(3.25)
    assert (board.reviews, board.average_rating) == (2, 3.0)
    assert (board.impressions, board.clicks, board.purchases_after_click) == (4, 3, 1)
    assert board.ctr == pytest.approx(0.75) and board.rec_conversion == pytest.approx(1 / 3)
    assert board.top_intents[0] == ("track_order", 2)
    day = (NOW - 3 * DAY).astimezone(SHANGHAI).date()
    assert board.per_day_channel[day] == {"web": 2}
    assert len(board.rates_by_bucket) == 7 and board.shop.conversations == 5


def test_every_figure_has_a_definition() -> None:
    assert set(DEFINITIONS) >= {
        "containment",
        "fallback",
        "handoff",
        "wait",
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
    assert board.conversations == 0 and board.containment is None and board.csat is None and board.median_wait is None
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

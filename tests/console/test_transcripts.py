"""Finding conversations: each filter, and search over the decrypted texts."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from crm.db import transaction
from crm.repository import close_conversation, create_customer, open_conversation, record_message, request_handoff
from console.i18n import describe
from console import transcripts
from console.transcripts import Filters, find_conversations

UTC = ZoneInfo("UTC")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def build(factory: sessionmaker[Session]) -> dict[str, int]:
    with transaction(factory) as session:
        alice = create_customer(session, name="Alice", language="en", identities=[("web", "alice-web")])
        ids = {}
        ids["web"] = open_conversation(session, "web", "alice-web", customer_id=alice.id, language="en", now=at(1))
        record_message(
            session, ids["web"], "customer", "Where is my PARCEL?", intent="track_order", confidence=0.9, at=at(1)
        )
        close_conversation(session, ids["web"], "resolved_by_bot", now=at(1, 11))
        ids["wechat"] = open_conversation(session, "wechat", "wx-1", language="zh", now=at(3))
        record_message(
            session, ids["wechat"], "customer", "我的包裹到哪了", intent="nlu_fallback", confidence=0.3, at=at(3)
        )
        ids["rest"] = open_conversation(session, "rest", "r-1", language="en", now=at(5))
        record_message(
            session, ids["rest"], "customer", "human please", intent="contact_human_agent", confidence=0.6, at=at(5)
        )
        record_message(session, ids["rest"], "bot", "A colleague will reply about your parcel.", at=at(5))
        request_handoff(session, ids["rest"], reason="customer asked")
    return ids


def found(factory: sessionmaker[Session], **filters: Any) -> list[int]:
    with factory() as session:
        return [row.id for row in find_conversations(session, Filters(**filters), UTC).rows]


def test_each_filter(empty: sessionmaker[Session]) -> None:
    ids = build(empty)
    assert found(empty) == [ids["rest"], ids["wechat"], ids["web"]]  # newest first
    assert found(empty, channel=transcripts.Channel.WECHAT) == [ids["wechat"]]
    assert found(empty, date_from=date(2026, 3, 2), date_to=date(2026, 3, 3)) == [ids["wechat"]]
    assert found(empty, intent="track_order") == [ids["web"]]
    assert found(empty, low_confidence=True) == [ids["wechat"]]
    assert found(empty, fallback=True) == [ids["wechat"]]
    assert found(empty, handoff=True) == [ids["rest"]]
    assert found(empty, outcome=transcripts.ConversationStatus.RESOLVED_BY_BOT) == [ids["web"]]
    assert found(empty, customer="web:alice-web") == [ids["web"]]
    assert found(empty, language=transcripts.Language.ZH) == [ids["wechat"]]
    with empty() as session:
        missing = find_conversations(session, Filters(customer="web:nobody"), UTC)
    assert missing.rows == [] and missing.error is not None
    assert describe("zh", missing.error) == "没有找到客户 web:nobody。"  # in the reader's language
    assert describe("en", missing.error) == "No customer web:nobody."


def test_search_decrypts_and_matches_any_case_and_language(empty: sessionmaker[Session]) -> None:
    ids = build(empty)
    assert found(empty, query="parcel") == [ids["rest"], ids["web"]]  # a bot message matches too
    assert found(empty, query="包裹") == [ids["wechat"]]
    assert found(empty, query="parcel", channel=transcripts.Channel.WEB) == [ids["web"]]
    with empty() as session:
        result = find_conversations(session, Filters(query="PARCEL"), UTC)
    assert (result.scanned, result.candidates, result.total) == (3, 3, 2)
    assert result.rows[1].preview == "Where is my PARCEL?" and result.rows[1].matches == 1


def test_the_query_string_round_trips() -> None:
    filters = Filters.parse({"channel": "web", "from": "2026-03-01", "low_confidence": "1", "q": "退款", "page": "2"})
    assert filters.channel == transcripts.Channel.WEB and filters.low_confidence and filters.page == 2
    assert Filters.parse(dict(parse_qsl(filters.query_string(page=3)))) == Filters(
        channel=filters.channel, date_from=filters.date_from, low_confidence=True, query="退款", page=3
    )

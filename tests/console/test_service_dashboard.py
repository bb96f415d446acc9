"""The dashboard's service figures (#16 items 4-5) on a CRM whose every count is known: the section in English
and in Chinese with each figure's definition on the page, CSAT per agent, intent and week, and the CSV
download (supervisors only, a GET without CSRF, cells a spreadsheet would run kept as text)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session, sessionmaker

from crm.db import transaction
from crm.models import Conversation, ConversationStatus, HandoffRequest, HandoffStatus, Message
from crm.privacy import utcnow
from crm.repository import record_score, start_survey
from crm.repository.conversations import sender_key
from console.app import make_app
from console.i18n import translate
from console.service_csv import safe_cell
from tests.console.conftest import new_user
from tests.console.test_web import Staff, console_config


def add_conversation(
    session: Session, now: datetime, status: str, turns: list[tuple[str, str | None]], sender: str | None = None
):
    started = now - timedelta(hours=3)
    row = Conversation(
        channel="web",
        status=ConversationStatus(status),
        started_at=started,
        language="en",
        sender_key=None if sender is None else sender_key("web", sender),
    )
    session.add(row)
    session.flush()
    for minute, (who, label) in enumerate(turns):
        session.add(
            Message(
                conversation_id=row.id,
                sender=who,
                text=f"message {minute}",
                intent=label if who == "customer" else None,
                action=label if who == "bot" else None,
                created_at=started + timedelta(minutes=minute),
            )
        )
    return row


@pytest.fixture
def shop(empty: sessionmaker[Session]) -> sessionmaker[Session]:
    # the page measures waits from its own clock: the data is placed relative to the time the test runs
    now = utcnow()
    with transaction(empty) as session:
        add_conversation(session, now, "resolved_by_bot", [("customer", "get_refund"), ("bot", "action_ask_order_id")])
        add_conversation(session, now, "resolved_by_bot", [("customer", "track_order"), ("bot", "action_track_order")])
        add_conversation(
            session,
            now,
            "resolved_by_bot",
            [("customer", "faq_delivery"), ("bot", "action_answer_faq"), ("customer", "deny")],
        )
        served = add_conversation(
            session, now, "resolved_by_agent", [("customer", "get_refund"), ("agent", None)], sender="web-served"
        )
        session.flush()
        session.add(
            HandoffRequest(
                conversation_id=served.id,
                reason="customer asked",
                status=HandoffStatus.CLOSED,
                agent="=HYPERLINK(1)",
                requested_at=now - timedelta(hours=3),
                assigned_at=now - timedelta(hours=3) + timedelta(seconds=30),
                closed_at=now - timedelta(hours=2),
                priority=0,
            )
        )
        forgotten = add_conversation(session, now, "handed_off", [("customer", "contact_human_agent")])
        session.flush()
        session.add(
            HandoffRequest(
                conversation_id=forgotten.id,
                reason="customer asked",
                status=HandoffStatus.WAITING,
                requested_at=now - timedelta(minutes=1313),
                priority=0,
            )
        )
        session.flush()
        start_survey(session, "web", "web-served", trigger="handoff", intent="get_refund", language="en")
        record_score(session, "web", "web-served", 5)
    return empty


@pytest.fixture
async def client(shop: sessionmaker[Session], tmp_path: Path) -> AsyncIterator[TestClient]:
    engine = shop.kw["bind"]
    client = TestClient(TestServer(make_app(console_config(engine, tmp_path, "http://127.0.0.1:9"))))
    await client.start_server()
    yield client
    await client.close()


async def sign_in(client: TestClient, shop: sessionmaker[Session], role: str, language: str = "en") -> Staff:
    staff = Staff(client)
    assert (await staff.login(new_user(shop, role, language=language))).status == 303
    return staff


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_the_service_section_with_its_definitions(
    client: TestClient, shop: sessionmaker[Session], language: str
) -> None:
    staff = await sign_in(client, shop, "supervisor", language)
    page = await staff.page("/dashboard?days=7")
    section = page[page.index('id="service-quality"') :]
    cards = page[page.index('id="assistant-metrics"') : page.index('id="service-quality"')]

    def said(key: str, **values: object) -> str:
        return translate(language, key, **values)

    assert said("service.title") in section
    # the top cards are the honest figures, each once on the page
    for key in ("service.containment", "service.fallback", "service.wait", "service.longest_open"):
        assert said(key) in cards
    for card in ("service-containment", "service-fallback", "service-wait", "service-longest"):
        assert page.count(f'id="{card}"') == 1 and f'id="{card}"' in cards
    # the flattering figures are gone: 3 of 5 "resolved by the bot" (60 %), 0 of 6 messages nlu_fallback (0 %)
    assert "60.0 %" not in page and ">0.0 %<" not in cards
    old_labels = ("自助解决率", "机器人解决", "未识别率") if language == "zh" else ("Self-service", "resolved by the")
    assert not any(old in page for old in old_labels)
    for key in (
        "definition.service_containment",
        "definition.service_fallback",
        "definition.service_wait",
        "definition.first_response",
        "definition.csat_survey",
    ):
        assert f"<dd>{escape(said(key))}</dd>" in section  # on the page, not only on hover
    # five conversations, one contained: the stuck refund, the rejected FAQ answer and both hand-offs are not
    assert said("service.contained", part="1", whole="5") in cards and "20.0 %" in cards
    # one customer message of six failed: the one the FAQ answer was for (understood by the NLU), rejected by the
    # deny after it
    assert said("service.fallback_from", part="1", whole="6", n="1") in cards and "16.7 %" in cards
    assert said("common.minutes", n="1,313") in cards  # the longest open wait, not hidden by the median
    agents = section[section.index('id="service-agents"') :]
    assert "=HYPERLINK(1)" in agents and said("common.minutes", n="59.5") in agents  # handle time
    by_intent = section[section.index('id="csat-by-intent"') :]
    assert ("申请退款" if language == "zh" else "asking for a refund") in by_intent and "100.0 %" in by_intent
    assert 'href="/dashboard/service.csv?days=7"' in section


async def test_the_csv_download_is_for_supervisors(client: TestClient, shop: sessionmaker[Session]) -> None:
    agent = await sign_in(client, shop, "agent")
    assert "This page is for" in await agent.page("/dashboard/service.csv?days=7", status=403)
    await agent.post("/logout")

    await sign_in(client, shop, "supervisor")
    response = await client.get("/dashboard/service.csv?days=7")
    assert response.status == 200 and response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kelian-service-7d.csv"'
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0] == ["figure", "group", "value", "part", "whole"]
    table = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert table[("containment", "")] == ["0.2", "1", "5"]
    assert table[("fallback_rate", "")][1:] == ["1", "6"]
    assert float(table[("longest_open_wait_minutes", "")][0]) == pytest.approx(1313, abs=1)
    assert table[("csat_response_rate", "")] == ["1.0", "1", "1"]
    assert table[("csat", "intent:get_refund")] == ["1.0", "1", "1"]
    assert table[("handoffs", "agent:=HYPERLINK(1)")] == ["1", "", ""]
    assert table[("handle_time_median_minutes", "agent:=HYPERLINK(1)")] == ["59.5", "", "1"]


def test_a_cell_a_spreadsheet_would_run_is_written_as_text() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "agent:x", 3)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "agent:x",
        3,
    ]

"""Business hours with the whole stack (#16 item 3): outside them, a web customer who asks for a person on the
chat page is told, in their language, when people are back in the shop's time, and a ticket is opened for
them instead of a place in the queue.

This module runs a stack of its own (Rasa server and action server on the session's demo CRM) whose shop
is open only on the day after tomorrow, so the team is away whenever the test runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.web_auth import issue_user_token, web_secret
from crm.db import run_transaction
from crm.hours import DAYS
from crm.models import HandoffRequest, Ticket, TicketStatus
from crm.repository import add_identity, find_customer
from actions.knowledge import fact
from devstack.config import StackConfig, free_port
from devstack.stack import Stack
from tests.e2e.webchat_page import Chat

pytestmark = pytest.mark.e2e
BACK = datetime.now(timezone.utc) + timedelta(days=2)  # the only open day: the day after tomorrow (UTC)


@pytest.fixture(scope="module")
def closed_stack(tmp_path_factory: pytest.TempPathFactory, crm_url: str) -> Iterator[Stack]:
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        console_port=free_port(),
        var_dir=tmp_path_factory.mktemp("var-after-hours"),
        extra_env={
            "CRM_DATABASE_URL": crm_url,
            "KELIAN_SHOP_TZ": "UTC",
            "KELIAN_BUSINESS_HOURS": f"{DAYS[BACK.weekday()]} 09:00-18:00",
        },
    )
    with Stack(config) as running:
        yield running


def counts(crm: sessionmaker[Session]) -> tuple[int, int]:
    with crm() as session:
        return (
            session.scalar(select(func.count(HandoffRequest.id))) or 0,
            session.scalar(select(func.count(Ticket.id))) or 0,
        )


@pytest.mark.parametrize(
    ("lang", "ask", "told", "when"),
    [
        ("en", "i want to talk to a real person", "people are back", f"{BACK.day} {BACK:%b} at 09:00"),
        ("zh", "我要转人工", "人工客服将于", f"{BACK.month}月{BACK.day}日"),
    ],
)
def test_outside_business_hours_a_web_customer_is_told_when_and_gets_a_ticket(
    closed_stack: Stack, browser: Browser, crm: sessionmaker[Session], lang: str, ask: str, told: str, when: str
) -> None:
    user = f"e2e-hours-{uuid.uuid4().hex[:8]}"
    run_transaction(crm, lambda s: add_identity(s, find_customer(s, "rest", "demo-alice").id, "web", user))
    with crm() as session:
        alice_view = find_customer(session, "rest", "demo-alice")
        assert alice_view is not None
        alice_id = alice_view.id
    run_transaction(  # no open ticket of Alice's from an earlier test: this request opens its own
        crm,
        lambda s: s.execute(update(Ticket).where(Ticket.customer_id == alice_id).values(status=TicketStatus.CLOSED)),
    )
    handoffs, tickets = counts(crm)
    context = browser.new_context(viewport={"width": 480, "height": 900}, locale="zh-CN" if lang == "zh" else "en-US")
    try:
        chat = Chat(context.new_page(), closed_stack).open(
            issue_user_token(user, web_secret(var_dir=closed_stack.config.var_dir)), lang=lang
        )
        answer = chat.say(ask)
        assert told in answer and when in answer, answer
        with crm() as session:
            ticket = session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
            alice = find_customer(session, "rest", "demo-alice").id
        assert ticket.customer_id == alice and ticket.number in answer
        promise = fact("request_ticket_reply", "zh" if lang == "zh" else "en")  # the type's promise, told and kept
        assert promise in answer and ticket.promise == promise
        assert counts(crm) == (handoffs, tickets + 1)  # a ticket, no place in the queue
    finally:
        context.close()

"""Tickets in headless Chromium (#16 item 7), in both UI languages: a supervisor finds a complaint ticket in
the list (counts, the "unassigned" filter, search by number), assigns it to an agent; the agent finds it under
"mine", comments, sets it pending and closes it with a resolution note; the page shows the history with who
and when, and the customer gets the closing message in their own language through Rasa (the stand-in of
tests/console/fake_rasa.py). The customer 360 page links the ticket. No script error, no CSP violation."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import StaffRole, Ticket, TicketStatus
from crm.repository import find_customer, open_conversation, open_ticket
from console.accounts import create_user
from console.i18n import translate
from tests.console.conftest import PASSWORD, demo, demo_engine  # noqa: F401 - fixtures
from tests.e2e.test_console_browser import ConsoleThread, Watch, console  # noqa: F401 - fixtures
from tests.e2e.test_queue_browser import sign_in

pytestmark = pytest.mark.e2e

WORDS = {
    "en": {
        "title": "Tickets",
        "nobody": "nobody",
        "mine": "mine",
        "pending": "pending",
        "closed": "closed",
        "closed_notice": "Closed; the customer was told.",
        "commented": "commented:",
        "told": "the customer was told it closed",
        "promise": "a reply within 4 hours",
    },
    "zh": {
        "title": "工单",
        "nobody": "未分配",
        "mine": "我的",
        "pending": "处理中",
        "closed": "已关闭",
        "closed_notice": "工单已关闭,已通知客户。",
        "commented": "备注:",
        "told": "已通知客户工单关闭",
        "promise": "4小时内回复",
    },
}


@pytest.fixture(params=["en", "zh"])
def desk(request: pytest.FixtureRequest, demo: sessionmaker[Session]) -> tuple[str, str, str, str, str, int]:  # noqa: F811
    """(language, agent, supervisor, ticket number, Rasa sender, customer id): a complaint of a demo customer
    who chats in the same language as the staff read, so each run checks one language end to end."""
    language, tag = request.param, uuid.uuid4().hex[:6]
    agent, boss, sender = f"mei-{tag}", f"lead-{tag}", f"tk-{tag}"
    who = "demo-alice" if language == "en" else "demo-li"

    def make(session: Session) -> tuple[str, int]:
        create_user(session, agent, PASSWORD, StaffRole.AGENT, language=language)
        create_user(session, boss, PASSWORD, StaffRole.SUPERVISOR, language=language)
        customer = find_customer(session, "rest", who)
        conversation = open_conversation(session, "rest", sender, customer_id=customer.id, language=language)
        ticket = open_ticket(
            session,
            customer.id,
            category="complaint",
            subject="the parcel arrived broken <img src=x onerror=alert(1)>",
            priority="high",
            channel="rest",
            conversation_id=conversation,
            sender_id=sender,
            language=language,
            promise="4 hours" if language == "en" else "4小时",
        )
        return ticket.number, customer.id

    number, customer_id = run_transaction(demo, make)
    return language, agent, boss, number, sender, customer_id


def test_a_supervisor_assigns_a_ticket_and_the_agent_closes_it(
    desk: tuple[str, str, str, str, str, int],
    console: ConsoleThread,  # noqa: F811
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
) -> None:
    language, agent, boss, number, sender, customer_id = desk
    words = WORDS[language]
    locale = "zh-CN" if language == "zh" else "en-US"

    boss_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = boss_context.new_page()
    watch = Watch(page)
    sign_in(page, console.url, boss)
    page.click("nav a[href='/tickets']")
    page.wait_for_url(f"{console.url}/tickets")
    assert page.locator("h1").inner_text() == words["title"]
    expect(page.locator(f'#tickets tr[data-ticket="{number}"]')).to_be_visible()
    open_count = int(page.locator('#ticket-tabs a[data-status="open"] .count').inner_text())
    assert open_count >= 1
    page.select_option("#ticket-filters select[name=assignee]", "unassigned")
    page.fill("#ticket-filters input[name=q]", number[:10])
    page.click("#ticket-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*/tickets\?.*assignee=unassigned.*"))
    row = page.locator(f'#tickets tr[data-ticket="{number}"]')
    assert row.locator("td.assignee").inner_text() == words["nobody"]
    row.locator("a").first.click()
    page.wait_for_url(f"{console.url}/tickets/{number}")
    assert number in page.locator("h1").inner_text()
    assert page.locator("#ticket-facts .promise").inner_text() == words["promise"]
    assert "<img" in page.locator("#ticket-subject").inner_text()  # shown as text, never run
    page.select_option("#assign-ticket select[name=agent]", agent)
    page.click("#assign-ticket button[type=submit]")
    page.wait_for_url(f"{console.url}/tickets/{number}?done=assigned")
    assert page.locator("#ticket-assignee").inner_text() == agent
    watch.assert_clean("assigned")

    agent_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    mine = agent_context.new_page()
    agent_watch = Watch(mine)
    sign_in(mine, console.url, agent)
    mine.goto(f"{console.url}/tickets")
    mine.select_option("#ticket-filters select[name=assignee]", "mine")
    mine.click("#ticket-filters button[type=submit]")
    mine.wait_for_url(re.compile(r".*/tickets\?.*assignee=mine.*"))
    assert mine.locator("#tickets tbody tr[data-ticket]").count() == 1
    mine.click(f'#tickets tr[data-ticket="{number}"] a')
    mine.wait_for_url(f"{console.url}/tickets/{number}")

    mine.fill("#comment-text", "快递员确认包裹破损 / courier confirmed the damage")
    mine.click("#comment-ticket button[type=submit]")
    mine.wait_for_url(f"{console.url}/tickets/{number}?done=commented")
    mine.select_option("#ticket-status-form select[name=status]", "pending")
    mine.click("#ticket-status-form button[type=submit]")
    mine.wait_for_url(f"{console.url}/tickets/{number}?done=status")
    assert mine.locator("#ticket-status").inner_text() == words["pending"]
    mine.fill("#resolution", "Refunded ¥30 for the damage.")
    mine.click("#close-ticket button[type=submit]")
    mine.wait_for_url(f"{console.url}/tickets/{number}?done=closed")
    assert mine.locator(".notice").inner_text() == words["closed_notice"]
    assert mine.locator("#ticket-status").inner_text() == words["closed"]
    assert mine.locator("#close-ticket").count() == 0
    history = mine.locator("#ticket-history li")
    kinds = [history.nth(i).get_attribute("data-kind") for i in range(history.count())]
    assert kinds == ["opened", "assign", "comment", "status", "close", "told"]
    assert words["commented"] in history.nth(2).inner_text() and agent in history.nth(2).inner_text()
    assert boss in history.nth(1).inner_text() and words["told"] in history.nth(5).inner_text()
    assert re.search(r"\d{1,2}:\d{2}", history.nth(4).locator("time").inner_text())  # when, in the shop's zone
    agent_watch.assert_clean("closed")

    said = [e["text"] for e in console.rasa.events[sender] if e.get("event") == "bot"]
    assert said == [translate(language, "tickets.customer_closed", ticket=number)]
    with demo() as session:
        stored = session.scalar(select(Ticket).where(Ticket.number == number))
        assert stored.status == TicketStatus.CLOSED and stored.customer_told_at is not None

    page.goto(f"{console.url}/customers/{customer_id}")
    page.click(f"a[href='/tickets/{number}']")
    page.wait_for_url(f"{console.url}/tickets/{number}")
    watch.assert_clean("from the customer 360")
    agent_context.close()
    boss_context.close()

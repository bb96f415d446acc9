"""Tickets end to end (#16 item 7), against the whole stack: a customer complains — over REST (signed in, in
English) or on WeChat (a follower who is a demo customer, in Chinese) — and the assistant opens a ticket with
its promise; a support lead finds it in the console (headless Chromium, the console in Chinese), comments
and closes it with a resolution note; the customer gets the closing message, naming the ticket, on their own
channel and in their language: in Rasa's tracker for REST, through the customer-service API (the fake WeChat
server) for WeChat. Closing again tells nobody twice."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import Ticket, TicketStatus
from console.accounts import create_user
from console.i18n import translate
from devstack.stack import Stack
from tests.e2e.test_console import PASSWORD, eventually, texts
from tests.e2e.test_wechat import WeChatServer, li_follower, wechat  # noqa: F401 - fixtures
from tests.e2e.wechat_fake import FakeWeChatApi

pytestmark = pytest.mark.e2e

expect.set_options(timeout=120_000)


@pytest.fixture
def staff_browser(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context
    context.close()


def lead(crm: sessionmaker[Session]) -> str:
    """A support lead whose console reads Chinese (a new account's default)."""
    name = f"lead-{uuid.uuid4().hex[:6]}"
    run_transaction(crm, lambda session: create_user(session, name, PASSWORD, "supervisor"))
    return name


def ticket_of(crm: sessionmaker[Session], number: str) -> Ticket | None:
    with crm() as session:
        return session.scalar(select(Ticket).where(Ticket.number == number))


def close_in_console(page: Page, stack: Stack, name: str, number: str) -> None:
    """Signs in, finds the ticket by its number in the list, comments, and closes it with a note."""
    page.goto(f"{stack.config.console_url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("header .who")).to_contain_text(name)
    page.click("nav a[href='/tickets']")
    expect(page.locator("h1")).to_have_text("工单")
    page.fill("#ticket-filters input[name=q]", number)
    page.click("#ticket-filters button[type=submit]")  # a whole number: straight to its page
    expect(page).to_have_url(f"{stack.config.console_url}/tickets/{number}")
    expect(page.locator("#ticket-status")).to_have_text("待处理")
    page.fill("#comment-text", "已联系仓库核实")
    page.click("#comment-ticket button[type=submit]")
    expect(page.locator(".notice")).to_have_text("备注已添加。")
    page.fill("#resolution", "已退款 30 元")
    page.click("#close-ticket button[type=submit]")
    expect(page.locator(".notice")).to_have_text("工单已关闭,已通知客户。")
    expect(page.locator("#ticket-history li[data-kind='told']")).to_have_count(1)


def test_a_rest_customers_complaint_closed_in_the_console_tells_them_in_english(
    stack: Stack, alice: str, crm: sessionmaker[Session], staff_browser: BrowserContext, in_crm: Callable
) -> None:
    said = texts(stack.say(alice, "this is the worst service ever, a total scam"))
    numbers = re.findall(r"TK\d{12}", said)
    assert len(numbers) == 1, said
    number = numbers[0]
    ticket = eventually(lambda: ticket_of(crm, number), "the ticket in the CRM")
    assert ticket.sender_id == stack.conversation_id(alice) and ticket.language == "en"
    assert ticket.promise and ticket.promise in said  # the promise stored is the one the customer was told

    close_in_console(staff_browser.new_page(), stack, lead(crm), number)

    words = translate("en", "tickets.customer_closed", ticket=number)
    bot = [e.get("text") for e in stack.tracker(alice)["events"] if e["event"] == "bot"]
    assert bot[-1] == words and number in words
    assert ticket_of(crm, number).status == TicketStatus.CLOSED


def test_a_wechat_customers_complaint_closed_in_the_console_tells_them_on_wechat_in_chinese(
    stack: Stack,
    wechat: WeChatServer,  # noqa: F811
    wechat_api: FakeWeChatApi,
    li_follower: str,  # noqa: F811
    crm: sessionmaker[Session],
    staff_browser: BrowserContext,
) -> None:
    said = wechat.say_text(li_follower, "太差了,简直是骗子,我要投诉")
    numbers = re.findall(r"TK\d{12}", said)
    assert len(numbers) == 1, said
    number = numbers[0]
    ticket = eventually(lambda: ticket_of(crm, number), "the ticket in the CRM")
    assert ticket.sender_id == li_follower and ticket.language == "zh" and ticket.channel == "wechat"
    before = len(wechat_api.messages_to(li_follower))

    page = staff_browser.new_page()
    close_in_console(page, stack, lead(crm), number)

    words = translate("zh", "tickets.customer_closed", ticket=number)
    delivered = wechat_api.wait_for(li_follower, before + 1)[before:]
    assert delivered == [words] and number in words and "工单" in words
    assert page.locator("#tell-again").count() == 0  # told: nothing to tell again
    again = page.request.post(  # closing again (a second tab, say) is nothing new
        f"{stack.config.console_url}/tickets/{number}/close",
        form={"csrf_token": page.locator("input[name=csrf_token]").first.input_value(), "resolution": "again"},
        max_redirects=0,
    )
    assert again.status == 303 and again.headers["location"] == f"/tickets/{number}?done=unchanged"
    assert wechat_api.messages_to(li_follower)[before:] == [words]  # told once

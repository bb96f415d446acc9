"""Issue #16 item 2, with the whole stack: what a customer sees when a person serves them, and the orders panel
an agent acts from.

- On the web chat page and on WeChat (the fake API of wechat_fake.py), taking a hand-off tells the customer, in
  their language, that the agent joined; the agent's replies carry the agent's name (drawn apart from the bot's
  messages on the page, after 【name】 on WeChat); handing back tells them the agent left.
- In headless Chromium, in both console languages, an agent starts a refund for the customer's order from the
  hand-off page: the CRM holds the refund and the audit entry, and the live transcript an internal line.

Every wait is Playwright's auto-waiting, the fake WeChat API's wait for a message, or a poll of the CRM; no
sleep and no timing assertion."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.web_auth import issue_user_token, web_secret
from crm.db import run_transaction
from crm.demo import WELL_KNOWN_PEOPLE
from crm.models import AuditEntry, Order, OrderStatus, OrderStatusEvent, Refund, RefundStatus, StaffUser
from crm.privacy import utcnow
from crm.repository import add_identity, find_customer, open_conversation, request_handoff
from console.accounts import create_user, set_display_name
from devstack.stack import Stack
from tests.e2e.test_console import PASSWORD, _handoff_of, eventually, sign_in, take, write
from tests.e2e.test_wechat import WeChatServer
from tests.e2e.webchat_page import Chat
from tests.e2e.wechat_fake import FakeWeChatApi

pytestmark = pytest.mark.e2e


def agent_account(crm: sessionmaker[Session], language: str = "en", shown: str | None = None) -> tuple[str, str]:
    """A new agent account, with the name customers see chosen (`shown`) or not: (username, the name customers
    see, console.notices.display_name: else the staff number)."""
    name = f"e2e-agent-{uuid.uuid4().hex[:6]}"

    def create(session: Session) -> None:
        user = create_user(session, name, PASSWORD, "agent", language=language)
        if shown is not None:
            set_display_name(session, user.id, shown)

    write(crm, create)
    with crm() as session:
        staff_id = session.scalar(select(StaffUser.id).where(StaffUser.username == name))
    return name, shown or f"客服{staff_id}号"


# --- the customer's side ------------------------------------------------------------------------------------


def test_a_web_customer_sees_the_agent_join_answer_under_their_name_and_leave(
    context: BrowserContext, stack: Stack, crm: sessionmaker[Session]
) -> None:
    user = f"e2e-web-{uuid.uuid4().hex[:8]}"
    write(crm, lambda session: add_identity(session, find_customer(session, "rest", "demo-alice").id, "web", user))
    chat = Chat(context.new_page(), stack).open(issue_user_token(user, web_secret(var_dir=stack.config.var_dir)))
    assert "expected wait" in chat.say("i want to talk to a real person")
    handoff_id = eventually(lambda: _handoff_of(crm, "web", user), "hand-off in the CRM queue")

    name, shown = agent_account(crm)
    console = sign_in(context.new_page(), stack, name)
    take(console, stack, handoff_id)
    joined = chat.page.locator(".message.notice.joined")
    expect(joined).to_have_text(f"{shown} joined the conversation")  # Alice writes English

    answer = f"Hi, I'm looking at your order now ({uuid.uuid4().hex[:4]})."
    console.fill("#reply-text", answer)
    console.click("#reply button[type=submit]")
    said = chat.page.locator(".message.agent").last
    expect(said.locator(".bubble")).to_have_text(answer)
    expect(said.locator(".agent-name")).to_have_text(shown)
    assert answer not in chat.bot_texts()  # not drawn as the bot's
    expect(console.locator("#live .msg.notice")).to_contain_text(f"{shown} joined the conversation")

    console.click("form.handback button[type=submit]")
    expect(console.locator(".notice")).to_have_text("Handed back to the assistant.")
    expect(chat.page.locator(".message.notice.left")).to_have_text(f"{shown} left the conversation")
    assert "Kelian" in chat.say("hello")  # the bot again


def test_a_wechat_follower_gets_the_notices_and_the_agents_name_in_chinese(
    context: BrowserContext, stack: Stack, crm: sessionmaker[Session], wechat_api: FakeWeChatApi
) -> None:
    openid = f"wx-li-{uuid.uuid4().hex[:10]}"
    write(
        crm, lambda session: add_identity(session, find_customer(session, "wechat", "wx-demo-li").id, "wechat", openid)
    )
    wechat = WeChatServer(stack, wechat_api)
    assert "已为您转接人工客服" in wechat.say_text(openid, "转人工")
    handoff_id = eventually(lambda: _handoff_of(crm, "wechat", openid), "hand-off in the CRM queue")
    before = len(wechat_api.messages_to(openid))

    name, shown = agent_account(crm, shown="客服小林")  # the name chosen on the account page
    console = sign_in(context.new_page(), stack, name)
    take(console, stack, handoff_id)
    assert wechat_api.wait_for(openid, before + 1)[before:] == ["客服小林 已加入对话"]

    answer = f"您好，我来帮您查一下订单（{uuid.uuid4().hex[:4]}）。"
    console.fill("#reply-text", answer)
    console.click("#reply button[type=submit]")
    assert wechat_api.wait_for(openid, before + 2)[before + 1 :] == [f"【{shown}】{answer}"]

    console.click("form.handback button[type=submit]")
    expect(console.locator(".notice")).to_have_text("Handed back to the assistant.")
    # then the satisfaction survey (tests/e2e/test_csat_survey.py)
    assert wechat_api.wait_for(openid, before + 3)[before + 2] == f"{shown} 已离开对话"


# --- the orders panel -------------------------------------------------------------------------------------------


def refundable_order(crm: sessionmaker[Session]) -> tuple[str, int]:
    """A delivered order inside the return window with no refund, of a customer none of the other tests talks
    as (the well-known demo customers are everybody's): (order number, customer id)."""

    def find(session: Session) -> tuple[str, int]:
        recent = utcnow() - timedelta(days=20)
        delivered_recently = select(OrderStatusEvent.order_id).where(
            OrderStatusEvent.status == OrderStatus.DELIVERED, OrderStatusEvent.occurred_at >= recent
        )
        order = session.scalar(
            select(Order)
            .where(
                Order.status == OrderStatus.DELIVERED,
                Order.id.in_(delivered_recently),
                ~Order.refunds.any(),
                Order.customer_id.not_in(list(WELL_KNOWN_PEOPLE)),
            )
            .order_by(Order.id.desc())
            .limit(1)
        )
        assert order is not None, "the demo shop has no refundable order"
        return order.number, order.customer_id

    return run_transaction(crm, find)


def queued_for(crm: sessionmaker[Session], customer_id: int) -> int:
    """A REST conversation of the customer, waiting for a person (as action_handoff queues it)."""
    sender = f"e2e-orders-{uuid.uuid4().hex[:8]}"
    return run_transaction(
        crm,
        lambda session: request_handoff(
            session,
            open_conversation(session, "rest", sender, customer_id=customer_id, language="zh"),
            reason="customer asked",
            sender_id=sender,
        ),
    )


@pytest.mark.parametrize(
    ("language", "heading", "action", "submit", "line"),
    [
        (
            "en",
            "The customer's orders",
            "Start a refund",
            "Confirm and do it",
            "started refund {refund} for order {order}",
        ),
        ("zh", "客户的订单", "发起退款", "确认执行", "为订单 {order} 发起了退款 {refund}"),
    ],
)
def test_an_agent_starts_a_refund_from_the_orders_panel(
    context: BrowserContext,
    stack: Stack,
    crm: sessionmaker[Session],
    language: str,
    heading: str,
    action: str,
    submit: str,
    line: str,
) -> None:
    number, customer_id = refundable_order(crm)
    handoff_id = queued_for(crm, customer_id)
    name, shown = agent_account(crm, language)
    page = sign_in(context.new_page(), stack, name, f"/handoffs/{handoff_id}")
    page.locator("form[action$='/take'] button").first.click()
    expect(page.locator("#orders h2")).to_have_text(heading)
    order = page.locator(f"#orders article[data-order='{number}']")
    expect(order).to_be_visible()
    order.locator("details", has_text=action).locator("summary").click()
    form = order.locator("form[data-action='refund']")
    form.locator("input[name=reason]").fill("屏幕有划痕 scratched screen")
    form.locator("button[type=submit]").click()  # the confirmation is not ticked: the browser asks for it
    assert form.locator("input[name=confirm]").evaluate("box => !box.validity.valid")
    form.locator("input[name=confirm]").check()
    form.locator("button[type=submit]", has_text=submit).click()
    expect(page).to_have_url(f"{stack.config.console_url}/handoffs/{handoff_id}#orders")

    with crm() as session:
        refund = session.scalar(select(Refund).join(Order).where(Order.number == number))
        assert refund is not None and refund.status == RefundStatus.REQUESTED
        assert refund.reason == "屏幕有划痕 scratched screen"
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "order_refund", AuditEntry.actor == name))
        assert entry is not None and entry.customer_id == customer_id
        assert (entry.detail["order"], entry.detail["result"], entry.detail["handoff_id"]) == (
            number,
            refund.number,
            handoff_id,
        )
    expect(order.locator(".refund")).to_contain_text(refund.number)
    expect(page.locator("#live .msg.internal")).to_contain_text(line.format(refund=refund.number, order=number))
    expect(page.locator("#live .msg.internal")).to_contain_text(shown)

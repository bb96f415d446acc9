"""Issue #16 item 4, with the whole stack: after an agent hands a conversation back, the customer is asked for a
satisfaction rating on their own channel, in their language — buttons on the web chat page, numbered options
on WeChat (the fake API of wechat_fake.py) — and their answer reaches the CRM and the dashboard's CSAT per
agent, read in headless Chromium by a supervisor in English and in Chinese.

Every wait is Playwright's auto-waiting, the fake WeChat API's wait for a message, or a poll of the CRM; no
sleep and no timing assertion."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.web_auth import issue_user_token, web_secret
from console.accounts import create_user
from crm.models import CsatSurvey, HandoffRequest
from crm.repository import add_identity, find_customer
from devstack.stack import Stack
from tests.e2e.test_agent_notices import agent_account
from tests.e2e.test_console import PASSWORD, _handoff_of, eventually, sign_in, take, write
from tests.e2e.test_wechat import WeChatServer
from tests.e2e.webchat_page import Chat
from tests.e2e.wechat_fake import FakeWeChatApi

pytestmark = pytest.mark.e2e


def survey_of(crm: sessionmaker[Session], handoff_id: int) -> tuple[int | None, str | None, str | None] | None:
    """(score, agent, reason) of the survey after hand-off `handoff_id`, once it is answered."""
    with crm() as session:
        survey = session.scalars(select(CsatSurvey).where(CsatSurvey.handoff_id == handoff_id)).one_or_none()
        if survey is None or survey.score is None:
            return None
        assert session.get(HandoffRequest, handoff_id).conversation_id == survey.conversation_id
        return survey.score, survey.agent, survey.reason


@pytest.fixture
def desk(browser: Browser) -> Iterator[BrowserContext]:
    """A second browser profile: the supervisor reading the dashboard (the agent is signed in in `context`)."""
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    yield desk
    desk.close()


def supervisor(crm: sessionmaker[Session], language: str) -> str:
    name = f"e2e-sup-{uuid.uuid4().hex[:6]}"
    write(crm, lambda session: create_user(session, name, PASSWORD, "supervisor", language=language))
    return name


def test_a_web_customer_rates_the_agent_after_the_hand_back(
    context: BrowserContext, desk: BrowserContext, stack: Stack, crm: sessionmaker[Session]
) -> None:
    user = f"e2e-csat-{uuid.uuid4().hex[:8]}"
    write(crm, lambda session: add_identity(session, find_customer(session, "rest", "demo-alice").id, "web", user))
    chat = Chat(context.new_page(), stack).open(issue_user_token(user, web_secret(var_dir=stack.config.var_dir)))
    assert "expected wait" in chat.say("i want to talk to a real person")
    handoff_id = eventually(lambda: _handoff_of(crm, "web", user), "hand-off in the CRM queue")

    name, shown = agent_account(crm)
    console = sign_in(context.new_page(), stack, name)
    take(console, stack, handoff_id)
    console.click("form.handback button[type=submit]")
    expect(console.locator(".notice", has_text="Handed back to the assistant.")).to_be_visible()
    expect(chat.page.locator(".message.notice.left")).to_have_text(f"{shown} left the conversation")

    question = chat.page.locator(".message.bot", has_text="How satisfied are you").last
    expect(question).to_be_visible()
    choices = chat.page.locator(".quick-replies").last.locator("button")
    expect(choices).to_have_text(["⭐ very poor", "⭐⭐ poor", "⭐⭐⭐ okay", "⭐⭐⭐⭐ good", "⭐⭐⭐⭐⭐ excellent"])
    assert "Thank you for your rating!" in chat.click(choices.nth(3))
    assert eventually(lambda: survey_of(crm, handoff_id), "the rating in the CRM") == (4, name, None)

    board = sign_in(desk.new_page(), stack, supervisor(crm, "en"), "/dashboard?days=90")
    expect(board.locator("#service-quality h2")).to_have_text("Service quality: the figures that do not flatter")
    row = board.locator("#csat-by-agent tr", has_text=name)
    expect(row.locator("td")).to_have_text([name, "100.0 %", "100.0 %", "1 / 1", "4.00"])
    expect(board.locator("#service-definitions dt").first).to_have_text("Containment")


def test_a_wechat_follower_rates_in_chinese_and_skips_the_reason(
    context: BrowserContext,
    desk: BrowserContext,
    stack: Stack,
    crm: sessionmaker[Session],
    wechat_api: FakeWeChatApi,
) -> None:
    openid = f"wx-csat-{uuid.uuid4().hex[:10]}"
    write(
        crm, lambda session: add_identity(session, find_customer(session, "wechat", "wx-demo-li").id, "wechat", openid)
    )
    wechat = WeChatServer(stack, wechat_api)
    assert "已为您转接人工客服" in wechat.say_text(openid, "转人工")
    handoff_id = eventually(lambda: _handoff_of(crm, "wechat", openid), "hand-off in the CRM queue")
    before = len(wechat_api.messages_to(openid))

    name, shown = agent_account(crm, shown=f"客服{uuid.uuid4().hex[:4]}")
    console = sign_in(context.new_page(), stack, name)
    take(console, stack, handoff_id)
    console.click("form.handback button[type=submit]")
    expect(console.locator(".notice", has_text="Handed back to the assistant.")).to_be_visible()
    joined, left, survey = wechat_api.wait_for(openid, before + 3)[before : before + 3]
    assert (joined, left) == (f"{shown} 已加入对话", f"{shown} 已离开对话")
    assert survey.startswith("请问您对本次服务满意吗?")
    assert "回复 2 ⭐⭐ 不满意" in survey and "回复 5 ⭐⭐⭐⭐⭐ 非常满意" in survey

    why = wechat.say_text(openid, "2")  # the second option: the rating 2
    assert "哪里做得不好" in why and "回复 1 跳过" in why
    assert "感谢您的评价" in wechat.say_text(openid, "1")  # skipped
    assert eventually(lambda: survey_of(crm, handoff_id), "the rating in the CRM") == (2, name, None)

    board = sign_in(desk.new_page(), stack, supervisor(crm, "zh"), "/dashboard?days=365")
    expect(board.locator("#service-quality h2")).to_have_text("服务质量:如实统计")
    row = board.locator("#csat-by-agent tr", has_text=name)
    expect(row.locator("td")).to_have_text([name, "0.0 %", "100.0 %", "1 / 1", "2.00"])
    expect(board.locator("#csat-by-agent th").first).to_have_text("客服")

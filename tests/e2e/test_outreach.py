"""Consented outreach with the whole stack running: a campaign run sends through the Rasa server's WeChat
channel to the fake WeChat API (the channel's own token), skips a customer who did not consent, and after
the customer replies 退订 the next campaign leaves them out; on the web page the message waits for the
customer's next conversation, is shown once, and its button opts out. WeChat's 48-hour window: a follower
silent for longer is reached by a template message, one who wrote recently by a customer-service message."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import BrowserContext
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.web_auth import issue_user_token
from crm.db import run_transaction
from crm.models import Channel, ChurnRisk, ConsentEvent, Customer, OutreachMessage, OutreachStatus
from crm.outreach.campaigns import create_campaign
from crm.outreach.delivery import RasaWeChatSender
from crm.outreach.sending import run_campaign
from crm.repository import add_identity, create_customer
from devstack.config import api_token
from devstack.stack import Stack
from tests.e2e.test_wechat import WeChatServer
from tests.e2e.webchat_page import Chat
from tests.e2e.wechat_fake import OUTREACH_TEMPLATE_ID, FakeWeChatApi

pytestmark = pytest.mark.e2e

ZH = "好久不见!本周全场九折,期待你回来看看。"
EN = "We miss you! 10 % off everything this week."


def at_risk(crm: sessionmaker[Session], channel: str, *, consent: bool = True, language: str = "zh") -> tuple[int, str]:
    """A new customer graded high churn risk with a top CLV, known on `channel` (which they prefer)."""
    address = f"{'wx' if channel == 'wechat' else 'web'}-out-{uuid.uuid4().hex[:10]}"

    def make(session: Session) -> int:
        customer = create_customer(session, name="Outreach", language=language, identities=[(channel, address)])
        row = session.get(Customer, customer.id)
        assert row is not None
        row.marketing_consent, row.churn_risk, row.clv = consent, ChurnRisk.HIGH, Decimal("100000000")
        row.preferred_channel = Channel(channel)
        return customer.id

    return run_transaction(crm, make), address


def campaign(crm: sessionmaker[Session], **options: Any) -> str:
    key = f"winback-{uuid.uuid4().hex[:8]}"
    run_transaction(crm, lambda s: create_campaign(s, key, "churn_high_value", message_en=EN, message_zh=ZH, **options))
    return key


def sender(stack: Stack) -> RasaWeChatSender:
    return RasaWeChatSender(stack.config.rasa_url, api_token(stack.config.var_dir))


def consent_of(crm: sessionmaker[Session], customer_id: int) -> bool:
    return run_transaction(crm, lambda s: s.get(Customer, customer_id).marketing_consent)


def test_wechat_outreach_reaches_consent_only_and_the_reply_stop_ends_it(
    crm: sessionmaker[Session], stack: Stack, wechat_api: FakeWeChatApi
) -> None:
    customer, openid = at_risk(crm, "wechat")
    refused, refused_openid = at_risk(crm, "wechat", consent=False)
    # only these two: the demo customers of the shared e2e CRM are left alone for the other tests
    summary = run_campaign(crm, campaign(crm), wechat=sender(stack), only={customer, refused})
    assert {p.candidate.customer_id for p in summary.planned} == {customer}
    (message,) = wechat_api.wait_for(openid, 1)
    assert message.startswith(ZH) and "回复“退订”" in message
    assert wechat_api.messages_to(refused_openid) == []

    answer = WeChatServer(stack, wechat_api).say_text(openid, "退订")
    assert "已为您退订" in answer or "unsubscribed" in answer
    assert not consent_of(crm, customer)
    consent_events = select(ConsentEvent).where(ConsentEvent.customer_id == customer)
    events = run_transaction(crm, lambda s: [(e.granted, e.source) for e in s.scalars(consent_events)])
    assert events[-1] == (False, "chat-wechat")

    before = len(wechat_api.messages_to(openid))
    later = run_campaign(crm, campaign(crm, cap_days=0), wechat=sender(stack), only={customer})
    assert later.planned == []
    assert len(wechat_api.messages_to(openid)) == before


def test_a_follower_silent_for_over_48_hours_gets_the_template_message_one_who_wrote_the_customer_service_one(
    crm: sessionmaker[Session], stack: Stack, wechat_api: FakeWeChatApi
) -> None:
    silent, silent_openid = at_risk(crm, "wechat")
    recent, recent_openid = at_risk(crm, "wechat", language="en")
    wechat_api.follower_wrote(silent_openid, at=time.time() - 72 * 3600)
    WeChatServer(stack, wechat_api).say_text(recent_openid, "hello")
    wechat_api.follower_wrote(recent_openid)

    summary = run_campaign(crm, campaign(crm), wechat=sender(stack), only={silent, recent})
    assert summary.outcomes["sent on WeChat"] == 2

    template = wechat_api.wait_for_template(silent_openid)
    assert template.template_id == OUTREACH_TEMPLATE_ID
    assert template.data["first"] == ZH and "回复“退订”" in template.data["remark"]
    assert wechat_api.refused_outside_window(silent_openid) == 1 and wechat_api.messages_to(silent_openid) == []

    (offer,) = [m for m in wechat_api.messages_to(recent_openid) if m.startswith(EN)]
    assert 'Reply "STOP"' in offer
    assert wechat_api.templates_to(recent_openid) == [] and wechat_api.refused_outside_window(recent_openid) == 0
    rows = select(OutreachMessage.customer_id, OutreachMessage.status).where(
        OutreachMessage.customer_id.in_([silent, recent])
    )
    statuses = run_transaction(crm, lambda s: {cid: status for cid, status in s.execute(rows)})
    assert statuses == {silent: OutreachStatus.SENT, recent: OutreachStatus.SENT}


def test_the_web_page_shows_the_outreach_once_at_the_next_visit_and_its_button_opts_out(
    crm: sessionmaker[Session], stack: Stack, chat: Chat, context: BrowserContext, secret: str
) -> None:
    customer, web_id = at_risk(crm, "web", language="en")
    run_campaign(crm, campaign(crm), wechat=sender(stack), only={customer})
    status = run_transaction(
        crm, lambda s: s.scalar(select(OutreachMessage.status).where(OutreachMessage.customer_id == customer))
    )
    assert status == "pending"

    chat.open(issue_user_token(web_id, secret))
    assert EN in chat.say("hello")
    button = chat.page.locator(".quick-replies button", has_text="Unsubscribe")

    # the same customer's next conversation (another web login of theirs) does not see it again
    second_id = f"{web_id}-2"
    run_transaction(crm, lambda s: add_identity(s, customer, "web", second_id))
    other = Chat(context.new_page(), stack).open(issue_user_token(second_id, secret))
    assert EN not in other.say("hello")

    assert "unsubscribed" in chat.click(button)
    assert not consent_of(crm, customer)

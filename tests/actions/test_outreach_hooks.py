"""The action server's side of outreach: a web conversation's new session says the message waiting for
the customer's next visit (once, with its opt-out button), and the opt-out word flagged by the channel
withdraws marketing consent whatever the NLU would have made of it."""

from __future__ import annotations

import uuid
from decimal import Decimal

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.feedback import ActionNewsletter
from actions.forms.slot_mappings import ValidateSlotMappings
from actions.runtime import Services
from actions.session import ActionSessionStart
from crm.models import Channel, ChurnRisk, ConsentEvent, Customer, OutreachMessage
from crm.outreach.campaigns import create_campaign
from crm.outreach.sending import run_campaign
from crm.repository import create_customer
from kelian.opt_out import INTENT_PAYLOAD, METADATA_KEY
from tests.actions.conftest import CrmOpener, make_tracker, texts


def web_customer(crm: CrmOpener, language: str = "en") -> tuple[int, str]:
    web_id = f"web-{uuid.uuid4().hex[:10]}"
    with crm() as session:
        customer = create_customer(session, name="Outreach", language=language, identities=[("web", web_id)])
        row = session.get_one(Customer, customer.id)
        row.marketing_consent, row.churn_risk, row.clv = True, ChurnRisk.HIGH, Decimal("10000000")
        row.preferred_channel = Channel.WEB
    return customer.id, web_id


def new_session(sender: str) -> Tracker:
    """The tracker Rasa hands `action_session_start` for a new conversation: no message, no channel yet."""
    return Tracker(sender, {}, {}, [], False, None, {}, "action_listen")


async def test_the_next_web_visit_shows_the_message_once(services: Services, crm: CrmOpener) -> None:
    cid, web_id = web_customer(crm)
    key = f"winback-{uuid.uuid4().hex[:6]}"
    with crm() as session:
        create_campaign(session, key, "churn_high_value", message_en="We miss you!", message_zh="好久不见!")
    run_campaign(services.crm, key, wechat=None, only={cid})
    first = CollectingDispatcher()
    await ActionSessionStart().run(first, new_session(web_id), {})
    (said,) = [m for m in first.messages if "We miss you!" in (m.get("text") or "")]
    assert said["buttons"] == [{"title": "Unsubscribe", "payload": "unsubscribe"}]
    again = CollectingDispatcher()
    await ActionSessionStart().run(again, new_session(web_id), {})
    assert "We miss you!" not in texts(again)
    with crm() as session:
        assert session.scalar(select(OutreachMessage.status).where(OutreachMessage.customer_id == cid)) == "shown"


async def test_a_wechat_or_guest_session_shows_nothing(services: Services, crm: CrmOpener) -> None:
    dispatcher = CollectingDispatcher()
    await ActionSessionStart().run(dispatcher, make_tracker("hi", sender="guest-abc", channel="web"), {})
    await ActionSessionStart().run(dispatcher, make_tracker("hi", sender="oWeChat123", channel="wechat"), {})
    assert dispatcher.messages == []


def flagged(word: str, sender: str) -> Tracker:
    """The newsletter intent's payload as the channel hands it to Rasa after recognising `word`."""
    tracker = make_tracker(INTENT_PAYLOAD, intent="newsletter_subscription", sender=sender, channel="web")
    tracker.latest_message["metadata"] = {METADATA_KEY: word}
    return tracker


async def test_the_opt_out_word_not_the_payload_sets_the_conversation_language() -> None:
    validate = ValidateSlotMappings()
    assert await validate.extract_language(CollectingDispatcher(), flagged("退订", "x"), {}) == {"language": "zh"}
    assert await validate.extract_language(CollectingDispatcher(), flagged("STOP", "x"), {}) == {"language": "en"}


async def test_the_flagged_opt_out_withdraws_marketing_consent(crm: CrmOpener) -> None:
    cid, web_id = web_customer(crm, language="zh")
    dispatcher = CollectingDispatcher()
    await ActionNewsletter().run(dispatcher, flagged("unsubscribe", web_id), {})
    assert "unsubscribed" in texts(dispatcher)
    with crm() as session:
        assert not session.get(Customer, cid).marketing_consent
        event = session.scalars(select(ConsentEvent).where(ConsentEvent.customer_id == cid)).all()[-1]
        assert (event.granted, event.source) == (False, "chat-web")


async def test_without_the_flag_the_payload_alone_subscribes(crm: CrmOpener) -> None:
    _, web_id = web_customer(crm)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(INTENT_PAYLOAD, intent="newsletter_subscription", sender=web_id, channel="web")
    await ActionNewsletter().run(dispatcher, tracker, {})
    assert "subscribed" in texts(dispatcher) and "unsubscribed" not in texts(dispatcher)

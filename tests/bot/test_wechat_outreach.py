"""The channel's side of outreach: the one-tap opt-out word reaches Rasa as the newsletter intent with
the opt-out flag (no NLU guess), the CRM's send route admits only a well-formed, authorised request, and a
send goes as a customer-service message inside WeChat's 48-hour window, else as a template message (against
the e2e tests' fake of WeChat's API, which refuses customer-service messages outside the window)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.channels.wechat_api import CustomerServiceApi
from bot.channels.wechat_outreach import TEMPLATE_ENV, OutreachRequest, authorised, deliver, parse, template_id
from kelian import opt_out
from tests.bot.test_wechat_webhook import OPENID, make
from tests.e2e.wechat_fake import APP_ID, APP_SECRET, OUTREACH_TEMPLATE_ID, FakeWeChatApi

FIELDS = {
    "first": "好久不见,本周九折。",
    "keyword1": "会员专属优惠",
    "keyword2": "2026-12-07",
    "remark": "回复“退订”即可",
}
CONFIGURED = {TEMPLATE_ENV: OUTREACH_TEMPLATE_ID}


def test_the_opt_out_word_is_the_newsletter_intent_flagged_for_the_action() -> None:
    webhook, bot, _ = make()
    for word in ("退订", "STOP", " td "):
        fields = {"MsgType": "text", "FromUserName": OPENID, "Content": word}
        plan = webhook._plan(fields)
        assert (plan.rasa_text, plan.opt_out) == (opt_out.INTENT_PAYLOAD, word.strip())
    asyncio.run(webhook._rasa_turn({"MsgType": "text", "FromUserName": OPENID}, plan.rasa_text, plan.opt_out))
    assert opt_out.marked(bot.heard[-1].metadata) and bot.heard[-1].text == "/newsletter_subscription"


def test_other_messages_go_to_the_nlu_unflagged() -> None:
    webhook, bot, _ = make()
    plan = webhook._plan({"MsgType": "text", "FromUserName": OPENID, "Content": "stop my order KL12345678"})
    assert (plan.rasa_text, plan.opt_out) == ("stop my order KL12345678", None)
    asyncio.run(webhook._rasa_turn({"MsgType": "text", "FromUserName": OPENID}, plan.rasa_text))
    assert not opt_out.marked(bot.heard[-1].metadata)


def test_only_the_rasa_api_token_may_send() -> None:
    assert authorised("Bearer s3cret", "s3cret")
    assert not authorised("Bearer wrong", "s3cret")
    assert not authorised("s3cret", "s3cret")
    assert not authorised(None, "s3cret")
    assert not authorised("Bearer ", None)  # no token configured: nobody


def test_a_send_request_is_an_openid_a_bounded_text_and_optional_template_fields() -> None:
    assert parse(b'{"openid": "oAbc_123", "text": "hi"}') == OutreachRequest("oAbc_123", "hi", "en")
    assert parse('{"openid": "oAbc", "text": "好"}'.encode()) == OutreachRequest("oAbc", "好", "zh")
    full = parse(
        '{"openid": "oAbc", "text": "hi", "language": "zh", "window": "closed", "template": {"first": "好"}}'.encode()
    )
    assert full == OutreachRequest("oAbc", "hi", "zh", {"first": "好"}, window_closed=True)
    for bad in (
        b"not json",
        b"[]",
        b'{"openid": "a b", "text": "hi"}',
        b'{"openid": "oAbc", "text": ""}',
        b'{"openid": "oAbc", "text": 3}',
        ('{"openid": "oAbc", "text": "' + "好" * 700 + '"}').encode(),
        b'{"openid": "oAbc", "text": "hi", "language": "fr"}',
        b'{"openid": "oAbc", "text": "hi", "window": "shut"}',
        b'{"openid": "oAbc", "text": "hi", "template": ["first"]}',
        b'{"openid": "oAbc", "text": "hi", "template": {"first": 3}}',
        b'{"openid": "oAbc", "text": "hi", "template": {"first field": "x"}}',
        ('{"openid": "oAbc", "text": "hi", "template": {"first": "' + "好" * 700 + '"}}').encode(),
        ('{"openid": "oAbc", "text": "hi", "template": {' + ",".join(f'"k{i}": ""' for i in range(11)) + "}}").encode(),
    ):
        assert parse(bad) is None


def test_the_template_is_the_languages_own_else_the_shared_one_and_a_malformed_id_is_none() -> None:
    assert template_id("zh", {}) is None
    assert template_id("en", {TEMPLATE_ENV: " both "}) == "both"
    assert template_id("en", {TEMPLATE_ENV: "both", f"{TEMPLATE_ENV}_EN": "english"}) == "english"
    assert template_id("zh", {TEMPLATE_ENV: "both", f"{TEMPLATE_ENV}_EN": "english"}) == "both"
    assert template_id("zh", {TEMPLATE_ENV: "a b/../c"}) is None


# --- delivery through WeChat's API (the e2e fake: 48-hour window, registered templates) ----------------


@pytest.fixture
def fake() -> Iterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    api.start()
    yield api
    api.stop()


def with_api(fake: FakeWeChatApi, scenario: Callable[[CustomerServiceApi], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        api = CustomerServiceApi(APP_ID, APP_SECRET, fake.url, timeout=10)
        try:
            return await scenario(api)
        finally:
            await api.close()

    return asyncio.run(run())


def send(fake: FakeWeChatApi, request: OutreachRequest, environ: dict[str, str]) -> dict[str, Any]:
    return with_api(fake, lambda api: deliver(api, request, environ))


def test_a_follower_who_wrote_within_48_hours_gets_a_customer_service_message(fake: FakeWeChatApi) -> None:
    fake.follower_wrote("oRecent", at=time.time() - 47 * 3600)
    answer = send(fake, OutreachRequest("oRecent", "好久不见", "zh", FIELDS), CONFIGURED)
    assert answer == {"delivered": True, "via": "customer_service"}
    assert fake.messages_to("oRecent") == ["好久不见"] and fake.templates_to("oRecent") == []


def test_a_follower_silent_for_longer_gets_the_template_message_after_wechats_45015(fake: FakeWeChatApi) -> None:
    fake.follower_wrote("oSilent", at=time.time() - 72 * 3600)
    answer = send(fake, OutreachRequest("oSilent", "好久不见", "zh", FIELDS), CONFIGURED)
    assert answer == {"delivered": True, "via": "template"}
    assert fake.refused_outside_window("oSilent") == 1 and fake.messages_to("oSilent") == []
    (sent,) = fake.templates_to("oSilent")
    assert (sent.template_id, sent.data, sent.url) == (OUTREACH_TEMPLATE_ID, FIELDS, None)


def test_when_the_crm_knows_the_window_is_closed_the_template_goes_first(fake: FakeWeChatApi) -> None:
    fake.follower_wrote("oKnown", at=time.time() - 72 * 3600)
    english = {f"{TEMPLATE_ENV}_EN": OUTREACH_TEMPLATE_ID}
    answer = send(fake, OutreachRequest("oKnown", "We miss you", "en", FIELDS, window_closed=True), english)
    assert answer == {"delivered": True, "via": "template"}
    assert fake.refused_outside_window("oKnown") == 0 and len(fake.templates_to("oKnown")) == 1


def test_outside_the_window_without_a_template_the_send_fails_and_says_why(fake: FakeWeChatApi) -> None:
    fake.follower_wrote("oSilent", at=time.time() - 72 * 3600)
    answer = send(fake, OutreachRequest("oSilent", "We miss you", "en", FIELDS), {f"{TEMPLATE_ENV}_ZH": "zh-only"})
    assert answer["delivered"] is False and answer["via"] == "template"
    assert "45015" in answer["error"] and TEMPLATE_ENV in answer["error"]
    assert fake.templates_to("oSilent") == [] and fake.messages_to("oSilent") == []
    without_fields = send(fake, OutreachRequest("oSilent", "We miss you", "en"), CONFIGURED)
    assert without_fields["delivered"] is False and "template fields" in without_fields["error"]


def test_a_template_wechat_does_not_know_is_a_failure_naming_its_errcode(fake: FakeWeChatApi) -> None:
    fake.follower_wrote("oSilent", at=time.time() - 72 * 3600)
    answer = send(fake, OutreachRequest("oSilent", "hi", "en", FIELDS), {TEMPLATE_ENV: "notRegistered"})
    assert answer["delivered"] is False and "40037" in answer["error"] and fake.templates_to("oSilent") == []


def test_the_template_message_survives_a_revoked_token(fake: FakeWeChatApi) -> None:
    async def scenario(api: CustomerServiceApi) -> None:
        await api.access_token()
        fake.revoke_token()
        await api.send_template("oAny", OUTREACH_TEMPLATE_ID, FIELDS)

    with_api(fake, scenario)
    assert [t.data for t in fake.templates_to("oAny")] == [FIELDS] and fake.token_requests == 2

"""The channel's side of outreach: the one-tap opt-out word reaches Rasa as the newsletter intent with
the opt-out flag (no NLU guess), and the CRM's send route admits only a well-formed, authorised request."""

from __future__ import annotations

import asyncio

from bot.channels.wechat_outreach import authorised, parse
from kelian import opt_out
from tests.bot.test_wechat_webhook import OPENID, make


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


def test_a_send_request_is_an_openid_and_a_bounded_text() -> None:
    assert parse(b'{"openid": "oAbc_123", "text": "hi"}') == ("oAbc_123", "hi")
    assert parse('{"openid": "oAbc", "text": "好"}'.encode()) == ("oAbc", "好")
    for bad in (
        b"not json",
        b"[]",
        b'{"openid": "a b", "text": "hi"}',
        b'{"openid": "oAbc", "text": ""}',
        b'{"openid": "oAbc", "text": 3}',
        ('{"openid": "oAbc", "text": "' + "好" * 700 + '"}').encode(),
    ):
        assert parse(bad) is None

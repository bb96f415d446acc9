"""WeChat's plain-mode signature covers the token, timestamp and nonce but not the body. Before: a
signed request seen once could be sent again with another message inside and was accepted; an
`FromUserName` of any length or alphabet became a Rasa conversation id."""

from __future__ import annotations

import asyncio
import secrets
import time

from bot.channels.wechat_crypto import signature
from tests.bot.test_wechat_webhook import TOKEN, make, message_xml


def signed_args() -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    return {"signature": signature(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def test_a_signature_cannot_carry_another_message() -> None:
    async def scenario() -> None:
        webhook, bot, _ = make()
        args = signed_args()
        first = message_xml(Content="hi", msg_id="1001").encode()
        assert (await webhook.receive(args, first)).status == 200
        assert (await webhook.receive(args, first)).status == 200  # WeChat's own retry: same body
        forged = message_xml(Content="cancel my order", msg_id="1002").encode()
        assert (await webhook.receive(args, forged)).status == 403
        assert [m.text for m in bot.heard] == ["hi"]
        await webhook.drain()

    asyncio.run(scenario())


def test_a_made_up_sender_is_refused() -> None:
    async def scenario() -> None:
        webhook, bot, _ = make()
        for sender in ("x" * 200, "a/b", "张三"):
            body = message_xml(Content="hi", openid=sender).encode()
            assert (await webhook.receive(signed_args(), body)).status == 400
        assert bot.heard == []

    asyncio.run(scenario())


def test_a_long_message_is_cut_before_rasa_with_a_note() -> None:
    async def scenario() -> None:
        webhook, bot, api = make()
        reply = await webhook.receive(signed_args(), message_xml(Content="查" * 5000).encode())
        await webhook.drain()
        assert reply.status == 200 and len(bot.heard[0].text) == 2000
        assert "2000" in reply.body + "".join(text for _, texts in api.delivered for text in texts)

    asyncio.run(scenario())

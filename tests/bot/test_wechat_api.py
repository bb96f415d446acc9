"""The customer-service API client against a local fake of WeChat's API (aiohttp, on a free port)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any

import pytest
from aiohttp import web

from bot.channels.wechat_api import CustomerServiceApi, WeChatApiError, refresh_margin

SECRET = "fake-app-secret"


class FakeWeChat:
    """/cgi-bin/token hands out token-1, token-2, …; custom/send accepts only the newest one, unless
    told to refuse every message with `refuse_with`."""

    def __init__(self, expires_in: int = 7200) -> None:
        self.expires_in = expires_in
        self.tokens: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.sent: list[dict[str, Any]] = []
        self.raw_bodies: list[bytes] = []
        self.refuse_with: int | None = None

    def revoke(self) -> None:
        self.tokens.append("revoked")

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests.append(dict(request.query))
        if request.query.get("secret") != SECRET:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens.append(f"token-{len(self.tokens) + 1}")
        return web.json_response({"access_token": self.tokens[-1], "expires_in": self.expires_in})

    async def send(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.raw_bodies.append(body)
        if request.query.get("access_token") != self.tokens[-1]:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if self.refuse_with:
            return web.json_response({"errcode": self.refuse_with, "errmsg": "response out of time limit"})
        self.sent.append({"token": request.query["access_token"], **json.loads(body)})
        return web.json_response({"errcode": 0, "errmsg": "ok"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve(fake: FakeWeChat) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/cgi-bin/token", fake.token)
    app.router.add_post("/cgi-bin/message/custom/send", fake.send)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def with_fake(test: Any, expires_in: int = 7200, secret: str = SECRET) -> None:
    async def scenario() -> None:
        fake = FakeWeChat(expires_in)
        runner, base = await serve(fake)
        clock = Clock()
        api = CustomerServiceApi("wxkelian0000000001", secret, base, timeout=5, clock=clock)
        try:
            await test(api, fake, clock)
        finally:
            await api.close()
            await runner.cleanup()

    asyncio.run(scenario())


def test_messages_are_sent_with_one_cached_token():
    async def test(api: CustomerServiceApi, fake: FakeWeChat, clock: Clock) -> None:
        assert await api.deliver("wx-demo-li", ["第一条", "second"]) == 2
        assert [m["text"]["content"] for m in fake.sent] == ["第一条", "second"]
        assert fake.sent[0]["touser"] == "wx-demo-li" and fake.sent[0]["msgtype"] == "text"
        assert fake.token_requests == [
            {"grant_type": "client_credential", "appid": "wxkelian0000000001", "secret": SECRET}
        ]
        assert "第一条".encode() in fake.raw_bodies[0]  # UTF-8, not \\u escapes

    with_fake(test)


def test_the_token_is_renewed_shortly_before_it_expires():
    async def test(api: CustomerServiceApi, fake: FakeWeChat, clock: Clock) -> None:
        await api.send_text("u", "a")
        clock.now = 7200 - refresh_margin(7200) - 1
        await api.send_text("u", "b")
        assert len(fake.token_requests) == 1
        clock.now += 2
        await api.send_text("u", "c")
        assert len(fake.token_requests) == 2 and fake.sent[-1]["token"] == "token-2"

    with_fake(test)


def test_a_refused_token_is_replaced_and_the_message_sent_again():
    async def test(api: CustomerServiceApi, fake: FakeWeChat, clock: Clock) -> None:
        await api.send_text("u", "a")
        fake.revoke()  # e.g. the token was renewed elsewhere: WeChat answers 40001
        await api.send_text("u", "b")
        assert [m["text"]["content"] for m in fake.sent] == ["a", "b"] and len(fake.token_requests) == 2

    with_fake(test)


def test_a_refused_message_stops_the_delivery_and_is_logged_without_secrets(caplog):
    async def test(api: CustomerServiceApi, fake: FakeWeChat, clock: Clock) -> None:
        fake.refuse_with = 45015
        with caplog.at_level(logging.ERROR):
            assert await api.deliver("u", ["a", "b"]) == 0
        assert "45015" in caplog.text and SECRET not in caplog.text and "token-1" not in caplog.text

    with_fake(test)


def test_a_wrong_secret_is_an_error_naming_the_errcode():
    async def test(api: CustomerServiceApi, fake: FakeWeChat, clock: Clock) -> None:
        with pytest.raises(WeChatApiError, match="40125"):
            await api.send_text("u", "a")

    with_fake(test, secret="wrong")


def test_an_unreachable_api_is_an_error_without_the_url():
    async def scenario() -> None:
        api = CustomerServiceApi("wxkelian0000000001", SECRET, f"http://127.0.0.1:{free_port()}", timeout=2)
        try:
            with pytest.raises(WeChatApiError) as error:
                await api.send_text("u", "a")
            assert SECRET not in str(error.value) and "127.0.0.1" not in str(error.value)
            assert await api.deliver("u", ["a"], retry_delay=0) == 0
        finally:
            await api.close()

    asyncio.run(scenario())


def test_without_credentials_nothing_is_attempted():
    async def scenario() -> None:
        api = CustomerServiceApi("", "", "http://127.0.0.1:9")
        assert not api.configured
        with pytest.raises(WeChatApiError, match="not configured"):
            await api.access_token()

    asyncio.run(scenario())

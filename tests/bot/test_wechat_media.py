"""WeChat's media API through the client (bot/channels/wechat_api.py), against a local fake: a follower's
image fetched by MediaId with a size cap, a renewed token, refusals; an agent's image uploaded then sent."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from aiohttp import web

from bot.channels.wechat_api import CustomerServiceApi, WeChatApiError

SECRET = "fake-app-secret"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 500


class FakeMedia:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.media: dict[str, bytes] = {"m-photo": JPEG}
        self.uploads: list[tuple[str, bytes, str]] = []
        self.sent: list[dict[str, Any]] = []
        self.undeclared = False

    async def token(self, request: web.Request) -> web.Response:
        self.tokens.append(f"token-{len(self.tokens) + 1}")
        return web.json_response({"access_token": self.tokens[-1], "expires_in": 7200})

    def _bad_token(self, request: web.Request) -> bool:
        return request.query.get("access_token") != self.tokens[-1]

    async def get(self, request: web.Request) -> web.StreamResponse:
        if self._bad_token(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        data = self.media.get(request.query.get("media_id", ""))
        if data is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        if not self.undeclared:
            return web.Response(body=data, content_type="image/jpeg")
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})  # chunked: no Content-Length
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(data)
        await response.write_eof()
        return response

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        media = form["media"]
        assert isinstance(media, web.FileField)
        self.uploads.append((request.query["type"], media.file.read(), media.content_type))
        return web.json_response({"type": "image", "media_id": "up-1", "created_at": 1})

    async def send(self, request: web.Request) -> web.Response:
        if self._bad_token(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.sent.append(json.loads(await request.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})


def with_fake(test: Any) -> None:
    async def scenario() -> None:
        fake = FakeMedia()
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_get("/cgi-bin/token", fake.token)
        app.router.add_get("/cgi-bin/media/get", fake.get)
        app.router.add_post("/cgi-bin/media/upload", fake.upload)
        app.router.add_post("/cgi-bin/message/custom/send", fake.send)
        runner = web.AppRunner(app)
        await runner.setup()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        await web.TCPSite(runner, "127.0.0.1", port).start()
        api = CustomerServiceApi("wxkelian0000000001", SECRET, f"http://127.0.0.1:{port}", timeout=5)
        try:
            await test(api, fake)
        finally:
            await api.close()
            await runner.cleanup()

    asyncio.run(scenario())


def test_a_followers_image_is_fetched_by_its_media_id() -> None:
    async def test(api: CustomerServiceApi, fake: FakeMedia) -> None:
        assert await api.fetch_media("m-photo") == JPEG
        with pytest.raises(WeChatApiError) as refused:
            await api.fetch_media("gone")
        assert refused.value.errcode == 40007

    with_fake(test)


@pytest.mark.parametrize("undeclared", [False, True], ids=["content-length", "chunked"])
def test_an_image_over_the_cap_is_not_read_further(undeclared: bool) -> None:
    async def test(api: CustomerServiceApi, fake: FakeMedia) -> None:
        fake.undeclared = undeclared
        with pytest.raises(WeChatApiError) as refused:
            await api.fetch_media("m-photo", limit=100)
        assert refused.value.errcode == -413

    with_fake(test)


def test_a_revoked_token_is_renewed_for_media_too() -> None:
    async def test(api: CustomerServiceApi, fake: FakeMedia) -> None:
        await api.fetch_media("m-photo")
        fake.tokens.append("revoked")
        assert await api.fetch_media("m-photo") == JPEG
        assert len(fake.tokens) == 3

    with_fake(test)


def test_an_agents_image_is_uploaded_then_sent_as_an_image_message() -> None:
    async def test(api: CustomerServiceApi, fake: FakeMedia) -> None:
        media_id = await api.upload_image(JPEG, "image/png")
        await api.send_image("wx-demo-li", media_id)
        assert fake.uploads == [("image", JPEG, "image/png")]
        assert fake.sent == [{"touser": "wx-demo-li", "msgtype": "image", "image": {"media_id": "up-1"}}]

    with_fake(test)

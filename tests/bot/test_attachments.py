"""The channels' side of attachments (bot/channels/attachments.py): the bound before anything leaves the Rasa
server, the links an agent's image is shown through on the web page, the hand-over to the console's
internal endpoint (a stand-in server), and the web output's image message."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp import web

from bot.channels import attachments
from bot.channels.web import WebOutput, conversation_room
from kelian.agent_voice import IMAGE_SCHEME

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
FILE_ID = "ab" * 16


@pytest.mark.parametrize(
    "data,reason",
    [(b"", "empty"), (b"%PDF-1.4", "not_image"), (b"GIF89a....", "not_image"), (JPEG + b"\0" * 200, "too_large")],
)
def test_the_precheck_refuses_before_anything_leaves_the_server(data: bytes, reason: str) -> None:
    assert attachments.precheck(data, limit=100) == reason


def test_the_precheck_passes_jpeg_png_and_webp_by_their_magic_bytes() -> None:
    for data in (JPEG, b"\x89PNG\r\n\x1a\n" + b"\0" * 8, b"RIFF\0\0\0\0WEBPVP8 "):
        assert attachments.precheck(data) is None


def test_every_note_is_in_chinese_then_english() -> None:
    for note in attachments.NOTES.values():
        chinese, english = note.split("\n")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese) and english.isascii()


def test_a_link_opens_its_image_for_its_conversation_only() -> None:
    link = attachments.signed_link(FILE_ID, "guest-0123456789abcdef", SECRET)
    assert attachments.open_link(link, SECRET) == (FILE_ID, "guest-0123456789abcdef")
    payload, signature = link.split(".")
    forged = attachments.signed_link(FILE_ID, "demo-alice", SECRET).split(".")[0] + "." + signature
    for bad in (forged, link + "x", payload, f"{payload}.{signature}.x", "", "a" * 600):
        assert attachments.open_link(bad, SECRET) is None
    assert attachments.open_link(link, "another-secret-that-is-also-long-enough") is None


class Console:
    """The console's internal endpoints, as far as the channels use them."""

    def __init__(self, status: int = 201, answer: Any = None) -> None:
        self.status = status
        self.answer = answer if answer is not None else {"file_id": FILE_ID}
        self.seen: list[tuple[str, dict[str, str], bytes]] = []

    async def post(self, request: web.Request) -> web.Response:
        self.seen.append((request.headers.get("Authorization", ""), dict(request.query), await request.read()))
        return web.json_response(self.answer, status=self.status)

    async def get(self, request: web.Request) -> web.Response:
        self.seen.append((request.headers.get("Authorization", ""), dict(request.query), b""))
        if request.match_info["file_id"] != FILE_ID:
            raise web.HTTPNotFound()
        return web.Response(body=JPEG, content_type="image/jpeg")


async def serve(console: Console) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/internal/attachments", console.post)
    app.router.add_get("/internal/attachments/{file_id}", console.get)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def with_console(console: Console, test: Any) -> None:
    async def scenario() -> None:
        runner, url = await serve(console)
        client = attachments.ServicesClient(url, token="rasa-token")
        try:
            await test(client)
        finally:
            await client.close()
            await runner.cleanup()

    asyncio.run(scenario())


def test_an_upload_is_handed_over_with_rasas_token_and_its_conversation() -> None:
    console = Console()

    async def test(client: attachments.ServicesClient) -> None:
        assert await client.hand_over("web", "guest-0123456789abcdef", JPEG) == attachments.HandOver(file_id=FILE_ID)
        assert await client.agent_image("web", "guest-0123456789abcdef", FILE_ID) == (JPEG, "image/jpeg")
        assert await client.agent_image("web", "guest-0123456789abcdef", "cd" * 16) is None

    with_console(console, test)
    authorization, query, body = console.seen[0]
    assert authorization == "Bearer rasa-token" and body == JPEG
    assert query == {"channel": "web", "sender": "guest-0123456789abcdef"}


def test_the_consoles_refusal_is_the_customers_note_and_a_failure_is_unavailable() -> None:
    async def refused(client: attachments.ServicesClient) -> None:
        assert await client.hand_over("web", "g", JPEG) == attachments.HandOver(error="too_many_pixels")

    with_console(Console(413, {"error": "too_many_pixels"}), refused)

    async def odd(client: attachments.ServicesClient) -> None:
        assert await client.hand_over("web", "g", JPEG) == attachments.HandOver(error="unavailable")

    with_console(Console(500, {"error": "<script>"}), odd)

    async def unreachable() -> None:
        client = attachments.ServicesClient("http://127.0.0.1:9", token="t")
        assert await client.hand_over("web", "g", JPEG) == attachments.HandOver(error="unavailable")
        await client.close()

    asyncio.run(unreachable())


def test_a_non_image_never_reaches_the_console() -> None:
    console = Console()

    async def test(client: attachments.ServicesClient) -> None:
        assert await client.hand_over("web", "g", b"<html>") == attachments.HandOver(error="not_image")

    with_console(console, test)
    assert console.seen == []


class Sio:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str]] = []

    async def emit(self, event: str, data: Any, room: str) -> None:
        self.emitted.append((event, data, room))


def test_the_web_page_gets_an_agents_image_as_a_signed_link_with_the_agents_name() -> None:
    sio = Sio()
    output = WebOutput(sio, "bot_uttered", SECRET)  # type: ignore[arg-type]
    asyncio.run(
        output.send_image_url(
            "guest-0123456789abcdef", IMAGE_SCHEME + FILE_ID, agent_name="客服小美", agent_event="message"
        )
    )
    [(event, data, room)] = sio.emitted
    assert event == "bot_uttered" and room == conversation_room("guest-0123456789abcdef")
    assert data["agent"] == {"name": "客服小美", "event": "message"}
    src = data["attachment"]["payload"]["src"]
    assert src.startswith("/webhooks/web/attachments/")
    assert attachments.open_link(src.rsplit("/", 1)[1], SECRET) == (FILE_ID, "guest-0123456789abcdef")


class MediaApi:
    def __init__(self) -> None:
        self.uploaded: list[tuple[bytes, str]] = []
        self.images: list[tuple[str, str]] = []
        self.texts: list[tuple[str, list[str]]] = []

    async def upload_image(self, data: bytes, media_type: str) -> str:
        self.uploaded.append((data, media_type))
        return "media-1"

    async def send_image(self, openid: str, media_id: str) -> None:
        self.images.append((openid, media_id))

    async def deliver(self, openid: str, texts: list[str]) -> int:
        self.texts.append((openid, texts))
        return len(texts)


class AgentImages:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []

    async def agent_image(self, channel: str, sender: str, file_id: str) -> tuple[bytes, str] | None:
        self.asked.append((channel, sender, file_id))
        return (JPEG, "image/jpeg") if file_id == FILE_ID else None


def test_wechat_gets_an_agents_image_uploaded_as_media_then_sent() -> None:
    from bot.channels.wechat import WeChatOutput

    api, services = MediaApi(), AgentImages()
    output = WeChatOutput(api, None, services)  # type: ignore[arg-type]
    asyncio.run(output.send_image_url("wx-1", IMAGE_SCHEME + FILE_ID, agent_name="客服小美", agent_event="message"))
    assert services.asked == [("wechat", "wx-1", FILE_ID)]
    assert api.uploaded == [(JPEG, "image/jpeg")] and api.images == [("wx-1", "media-1")]
    asyncio.run(output.send_image_url("wx-1", IMAGE_SCHEME + "cd" * 16))  # not one staff sent: nothing goes
    assert api.images == [("wx-1", "media-1")] and api.texts == []

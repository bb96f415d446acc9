"""A fake of WeChat's API servers for the end-to-end tests: /cgi-bin/token, the customer-service
message API, the template message API and the media API (a follower's image by MediaId; an agent's image
uploaded, then sent), on a free local port, in a thread of its own (the stack's Rasa server calls it).

Like WeChat, it refuses a customer-service message (errcode 45015) to a follower who has not written in
the last 48 hours. It learns when a follower wrote from the tests (`follower_wrote`, for each message a
test sends through the webhook). A follower it was never told about counts as within the window: the
WeChat conversation tests send through tests/e2e/test_wechat.py's WeChatServer, which does not tell it
yet; a test that needs a silent follower says when they last wrote (`follower_wrote(openid, at=...)`).
Template messages need a registered template (`TEMPLATE_IDS`) and fields shaped {name: {"value": text}};
what was sent is kept for the tests (`templates_to`)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# The e2e stack's WeChat account (compatible mode: plain and encrypted messages both accepted).
MODE = "compatible"
TOKEN = "e2e-wechat-token"
ENCODING_AES_KEY = "HNiZW7KCDVVvAHudlbBk4CX7I4h0zn02FAYQDKrJpEf"
APP_ID = "wxkelian00000e2e01"
APP_SECRET = "e2e-fake-app-secret"
# The template the stack's official account registered for outreach (both languages), as WeChat names one.
OUTREACH_TEMPLATE_ID = "e2eKelianOutreachTemplate0000000000000000001"
TEMPLATE_IDS = frozenset({OUTREACH_TEMPLATE_ID})
CUSTOMER_SERVICE_WINDOW = 48 * 3600.0
MAX_TEMPLATE_VALUE_CHARS = 1000


def stack_env(api_url: str) -> dict[str, str]:
    """The environment that points the stack's WeChat connector at this account and at the fake."""
    return {
        "KELIAN_WECHAT_MODE": MODE,
        "KELIAN_WECHAT_TOKEN": TOKEN,
        "KELIAN_WECHAT_ENCODING_AES_KEY": ENCODING_AES_KEY,
        "KELIAN_WECHAT_APP_ID": APP_ID,
        "KELIAN_WECHAT_APP_SECRET": APP_SECRET,
        "KELIAN_WECHAT_API_BASE": api_url,
        "KELIAN_WECHAT_OUTREACH_TEMPLATE_ID": OUTREACH_TEMPLATE_ID,
    }


@dataclass(frozen=True)
class Sent:
    touser: str
    content: str
    token: str


@dataclass(frozen=True)
class SentTemplate:
    touser: str
    template_id: str
    data: dict[str, str]  # field -> value
    url: str | None


class FakeWeChatApi:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: list[str] = []
        self._sent: list[Sent] = []
        self._media: dict[str, tuple[bytes, str]] = {}  # media_id -> (file, content type), as WeChat keeps them
        self._images_sent: list[tuple[str, str]] = []  # (touser, media_id) of image messages
        self._token_requests = 0
        self._last_wrote: dict[str, float] = {}  # openid -> when they last wrote (time.time())
        self._templates: list[SentTemplate] = []
        self._refused_outside_window: list[str] = []  # openids refused with 45015
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- what the tests read and do -----------------------------------------------------------
    @property
    def token_requests(self) -> int:
        with self._lock:
            return self._token_requests

    def messages_to(self, openid: str) -> list[str]:
        with self._lock:
            return [m.content for m in self._sent if m.touser == openid]

    def wait_for(self, openid: str, count: int, timeout: float = 180.0) -> list[str]:
        """The messages sent to `openid` once there are at least `count` (the stack may be slow)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages_to(openid)
            if len(messages) >= count:
                return messages
            time.sleep(0.2)
        raise AssertionError(f"{count} messages to {openid} expected, got {self.messages_to(openid)}")

    def follower_wrote(self, openid: str, at: float | None = None) -> None:
        """The follower sent the official account a message (at `at`, a time.time(); now by default)."""
        with self._lock:
            self._last_wrote[openid] = time.time() if at is None else at

    def _inside_window(self, openid: str) -> bool:
        """Whether WeChat would take a customer-service message to `openid` now (the lock is held)."""
        last = self._last_wrote.get(openid)
        return last is None or time.time() - last < CUSTOMER_SERVICE_WINDOW

    def refused_outside_window(self, openid: str) -> int:
        """How many customer-service messages to `openid` were refused with 45015."""
        with self._lock:
            return self._refused_outside_window.count(openid)

    def templates_to(self, openid: str) -> list[SentTemplate]:
        with self._lock:
            return [t for t in self._templates if t.touser == openid]

    def wait_for_template(self, openid: str, timeout: float = 180.0) -> SentTemplate:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            templates = self.templates_to(openid)
            if templates:
                return templates[-1]
            time.sleep(0.2)
        raise AssertionError(f"no template message to {openid}")

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """A file a follower sent, as WeChat keeps it for its MediaId."""
        with self._lock:
            self._media[media_id] = (data, content_type)

    def images_to(self, openid: str) -> list[bytes]:
        """The files of the image messages sent to `openid` (uploaded first, as WeChat requires)."""
        with self._lock:
            return [self._media[media_id][0] for touser, media_id in self._images_sent if touser == openid]

    def wait_for_image(self, openid: str, timeout: float = 180.0) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            images = self.images_to(openid)
            if images:
                return images[-1]
            time.sleep(0.2)
        raise AssertionError(f"no image message to {openid}")

    def revoke_token(self) -> None:
        """The current access token becomes invalid (WeChat then answers errcode 40001)."""
        with self._lock:
            self._tokens.append("revoked")

    # ---- WeChat's side --------------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        with self._lock:
            self._token_requests += 1
            if (query.get("grant_type"), query.get("appid"), query.get("secret")) != (
                "client_credential",
                APP_ID,
                APP_SECRET,
            ):
                return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
            self._tokens.append(f"e2e-token-{len(self._tokens) + 1}")
            return web.json_response({"access_token": self._tokens[-1], "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        body: dict[str, Any] = json.loads(await request.read())
        with self._lock:
            if not self._tokens or token != self._tokens[-1]:
                return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
            if not self._inside_window(str(body.get("touser"))):
                self._refused_outside_window.append(str(body.get("touser")))
                return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
            if body.get("msgtype") == "image":
                media_id = body.get("image", {}).get("media_id")
                if media_id not in self._media:
                    return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
                self._images_sent.append((body["touser"], media_id))
                return web.json_response({"errcode": 0, "errmsg": "ok"})
            if body.get("msgtype") != "text" or not isinstance(body.get("text", {}).get("content"), str):
                return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
            self._sent.append(Sent(body["touser"], body["text"]["content"], token))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        if not self._valid(request.query.get("access_token", "")):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        try:
            body: Any = json.loads(await request.read())
        except ValueError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        if not isinstance(body, dict) or not isinstance(body.get("touser"), str) or not body["touser"]:
            return web.json_response({"errcode": 40003, "errmsg": "invalid openid"})
        if body.get("template_id") not in TEMPLATE_IDS:
            return web.json_response({"errcode": 40037, "errmsg": "invalid template_id"})
        url, data = body.get("url"), body.get("data")
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            return web.json_response({"errcode": 40039, "errmsg": "invalid url"})
        if not isinstance(data, dict) or not data:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        values: dict[str, str] = {}
        for name, field in data.items():
            value = field.get("value") if isinstance(field, dict) else None
            if not isinstance(value, str) or len(value) > MAX_TEMPLATE_VALUE_CHARS:
                return web.json_response({"errcode": 47001, "errmsg": f"data format error: {name}"})
            values[name] = value
        with self._lock:
            self._templates.append(SentTemplate(body["touser"], body["template_id"], values, url))
            msgid = len(self._templates)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    def _valid(self, token: str) -> bool:
        with self._lock:
            return bool(self._tokens) and token == self._tokens[-1]

    async def _media_get(self, request: web.Request) -> web.Response:
        if not self._valid(request.query.get("access_token", "")):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        with self._lock:
            found = self._media.get(request.query.get("media_id", ""))
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=found[0], content_type=found[1])

    async def _media_upload(self, request: web.Request) -> web.Response:
        if not self._valid(request.query.get("access_token", "")) or request.query.get("type") != "image":
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential or type"})
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        with self._lock:
            media_id = f"e2e-upload-{len(self._media) + 1}"
            self._media[media_id] = (media.file.read(), media.content_type)
        return web.json_response({"type": "image", "media_id": media_id, "created_at": int(time.time())})

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        runner = self._runner = web.AppRunner(app)
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(runner.setup())
            self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
            started.set()
            self._loop.run_forever()

        threading.Thread(target=serve, name="fake-wechat-api", daemon=True).start()
        if not started.wait(30):
            raise RuntimeError("the fake WeChat API did not start")
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)

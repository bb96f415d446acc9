"""WeChat's customer-service message API (客服消息), for answers that cannot be the passive reply:
slower than WeChat's 5 seconds, or more than one message.

    GET  {api_base}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…
         → {"access_token": "…", "expires_in": 7200}
    POST {api_base}/cgi-bin/message/custom/send?access_token=…
         {"touser": openid, "msgtype": "text", "text": {"content": "…"}} → {"errcode": 0, …}
         {"touser": openid, "msgtype": "image", "image": {"media_id": "…"}}
    POST {api_base}/cgi-bin/message/template/send?access_token=…
         {"touser": openid, "template_id": "…", "data": {"first": {"value": "…"}, …}} → {"errcode": 0, "msgid": …}
    GET  {api_base}/cgi-bin/media/get?access_token=…&media_id=…  → the file (or a JSON error)
    POST {api_base}/cgi-bin/media/upload?access_token=…&type=image  (multipart `media`) → {"media_id": …}

A customer-service message is allowed only within 48 hours of the follower's last message (else errcode
45015, `OUTSIDE_WINDOW`); a template message (模板消息), with a template the account registered, is not bound
to that window, so outreach to a silent follower goes that way (bot/channels/wechat_outreach.py).

Media (attachments): what a follower's image message names by MediaId is fetched with a size cap; an agent's
image is uploaded as temporary media, then sent as an image message.

The access token is cached until shortly before it expires, and fetched again when WeChat says it
is invalid or expired (errcode 40001, 40014, 42001). Neither the secret nor a token is ever logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Optional

import aiohttp

from kelian.attachments import MAX_BYTES

logger = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
OUTSIDE_WINDOW = 45015  # the follower has not written in the last 48 hours: no customer-service message
DEFAULT_API_BASE = "https://api.weixin.qq.com"


class WeChatApiError(RuntimeError):
    """WeChat refused a call or could not be reached; the message says why, without credentials."""

    def __init__(self, message: str, errcode: Optional[int] = None) -> None:
        super().__init__(message)
        self.errcode = errcode


def refresh_margin(expires_in: float) -> float:
    """How long before its expiry a token is replaced: five minutes, or half the lifetime of a short one."""
    return min(300.0, expires_in / 2)


class CustomerServiceApi:
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self.api_base = api_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._lock: Optional[asyncio.Lock] = None
        self._session: Optional[aiohttp.ClientSession] = None

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self._secret)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def _call(
        self, method: str, path: str, params: dict[str, str], body: Optional[dict[str, Any]] = None
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {} if body is None else {"Content-Type": "application/json; charset=utf-8"}
        try:
            async with self._client().request(
                method, self.api_base + path, params=params, data=data, headers=headers
            ) as response:
                if response.status != 200:
                    raise WeChatApiError(f"{path} answered HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            # The exception's text may contain the URL, and so the token: only its type is told.
            raise WeChatApiError(f"{path} failed: {type(error).__name__}") from None
        if not isinstance(answer, dict):
            raise WeChatApiError(f"{path} answered something other than a JSON object")
        return answer

    async def access_token(self) -> str:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token and self._clock() < self._expires_at:
                return self._token
            if not self.configured:
                raise WeChatApiError("the app id or app secret is not configured")
            answer = await self._call(
                "GET",
                "/cgi-bin/token",
                {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret},
            )
            token = answer.get("access_token")
            if not isinstance(token, str) or not token:
                raise WeChatApiError(
                    f"no access token: errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip(),
                    answer.get("errcode"),
                )
            expires_in = float(answer.get("expires_in") or 7200)
            self._token = token
            self._expires_at = self._clock() + expires_in - refresh_margin(expires_in)
            return token

    def _forget(self, token: str) -> None:
        if self._token == token:
            self._token = None

    async def send_text(self, openid: str, content: str) -> None:
        """One text message to a follower; raises WeChatApiError when WeChat does not accept it."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for attempt in (1, 2):
            token = await self.access_token()
            answer = await self._call("POST", "/cgi-bin/message/custom/send", {"access_token": token}, body)
            errcode = int(answer.get("errcode") or 0)
            if errcode == 0:
                return
            if errcode in TOKEN_ERRORS and attempt == 1:
                logger.info("wechat: the access token was refused (errcode %s); fetching a new one", errcode)
                self._forget(token)
                continue
            raise WeChatApiError(f"custom/send refused: errcode {errcode} {answer.get('errmsg', '')}".strip(), errcode)

    async def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        """One template message (each of `data`'s fields filled with its text); raises WeChatApiError when
        WeChat does not accept it."""
        body = {
            "touser": openid,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }

        async def send(token: str) -> None:
            answer = await self._call("POST", "/cgi-bin/message/template/send", {"access_token": token}, body)
            errcode = int(answer.get("errcode") or 0)
            if errcode:
                raise WeChatApiError(
                    f"template/send refused: errcode {errcode} {answer.get('errmsg', '')}".strip(), errcode
                )

        await self._with_token(send)

    async def _with_token(self, call: Callable[[str], Any]) -> Any:
        """`call(token)` once, and again with a new token when WeChat said the first was no longer valid."""
        for attempt in (1, 2):
            token = await self.access_token()
            try:
                return await call(token)
            except WeChatApiError as error:
                if error.errcode in TOKEN_ERRORS and attempt == 1:
                    self._forget(token)
                    continue
                raise
        raise AssertionError("unreachable")

    async def fetch_media(self, media_id: str, limit: int = MAX_BYTES) -> bytes:
        """The file of a follower's image message; WeChatApiError when WeChat refuses it, it is larger than
        `limit` (never read further) or the call times out."""

        async def fetch(token: str) -> bytes:
            try:
                async with self._client().get(
                    self.api_base + "/cgi-bin/media/get", params={"access_token": token, "media_id": media_id}
                ) as response:
                    if response.status != 200:
                        raise WeChatApiError(f"media/get answered HTTP {response.status}")
                    if response.content_type in ("application/json", "text/plain"):
                        answer = json.loads(await response.content.read(64 * 1024) or b"{}")
                        errcode = int(answer.get("errcode") or 0) if isinstance(answer, dict) else None
                        raise WeChatApiError(f"media/get refused: errcode {errcode}", errcode)
                    declared = response.content_length
                    if declared is not None and declared > limit:
                        raise WeChatApiError("media/get: the file is too large", errcode=-413)
                    data = await response.content.read(limit + 1)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                raise WeChatApiError(f"media/get failed: {type(error).__name__}") from None
            if len(data) > limit:
                raise WeChatApiError("media/get: the file is too large", errcode=-413)
            return data

        return await self._with_token(fetch)

    async def upload_image(self, data: bytes, media_type: str) -> str:
        """Uploads an image as temporary media; its media_id."""
        extension = {"image/png": "png", "image/webp": "webp"}.get(media_type, "jpg")

        async def upload(token: str) -> str:
            form = aiohttp.FormData()
            form.add_field("media", data, filename=f"image.{extension}", content_type=media_type)
            try:
                async with self._client().post(
                    self.api_base + "/cgi-bin/media/upload", params={"access_token": token, "type": "image"}, data=form
                ) as response:
                    if response.status != 200:
                        raise WeChatApiError(f"media/upload answered HTTP {response.status}")
                    answer = await response.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                raise WeChatApiError(f"media/upload failed: {type(error).__name__}") from None
            media_id = answer.get("media_id") if isinstance(answer, dict) else None
            if not isinstance(media_id, str) or not media_id:
                errcode = answer.get("errcode") if isinstance(answer, dict) else None
                raise WeChatApiError(f"media/upload refused: errcode {errcode}", errcode)
            return media_id

        return await self._with_token(upload)

    async def send_image(self, openid: str, media_id: str) -> None:
        body = {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}

        async def send(token: str) -> None:
            answer = await self._call("POST", "/cgi-bin/message/custom/send", {"access_token": token}, body)
            errcode = int(answer.get("errcode") or 0)
            if errcode:
                raise WeChatApiError(f"custom/send (image) refused: errcode {errcode}", errcode)

        await self._with_token(send)

    async def deliver(self, openid: str, texts: list[str], retry_delay: float = 1.0) -> int:
        """Sends the texts in order; a network failure is tried once more. Stops at the first message
        WeChat refuses (the rest would be refused too, e.g. outside the 48-hour window) and logs it.
        Returns how many were delivered."""
        for index, text in enumerate(texts):
            for attempt in (1, 2):
                try:
                    await self.send_text(openid, text)
                    break
                except WeChatApiError as error:
                    if error.errcode is None and attempt == 1:
                        await asyncio.sleep(retry_delay)
                        continue
                    logger.error("wechat: %d of %d messages not delivered: %s", len(texts) - index, len(texts), error)
                    return index
        return len(texts)

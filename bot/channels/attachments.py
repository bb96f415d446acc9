"""Images customers send, and images agents send them, on the channels' side (attachments, #16 item 6).

The Rasa server keeps no files and imports none of the services: an image a customer sent (the web page's
upload, a WeChat image message fetched through the media API) is bounded here (size, magic bytes) and
handed to the console's internal endpoint over HTTP (`POST {console}/internal/attachments`, with the Rasa API
token), which decodes it, strips its metadata and stores it (console/attachments.py). What the bot then does:

- the conversation is with an agent (paused by the hand-off): the image becomes a customer message of the
  tracker (`IMAGE_TEXT`, the attachment id in its metadata), which the agent sees in the console at once;
- otherwise: no turn (the NLU has nothing to read in a photo); the channel says it got the image and how to
  reach a person, and the image stays with the conversation in the CRM for whoever serves it later.

An agent's image comes back as the bot's image `kelian-attachment:<id>` (kelian.agent_voice); the channel
fetches its bytes from `GET {console}/internal/attachments/<id>`, which only hands out images staff sent to
that very conversation. The web page gets a link signed for its conversation (`signed_link`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from typing import Any, Optional

import aiohttp

from kelian.attachments import MAX_BYTES, sniff

logger = logging.getLogger(__name__)

CONSOLE_URL_ENV = "KELIAN_CONSOLE_URL"
TOKEN_ENV = "KELIAN_RASA_TOKEN"
TIMEOUT_SECONDS = 20.0

# What the channel says, Chinese first (the channel's own words, as in wechat_replies.py).
NOTES = {
    "received": (
        "收到您的图片了。如需人工客服查看,请回复“转人工”。\n"
        'Got your image. To have a person look at it, type "talk to a person".'
    ),
    "not_image": (
        "这个文件不是我们能接收的图片,请发送 JPG、PNG 或 WebP 格式的照片。\n"
        "That file isn't an image we can take: please send a JPG, PNG or WebP photo."
    ),
    "too_large": (
        "图片太大了(最大 5 MB),请换一张小一点的。\nThat image is too large (5 MB at most): please send a smaller one."
    ),
    "too_many_pixels": (
        "图片尺寸太大了,请发送一张普通的照片。\nThat image is too big in pixels: please send an ordinary photo."
    ),
    "empty": ("图片是空的,请重新发送。\nThe image was empty: please send it again."),
    "rate_limited": (
        "您发送的图片有点多,请稍后再发。\nYou've sent quite a few images: please wait a while before sending more."
    ),
    "unavailable": (
        "图片暂时无法接收,请稍后再试。\nSorry, we can't take images right now: please try again in a moment."
    ),
}


@dataclass(frozen=True)
class HandOver:
    """What became of an image handed to the services: its attachment id, or why it was refused (a key
    of NOTES)."""

    file_id: Optional[str] = None
    error: Optional[str] = None


def precheck(data: bytes, limit: int = MAX_BYTES) -> Optional[str]:
    """Why an upload is refused before it leaves the Rasa server (a key of NOTES), or None."""
    if not data:
        return "empty"
    if len(data) > limit:
        return "too_large"
    if sniff(data) is None:
        return "not_image"
    return None


class ServicesClient:
    """The console's internal attachment endpoints."""

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None) -> None:
        port = os.environ.get("KELIAN_CONSOLE_PORT", "8085")
        self.base_url = (base_url or os.environ.get(CONSOLE_URL_ENV) or f"http://127.0.0.1:{port}").rstrip("/")
        self._token = token if token is not None else os.environ.get(TOKEN_ENV, "")
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def hand_over(self, channel: str, sender: str, data: bytes) -> HandOver:
        refused = precheck(data)
        if refused is not None:
            return HandOver(error=refused)
        try:
            async with self._client().post(
                f"{self.base_url}/internal/attachments",
                params={"channel": channel, "sender": sender},
                data=data,
                headers={**self._headers(), "Content-Type": "application/octet-stream"},
            ) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            logger.warning("attachments: the console did not take an image: %s", type(error).__name__)
            return HandOver(error="unavailable")
        if response.status == 201 and isinstance(answer, dict) and isinstance(answer.get("file_id"), str):
            return HandOver(file_id=answer["file_id"])
        reason = answer.get("error") if isinstance(answer, dict) else None
        if reason not in NOTES:
            logger.warning("attachments: the console answered %s to an image", response.status)
            reason = "unavailable"
        return HandOver(error=reason)

    async def agent_image(self, channel: str, sender: str, file_id: str) -> Optional[tuple[bytes, str]]:
        """(bytes, media type) of an image staff sent to this conversation, or None."""
        try:
            async with self._client().get(
                f"{self.base_url}/internal/attachments/{file_id}",
                params={"channel": channel, "sender": sender},
                headers=self._headers(),
            ) as response:
                if response.status != 200:
                    logger.warning("attachments: the console answered %s for an agent's image", response.status)
                    return None
                data = await response.content.read(MAX_BYTES + 1)
                if len(data) > MAX_BYTES or sniff(data) is None:
                    return None
                return data, response.content_type
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.warning("attachments: could not fetch an agent's image: %s", type(error).__name__)
            return None


# --- the web page's links to an agent's image ---------------------------------------------------


def _signature(payload: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"kelian-web-attachment:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_link(file_id: str, sender: str, secret: str) -> str:
    """`<payload>.<signature>`: names the image and the conversation it was sent to, so the link opens that
    image for that conversation only."""
    payload = base64.urlsafe_b64encode(f"{file_id}:{sender}".encode()).rstrip(b"=").decode()
    return f"{payload}.{_signature(payload, secret)}"


def open_link(value: str, secret: str) -> Optional[tuple[str, str]]:
    """(attachment id, sender) of a link this server signed; None for anything else."""
    if not isinstance(value, str) or len(value) > 512 or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not hmac.compare_digest(signature, _signature(payload, secret)):
        return None
    try:
        file_id, sender = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split(":", 1)
    except (ValueError, UnicodeError):
        return None
    return file_id, sender


async def conversation_paused(app: Any, sender: str) -> bool:
    """Whether the conversation is with an agent (Rasa paused it at the hand-off); False when unknown."""
    try:
        tracker = await app.ctx.agent.tracker_store.retrieve(sender)
    except Exception:  # no agent loaded yet, the tracker store unreachable: the bot's note is the safe answer
        logger.exception("attachments: could not read the tracker of a conversation")
        return False
    return tracker is not None and tracker.is_paused()

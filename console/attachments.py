"""Attachments (#16 item 6) on the services side: images are accepted, cleaned and stored here, and served to
signed-in staff only.

Why here: the web page and the WeChat webhook are served by the Rasa server, whose environment imports none
of the services' packages (no CRM, no Pillow pipeline of ours). Its channels hand what a customer sent to
the console over HTTP (`/internal/attachments`, authenticated with the Rasa API token both sides hold) after
a first bound on size and magic bytes; the console decodes and re-encodes the image (crm/images.py), stores
the file outside the database (crm/attachment_store.py) and records the row (crm/repository/attachments.py).
An agent's image goes the other way: stored here, then said through Rasa; the customer's channel fetches its
bytes back from `/internal/attachments/<id>` (only images sent by staff to that very conversation).
"""

from __future__ import annotations

import asyncio
import hmac
from aiohttp import web
from sqlalchemy.orm import Session

from crm.attachment_store import AttachmentStore
from crm.images import MAX_BYTES, ImageRefused, clean
from crm.models import AttachmentUploader, Channel
from crm.repository.attachments import MAX_PER_HOUR, AttachmentView, add_attachment, uploads_in_last_hour

from console.web import Database

# What the channels may hand over: the conversations of customers on these channels.
CHANNELS = (Channel.WEB.value, Channel.WECHAT.value)
SENDER_MAX_CHARS = 128
# The status of each refusal, for the channel to tell the customer why.
REFUSAL_STATUS = {"too_large": 413, "not_image": 415, "empty": 400, "too_many_pixels": 413, "rate_limited": 429}


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def status(self) -> int:
        return REFUSAL_STATUS.get(self.reason, 400)


def bearer_matches(request: web.Request, token: str | None) -> bool:
    """Whether the request carries the Rasa API token (`Authorization: Bearer …`)."""
    given = request.headers.get("Authorization", "")
    if not token or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode())


async def read_bounded(request: web.Request, limit: int = MAX_BYTES) -> bytes:
    """The request body, refused (`too_large`) as soon as it is longer than `limit`, before reading more."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise Refused("too_large")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise Refused("too_large")
        chunks.append(chunk)


async def accept(
    database: Database,
    store: AttachmentStore,
    data: bytes,
    *,
    channel: str,
    sender_id: str,
    uploader: AttachmentUploader,
    agent: str | None = None,
) -> AttachmentView:
    """Cleans and stores one image and records it; `Refused` says why not (nothing is kept then). A customer's
    upload counts against the conversation's hourly bound."""
    if uploader == AttachmentUploader.CUSTOMER:
        count = await database.run(lambda s: uploads_in_last_hour(s, channel, sender_id))
        if count >= MAX_PER_HOUR:
            raise Refused("rate_limited")
    try:
        image = await asyncio.to_thread(clean, data)
    except ImageRefused as refused:
        raise Refused(refused.reason) from None
    file_id = await asyncio.to_thread(store.save, image)

    def record(session: Session) -> AttachmentView:
        return add_attachment(
            session, file_id=file_id, image=image, channel=channel, sender_id=sender_id, uploader=uploader, agent=agent
        )

    try:
        return await database.run(record)
    except Exception:
        store.delete(file_id, image.media_type)
        raise


def file_response(attachment: AttachmentView, data: bytes, *, download_name: str | None = None) -> web.Response:
    """The image as it may be shown: its own type, never sniffed, not cached, no script even if opened alone."""
    name = download_name or f"attachment-{attachment.id}.{attachment.media_type.split('/')[1].replace('jpeg', 'jpg')}"
    return web.Response(
        body=data,
        content_type=attachment.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )

"""Attachments (#16 item 6): images served to signed-in staff (audited like every read of a customer's
conversation), an agent sending an image from the hand-off workspace, and the two internal endpoints the
Rasa server's channels call (console/attachments.py says why the services side holds the files)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from crm.attachment_store import AttachmentStore, valid_file_id
from crm.errors import NotFound
from crm.models import AttachmentUploader, StaffRole
from crm.privacy import audit
from crm.repository.attachments import AttachmentView, attachment_by_file, attachment_of_sender

from console import handoffs
from console.attachments import CHANNELS, SENDER_MAX_CHARS, Refused, accept, bearer_matches, file_response, read_bounded
from console.notices import display_name
from console.rasa import RasaUnavailable
from console.views.handoffs import RASA
from console.web import config, db, internal, path_id, requires, staff, text

routes = web.RouteTableDef()
STORE = web.AppKey("attachments", AttachmentStore)


def _file_id(request: web.Request) -> str:
    file_id = request.match_info["file_id"]
    if not valid_file_id(file_id):
        raise web.HTTPNotFound()
    return file_id


def _channel_and_sender(request: web.Request) -> tuple[str, str]:
    channel, sender = request.query.get("channel", ""), request.query.get("sender", "")
    if channel not in CHANNELS or not sender or len(sender) > SENDER_MAX_CHARS:
        raise web.HTTPBadRequest(text="channel and sender are required")
    return channel, sender


def _check_token(request: web.Request) -> None:
    if not bearer_matches(request, config(request).api_token()):
        raise web.HTTPUnauthorized(text="the Rasa API token is required")


def _as_json(attachment: AttachmentView) -> dict[str, object]:
    return {
        "file_id": attachment.file_id,
        "media_type": attachment.media_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
    }


def _file(request: web.Request, attachment: AttachmentView) -> web.Response:
    """The attachment's stored bytes as the response; 404 when the file is no longer in the store."""
    data = request.app[STORE].read(attachment.file_id, attachment.media_type)
    if data is None:
        raise web.HTTPNotFound()
    return file_response(attachment, data)


@routes.post("/internal/attachments")
@internal
async def hand_over(request: web.Request) -> web.StreamResponse:
    """A customer's image from a channel: 201 with what was stored, or 4xx with the reason (`error`) for the
    channel to tell the customer."""
    _check_token(request)
    channel, sender = _channel_and_sender(request)
    try:
        data = await read_bounded(request)
        attachment = await accept(
            db(request),
            request.app[STORE],
            data,
            channel=channel,
            sender_id=sender,
            uploader=AttachmentUploader.CUSTOMER,
        )
    except Refused as refused:
        return web.json_response({"error": refused.reason}, status=refused.status)
    return web.json_response(_as_json(attachment), status=201)


@routes.get("/internal/attachments/{file_id}")
@internal
async def hand_back(request: web.Request) -> web.StreamResponse:
    """The bytes of an image staff sent to this very conversation, for its channel to deliver."""
    _check_token(request)
    channel, sender = _channel_and_sender(request)
    file_id = _file_id(request)
    try:
        attachment = await db(request).run(lambda s: attachment_of_sender(s, file_id, channel, sender))
    except NotFound:
        raise web.HTTPNotFound() from None
    if attachment.uploader != AttachmentUploader.AGENT:
        raise web.HTTPNotFound()
    return _file(request, attachment)


@routes.get("/attachments/{file_id}")
@requires(StaffRole.AGENT)
async def show(request: web.Request) -> web.StreamResponse:
    """An image of a conversation, for staff; every view is in the audit log."""
    file_id, user = _file_id(request), staff(request).user

    def load(session: Session) -> AttachmentView:
        attachment = attachment_by_file(session, file_id)
        audit(
            session,
            actor=user.username,
            action="read_attachment",
            customer_id=attachment.customer_id,
            conversation_id=attachment.conversation_id,
            attachment_id=attachment.id,
        )
        return attachment

    attachment = await db(request).run(load)
    return _file(request, attachment)


@routes.post("/handoffs/{id}/image")
@requires(StaffRole.AGENT)
async def send_image(request: web.Request) -> web.StreamResponse:
    """An image the serving agent sends to the customer (the body is the file; the CSRF token in its header).
    JSON: {ok, error}."""
    handoff_id, user = path_id(request), staff(request).user

    case = await db(request).run(lambda s: handoffs.served_case(s, handoff_id, user))
    if case.sender_id is None or case.channel not in CHANNELS:
        return web.json_response({"ok": False, "error": text(request, "handoff.cannot_answer")}, status=409)
    try:
        data = await read_bounded(request)
        attachment = await accept(
            db(request),
            request.app[STORE],
            data,
            channel=case.channel,
            sender_id=case.sender_id,
            uploader=AttachmentUploader.AGENT,
            agent=user.username,
        )
    except Refused as refused:
        return web.json_response(
            {"ok": False, "error": text(request, f"attachment.refused.{refused.reason}")}, status=refused.status
        )
    try:
        await request.app[RASA].send_image_as_agent(case.sender_id, attachment.file_id, agent=display_name(user))
    except RasaUnavailable as error:
        return web.json_response(
            {"ok": False, "error": text(request, "handoff.not_delivered", problem=error)}, status=502
        )
    await db(request).run(
        lambda s: audit(
            s,
            actor=user.username,
            action="handoff_image",
            customer_id=case.handoff.customer_id,
            handoff_id=handoff_id,
            attachment_id=attachment.id,
        )
    )
    return web.json_response({"ok": True, "error": None, "file_id": attachment.file_id})

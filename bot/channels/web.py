"""The web chat channel: Rasa's socket.io connector with the sender decided by the server, plus the
chat page itself (served at /webhooks/web/ from bot/channels/static/).

Rasa's stock connector takes the conversation id from what the browser sends with every message
(`session_id`), so any page could write into anyone's conversation. Here the id is fixed per socket
when the page asks for a session (`session_request`): the user id of a token the shop signed
(`customData.token`), else the guest id the page presents signed by this server (`session_id`),
else a new guest (web_auth.py). Messages on a socket that has no session yet are ignored.

Events (socket.io, path /socket.io):
  page → server  session_request {"session_id": signed guest id | null, "customData": {"token": jwt | null}}
                 user_uttered    {"message": "..."}
  server → page  session_confirm {"sender": id, "signed_in": bool, "session_id": signed guest id | null}
                 bot_uttered     {"text", "quick_replies"?, "agent"?} | a custom JSON message as it is
                                 ({"type": "product", …}); "agent" {"name", "event": "message" | "joined" | "left"}
                                 marks what a person on the shop's team said (kelian.agent_voice)
                 bot_done        {} once the bot has answered a message (it may have said nothing)
                 an agent's image: {"attachment": {"type": "image", "payload": {"src": signed link}}, "agent"}

Images (attachments, bot/channels/attachments.py): the page POSTs a photo to /webhooks/web/attachments as the
request body (at most 5 MB), proving who it is as on the socket (`Authorization: Bearer <shop token>` or
`X-Kelian-Guest: <signed guest id>`); the answer is {"ok": true} or {"ok": false, "error": reason} for the
page to say, in its language, why not. An agent's image is fetched from /webhooks/web/attachments/<signed link>.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from kelian.agent_voice import agent_of

from bot.channels import attachments, limits, web_auth
from kelian import opt_out
from kelian.agent_voice import attachment_id
from kelian.attachments import IMAGE_TEXT, MAX_BYTES, METADATA_KEY

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
ORIGINS_ENV = "KELIAN_WEB_ORIGINS"
# The page and its scripts come from this server only; the socket connects back to it.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",  # the page's URL carries the customer's token
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


async def read_upload(request: Request, limit: int) -> Optional[bytes]:
    """An upload's body, or None once it is longer than `limit` (never read further; Sanic's server-wide
    bound is raised for this one streamed route only)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    request.stream.request_max_size = limit + 1  # type: ignore[union-attr]
    chunks, size = [], 0
    while True:
        chunk = await request.stream.read()  # type: ignore[union-attr]
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def conversation_room(sender_id: str) -> str:
    """Every socket of one conversation (tabs, reconnects) is in this room and gets its replies."""
    return f"conversation:{sender_id}"


class WebOutput(SocketIOOutput):
    def __init__(self, sio: AsyncServer, bot_message_evt: str, secret: str = "") -> None:
        super().__init__(sio, bot_message_evt)
        self.secret = secret

    @classmethod
    def name(cls) -> str:
        return WebInput.name()

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """An agent's image (`kelian-attachment:<id>`) as a link signed for this conversation; any other image
        as Rasa sends it."""
        file_id = attachment_id(image)
        if file_id is None or not self.secret:
            await super().send_image_url(recipient_id, image, **kwargs)
            return
        src = f"/webhooks/web/attachments/{attachments.signed_link(file_id, recipient_id, self.secret)}"
        message: dict[str, Any] = {"attachment": {"type": "image", "payload": {"src": src}}}
        agent = agent_of(kwargs)
        if agent is not None:
            message["agent"] = {"name": agent[0], "event": agent[1]}
        await self._send_message(recipient_id, message)

    async def _send_message(self, recipient_id: str, response: Any) -> None:
        await self.sio.emit(self.bot_message_evt, response, room=conversation_room(recipient_id))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """An agent's message or notice goes whole, with who said it; the bot's as Rasa sends them."""
        agent = agent_of(kwargs)
        if agent is None:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        await self._send_message(recipient_id, {"text": text, "agent": {"name": agent[0], "event": agent[1]}})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """The message itself as the event's data (Rasa's version passes its keys as arguments of
        `emit`, which fails for anything but `{"data": …}`)."""
        await self._send_message(recipient_id, json_message)


class WebInput(SocketIOInput):
    """Registered in credentials.yml as `bot.channels.web.WebInput`; optional keys: `secret` (else
    $KELIAN_WEB_SECRET or var/web-secret), `allowed_origins` (else $KELIAN_WEB_ORIGINS, comma
    separated; else only the page's own origin may open a socket), `user_message_evt`,
    `bot_message_evt`, `socketio_path`."""

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            secret=credentials.get("secret"),
            allowed_origins=credentials.get("allowed_origins"),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        socketio_path: str = "/socket.io",
        secret: Optional[str] = None,
        allowed_origins: Optional[list[str]] = None,
    ) -> None:
        super().__init__(
            user_message_evt=user_message_evt, bot_message_evt=bot_message_evt, socketio_path=socketio_path
        )
        self.secret = web_auth.web_secret(secret)
        configured = os.environ.get(ORIGINS_ENV)
        origins = [o.strip() for o in configured.split(",")] if configured else list(allowed_origins or [])
        # None: python-socketio accepts the page's own origin only (Origin must match Host). An empty
        # list would switch the check off, so it is never passed.
        self.allowed_origins: Optional[list[str]] = [o for o in origins if o] or None
        self.senders: dict[str, str] = {}  # socket id -> conversation (Rasa sender id)
        self.services = attachments.ServicesClient()

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Used when Rasa speaks outside a turn (e.g. `trigger_intent` with `output_channel=latest`)."""
        return None if self.sio is None else WebOutput(self.sio, self.bot_message_evt, self.secret)

    def identify(self, data: Any) -> tuple[str, bool, Optional[str]]:
        """(sender id, signed in?, signed guest id for the page) from a `session_request`."""
        data = data if isinstance(data, dict) else {}
        custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
        user_id = web_auth.user_from_token(custom.get("token"), self.secret)
        if user_id:
            return user_id, True, None
        guest_id = web_auth.guest_from_signed(data.get("session_id"), self.secret) or web_auth.new_guest()
        return guest_id, False, web_auth.sign_guest(guest_id, self.secret)

    def uploader(self, request: Request) -> Optional[str]:
        """The conversation an upload belongs to: from the shop's token or the signed guest id, as a socket's."""
        authorization = request.headers.get("authorization", "")
        token = authorization[len("Bearer ") :] if authorization.startswith("Bearer ") else None
        if token:
            return web_auth.user_from_token(token, self.secret)
        return web_auth.guest_from_signed(request.headers.get("x-kelian-guest"), self.secret)

    async def receive_image(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        sender_id = self.uploader(request)
        if sender_id is None:
            return response.json({"ok": False, "error": "unauthorized"}, status=401)
        body = await read_upload(request, MAX_BYTES)
        if body is None:
            return response.json({"ok": False, "error": "too_large"}, status=413)
        handed = await self.services.hand_over(self.name(), sender_id, body)
        if handed.error is not None:
            return response.json(
                {"ok": False, "error": handed.error}, status=400 if handed.error != "unavailable" else 503
            )
        output = WebOutput(self.sio, self.bot_message_evt, self.secret)
        if await attachments.conversation_paused(request.app, sender_id):  # with an agent: they see it now
            message = UserMessage(
                IMAGE_TEXT, output, sender_id, input_channel=self.name(), metadata={METADATA_KEY: handed.file_id}
            )
            await on_new_message(message)
            return response.json({"ok": True, "shown_to": "agent"})
        await output.send_text_message(sender_id, attachments.NOTES["received"])
        return response.json({"ok": True, "shown_to": "bot"})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic", cors_allowed_origins=self.allowed_origins, max_http_buffer_size=limits.MAX_BODY_BYTES
        )
        web = SocketBlueprint(sio, self.socketio_path, "web_webhook", __name__)
        self.sio = sio

        @web.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # the page's assets are relative to /webhooks/web/
                query = f"?{request.query_string}" if request.query_string else ""
                return response.redirect(f"{request.path}/{query}")
            return await response.file(
                STATIC_DIR / "index.html", mime_type="text/html; charset=utf-8", headers=PAGE_HEADERS
            )

        web.static("/static", str(STATIC_DIR), name="web_static")

        @web.route("/attachments", methods=["POST"], stream=True)
        async def upload(request: Request) -> HTTPResponse:
            return await self.receive_image(request, on_new_message)

        @web.route("/attachments/<link:str>", methods=["GET"])
        async def agent_image(request: Request, link: str) -> HTTPResponse:
            """An image an agent sent, for the conversation its link was signed for."""
            opened = attachments.open_link(link, self.secret)
            found = None if opened is None else await self.services.agent_image(self.name(), opened[1], opened[0])
            if found is None:
                return response.text("not found", status=404)
            data, media_type = found
            return response.raw(
                data,
                content_type=media_type,
                headers={
                    "Content-Disposition": "inline",
                    "X-Content-Type-Options": "nosniff",
                    "Content-Security-Policy": "default-src 'none'; sandbox",
                    "Cache-Control": "private, max-age=3600",
                    "Referrer-Policy": "no-referrer",
                },
            )

        @web.listener("before_server_stop")
        async def close_services(app: Any, loop: Any) -> None:
            await self.services.close()

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Optional[dict] = None) -> bool:
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str, *args: Any) -> None:
            self.senders.pop(sid, None)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            sender_id, signed_in, signed_guest = self.identify(data)
            previous = self.senders.get(sid)
            if previous and previous != sender_id:
                await sio.leave_room(sid, conversation_room(previous))
            self.senders[sid] = sender_id
            await sio.enter_room(sid, conversation_room(sender_id))
            await sio.emit(
                "session_confirm", {"sender": sender_id, "signed_in": signed_in, "session_id": signed_guest}, to=sid
            )
            logger.debug(f"web socket {sid} is conversation {sender_id} (signed in: {signed_in})")

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any = None) -> None:
            sender_id = self.senders.get(sid)
            text = data.get("message") if isinstance(data, dict) else None
            if sender_id is None or not isinstance(text, str) or not text.strip():
                logger.warning(f"web socket {sid}: message without a session or text ignored")
                return
            text, note = limits.bound_message(text)
            if not text:
                logger.warning(f"web socket {sid}: a message without readable text ignored")
                return
            output = WebOutput(sio, self.bot_message_evt)
            if note:
                await output.send_text_message(sender_id, note)
            metadata = None
            if opt_out.is_opt_out(text):  # the outreach's button, or the word typed: no NLU guess
                text, metadata = opt_out.INTENT_PAYLOAD, {opt_out.METADATA_KEY: text}
            message = UserMessage(text, output, sender_id, input_channel=self.name(), metadata=metadata)
            try:
                await limits.timed(on_new_message, message, channel=self.name(), length=len(text))
            finally:
                await sio.emit("bot_done", {}, room=conversation_room(sender_id))

        return web

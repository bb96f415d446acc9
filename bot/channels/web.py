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
                 bot_uttered     {"text", "quick_replies"?} | a custom JSON message as it is ({"type": "product", …})
                 bot_done        {} once the bot has answered a message (it may have said nothing)
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

from bot.channels import limits, web_auth

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
ORIGINS_ENV = "KELIAN_WEB_ORIGINS"
# The page and its scripts come from this server only; the socket connects back to it.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",  # the page's URL carries the customer's token
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def conversation_room(sender_id: str) -> str:
    """Every socket of one conversation (tabs, reconnects) is in this room and gets its replies."""
    return f"conversation:{sender_id}"


class WebOutput(SocketIOOutput):
    @classmethod
    def name(cls) -> str:
        return WebInput.name()

    async def _send_message(self, recipient_id: str, response: Any) -> None:
        await self.sio.emit(self.bot_message_evt, response, room=conversation_room(recipient_id))

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

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Used when Rasa speaks outside a turn (e.g. `trigger_intent` with `output_channel=latest`)."""
        return None if self.sio is None else WebOutput(self.sio, self.bot_message_evt)

    def identify(self, data: Any) -> tuple[str, bool, Optional[str]]:
        """(sender id, signed in?, signed guest id for the page) from a `session_request`."""
        data = data if isinstance(data, dict) else {}
        custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
        user_id = web_auth.user_from_token(custom.get("token"), self.secret)
        if user_id:
            return user_id, True, None
        guest_id = web_auth.guest_from_signed(data.get("session_id"), self.secret) or web_auth.new_guest()
        return guest_id, False, web_auth.sign_guest(guest_id, self.secret)

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
            message = UserMessage(text, output, sender_id, input_channel=self.name())
            try:
                await limits.timed(on_new_message, message, channel=self.name(), length=len(text))
            finally:
                await sio.emit("bot_done", {}, room=conversation_room(sender_id))

        return web

"""The REST channel (`POST /webhooks/rest/webhook`), with identity decided by the server.

Rasa's stock REST connector takes the conversation id, the input channel and the metadata from the
request body, so any client could write as `demo-alice`, or as a WeChat follower by sending
`"input_channel": "wechat"`. Here:

- a request carrying the token the shop signs for the web page (`Authorization: Bearer <jwt>`, or
  `"token"` in the body) is that user's conversation (the token's `sub`);
- any other request is anonymous: its `sender` (1-64 characters of `[A-Za-z0-9._:@-]`) becomes
  `rest-<sender>`, which no user id can be, so the action server shows it nothing personal until the
  customer proves an order;
- the input channel is always `rest`, client metadata is dropped, the body is at most
  `KELIAN_MAX_BODY_BYTES` and the message is cut to `KELIAN_MAX_MESSAGE_CHARS` (limits.py).

Answers: 200 with the bot's messages (as Rasa's connector), 400 for a body that is not a JSON object
with a valid `sender` (when unsigned) and a text `message`, 401 for a token that is present but not
valid (expired, forged), 413 for a body over the limit.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import limits, web_auth

logger = logging.getLogger(__name__)


class BadRequest(Exception):
    """A request refused before it reaches Rasa; the message is safe to show the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _token(request: Request, body: dict[str, Any]) -> Optional[str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    token = body.get("token")
    return token if isinstance(token, str) and token else None


class RestInput(InputChannel):
    """Registered in credentials.yml as `bot.channels.rest.RestInput`; optional key `secret` (else
    $KELIAN_WEB_SECRET or var/web-secret: the web page's key)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        return cls(secret=(credentials or {}).get("secret"))

    def __init__(self, secret: Optional[str] = None) -> None:
        self.secret = web_auth.web_secret(secret)

    def conversation(self, request: Request) -> tuple[str, str, Optional[str]]:
        """(conversation id, text for the NLU, note for the customer) of a request, or BadRequest."""
        if len(request.body or b"") > limits.MAX_BODY_BYTES:
            raise BadRequest(413, f"the body is larger than {limits.MAX_BODY_BYTES} bytes")
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(400, "the body must be a JSON object") from None
        if not isinstance(body, dict):
            raise BadRequest(400, "the body must be a JSON object")
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            raise BadRequest(400, "`message` must be a non-empty string")
        token = _token(request, body)
        if token is not None:
            user_id = web_auth.user_from_token(token, self.secret)
            if user_id is None:
                raise BadRequest(401, "the token is not valid (expired or not signed by the shop)")
            sender_id = user_id
        else:
            sender = body.get("sender")
            if not limits.valid_sender(sender):
                raise BadRequest(400, "`sender` must be 1-64 characters of letters, digits and . _ : @ -")
            sender_id = web_auth.anonymous_rest_sender(sender)
        text, note = limits.bound_message(message)
        if not text:
            raise BadRequest(400, "`message` has no readable text")
        return sender_id, text, note

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("kelian_rest_webhook", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender_id, text, note = self.conversation(request)
            except BadRequest as refused:
                logger.info("rest: refused a request (%d): %s", refused.status, refused)
                return response.json({"error": str(refused)}, status=refused.status)
            collector = CollectingOutputChannel()
            if note:
                await collector.send_text_message(sender_id, note)
            message = UserMessage(text, collector, sender_id, input_channel=self.name())
            try:
                await limits.timed(on_new_message, message, channel=self.name(), length=len(text))
            except Exception:
                logger.exception("rest: the message of conversation %s failed", sender_id)
            return response.json(collector.messages)

        return rest

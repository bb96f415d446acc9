"""The WeChat official-account channel (微信公众号), a Rasa custom connector.

Enabled in bot/credentials.yml as `bot.channels.wechat.WeChatInput:`; Rasa mounts it at
/webhooks/wechat/, and the URL to give WeChat is `https://<host>/webhooks/wechat/webhook`
(`/webhooks/wechat` answers the same). GET is WeChat's URL verification, POST its messages.
The protocol is in wechat_webhook.py; settings and their environment variables in wechat_config.py.

The sender id of every Rasa turn is the follower's openid and the input channel is "wechat": the
action server knows the customer by that CRM identity. The conversation's language (which numbered
options are worded in) is the `language` slot of that conversation's tracker in Rasa's tracker store.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from kelian.agent_voice import attachment_id, labelled
from kelian.language import Language, as_language

from bot.channels.attachments import ServicesClient, conversation_paused
from bot.channels.wechat_api import CustomerServiceApi, WeChatApiError
from bot.channels.wechat_config import WeChatConfigError, WeChatSettings
from bot.channels.wechat_outreach import add_route as add_outreach_route
from bot.channels.wechat_replies import render
from bot.channels.wechat_webhook import CHANNEL, HttpReply, WeChatWebhook

logger = logging.getLogger(__name__)

ROUTES = ("/", "/webhook")
SHUTDOWN_GRACE = 10.0  # seconds to finish delivering answers when the server stops


async def read_body(request: Request, limit: int) -> Optional[bytes]:
    """The request body, or None once it is longer than `limit` (never read further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


async def conversation_language(app: Any, sender: str) -> Optional[Language]:
    """The `language` slot of the conversation's tracker (the language the bot answers in), or None when
    the tracker is unknown or unreadable: the options are then worded after the answer's words."""
    try:
        tracker = await app.ctx.agent.tracker_store.retrieve(sender)
    except Exception:  # no agent loaded yet, the tracker store unreachable
        logger.exception("wechat: could not read the language of a conversation")
        return None
    return None if tracker is None else as_language(tracker.get_slot("language"))


def to_sanic(reply: HttpReply) -> HTTPResponse:
    return response.text(reply.body, status=reply.status, content_type=reply.content_type)


class WeChatOutput(OutputChannel):
    """Messages Rasa sends outside an answer (reminders, `trigger_intent` with output_channel=wechat, what an
    agent says from the console): through the customer-service API, buttons numbered like in answers."""

    def __init__(
        self, api: CustomerServiceApi, webhook: Optional[WeChatWebhook], services: Optional[ServicesClient] = None
    ) -> None:
        self.api = api
        self.webhook = webhook
        self.services = services

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """A staff member's message (sent this way, by the console) after 【their name】."""
        await self.api.deliver(recipient_id, [labelled(text, kwargs)])

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """An agent's image (`kelian-attachment:<id>`): fetched from the services, uploaded as temporary media,
        sent as an image message. Any other image is sent as its link."""
        file_id = attachment_id(image)
        if file_id is None or self.services is None:
            await self.api.deliver(recipient_id, [image])
            return
        found = await self.services.agent_image(CHANNEL, recipient_id, file_id)
        if found is None:
            logger.error("wechat: an agent's image could not be read from the services; not delivered")
            return
        try:
            await self.api.send_image(recipient_id, await self.api.upload_image(*found))
        except WeChatApiError as error:
            logger.error("wechat: an agent's image was not delivered: %s", error)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        message = {"text": text, "buttons": buttons}
        if self.webhook is None:
            texts, _ = render([message])
        else:
            texts, payloads = await self.webhook.render(recipient_id, [message])
            self.webhook.buttons.remember(recipient_id, payloads)
        await self.api.deliver(recipient_id, texts)


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "WeChatInput":
        try:
            return cls(WeChatSettings.from_credentials(credentials))
        except WeChatConfigError as error:
            raise RasaException(str(error)) from None

    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings
        self.api = CustomerServiceApi(settings.app_id, settings.app_secret, settings.api_base)
        self.webhook: Optional[WeChatWebhook] = None
        self.services = ServicesClient()
        if not self.api.configured:
            logger.warning(
                "wechat: no app id / app secret: answers that are slow or have several messages cannot be delivered"
            )

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WeChatOutput(self.api, self.webhook, self.services)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = self.webhook = WeChatWebhook(self.settings, on_new_message, self.api, services=self.services)
        blueprint = Blueprint("wechat_webhook", __name__)

        @blueprint.listener("after_server_start")
        async def know_the_agent(app: Any, loop: Any) -> None:
            """Whether an agent serves a conversation (images) and its language (numbered options) are in
            Rasa's tracker store (loaded by now)."""
            webhook.paused = lambda sender: conversation_paused(app, sender)
            webhook.conversation_language = lambda sender: conversation_language(app, sender)

        async def verify(request: Request) -> HTTPResponse:
            if not request.args:
                return response.json({"status": "ok"})
            args = {name: request.args.get(name) for name in request.args}
            return to_sanic(webhook.verify_url(args, request.remote_addr or request.ip))

        async def receive(request: Request) -> HTTPResponse:
            remote = request.remote_addr or request.ip
            try:
                body = await read_body(request, self.settings.max_body_bytes)
                if body is None:
                    logger.warning(
                        "wechat: refused a request from %s (413): body over %d bytes",
                        remote,
                        self.settings.max_body_bytes,
                    )
                    return response.text("too large", status=413)
                args = {name: request.args.get(name) for name in request.args}
                return to_sanic(await webhook.receive(args, body, remote))
            except Exception:
                logger.exception("wechat: failed to handle a request")
                return response.text("error", status=500)

        for route in ROUTES:
            blueprint.add_route(verify, route, methods=["GET"], name=f"verify{route.replace('/', '_')}")
            blueprint.add_route(receive, route, methods=["POST"], name=f"receive{route.replace('/', '_')}", stream=True)
        add_outreach_route(blueprint, self.api)  # the CRM's outreach, through this channel's API client

        @blueprint.listener("before_server_stop")
        async def finish_deliveries(app: Any, loop: Any) -> None:
            try:
                await asyncio.wait_for(webhook.drain(), timeout=SHUTDOWN_GRACE)
            except asyncio.TimeoutError:
                logger.warning("wechat: stopped with answers still being delivered")
            await self.api.close()
            await self.services.close()

        return blueprint

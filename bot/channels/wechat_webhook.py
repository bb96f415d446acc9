"""The official-account protocol, independent of the web framework: a verified request in, the HTTP
answer out. wechat.py mounts it on Rasa's Sanic server.

A message goes: signature and timestamp checks → XML (decrypted in safe/compatible mode) → once per
MsgId → what Rasa should hear (text, a numbered option's payload, a menu's intent, /greet on
subscribe) → the answer: the passive XML reply if it is one text ready within the deadline,
otherwise "success" at once and every message through the customer-service API. An answer's buttons
become numbered options worded in the conversation's language (the tracker's `language` slot, read
once the turn is over), guessed from the answer's words only when that is unknown.

An image message (attachments) is "success" at once; then its MediaId is fetched through the media API and
handed to the services (bot/channels/attachments.py), and the follower hears why not, or that it arrived
(no turn) unless an agent is serving the conversation (then it is the customer's message in the tracker).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from rasa.core.channels.channel import UserMessage

from bot.channels.attachments import NOTES as IMAGE_NOTES
from bot.channels.attachments import ServicesClient
from bot.channels.wechat_api import CustomerServiceApi, WeChatApiError
from bot.channels.wechat_config import WeChatSettings
from bot.channels.wechat_crypto import AppIdMismatch, MessageCrypto, WeChatCryptoError, signature, signature_matches
from bot.channels.wechat_replies import (
    APOLOGY,
    UNKNOWN_MENU,
    UNSUPPORTED,
    WELCOME,
    WeChatCollector,
    has_options,
    render,
)
from bot.channels import limits
from bot.channels.wechat_state import ButtonMemory, Deduplicator, Outcome, ReplayGuard, message_key
from bot.channels.wechat_xml import InvalidXml, encrypted_envelope, parse_message, text_reply
from kelian import opt_out
from kelian.attachments import IMAGE_TEXT, METADATA_KEY
from kelian.language import Language

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
MEDIA_ID_MAX_CHARS = 256
UNSUPPORTED_TYPES = frozenset({"voice", "video", "shortvideo", "location", "link", "file"})


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


SUCCESS = HttpReply(200, "success")


class Rejected(Exception):
    """A request answered with an error status; `reason` goes to the log, never to the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Plan:
    """What to do with one message: what Rasa should hear (None: no turn) and what the channel says
    itself, before Rasa's answer and in the same WeChat message."""

    rasa_text: Optional[str] = None
    preface: Optional[str] = None
    opt_out: Optional[str] = None  # the whole message was 退订 / STOP (kelian.opt_out): the newsletter intent, flagged
    image: Optional[str] = None  # an image message's MediaId: fetched and handed over, no turn


class WeChatWebhook:
    def __init__(
        self,
        settings: WeChatSettings,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        api: CustomerServiceApi,
        clock: Callable[[], float] = time.time,
        services: Optional[ServicesClient] = None,
    ) -> None:
        self.settings = settings
        self.services = services or ServicesClient()
        # Whether an agent serves the conversation (wechat.py asks Rasa's tracker store once the server runs).
        self.paused: Callable[[str], Awaitable[bool]] = _never_paused
        # The conversation's language: its tracker's `language` slot (wechat.py asks the tracker store); None: unknown.
        self.conversation_language: Callable[[str], Awaitable[Optional[Language]]] = _language_unknown
        self.on_new_message = on_new_message
        self.api = api
        self.crypto = MessageCrypto(settings.encoding_aes_key, settings.app_id) if settings.encrypted else None
        self.seen = Deduplicator(settings.dedup_size, settings.dedup_ttl)
        # Twice the skew: a timestamp is accepted from `max_clock_skew` before to as long after.
        self.signatures = ReplayGuard(ttl=2 * settings.max_clock_skew)
        self.buttons = ButtonMemory(settings.buttons_size, settings.buttons_ttl)
        self._clock = clock
        self._background: set[asyncio.Task] = set()

    # ---- URL verification ---------------------------------------------------------------------
    def verify_url(self, args: Mapping[str, str], remote: str = "?") -> HttpReply:
        """WeChat's GET when the URL is saved in its console: echo `echostr` if the signature is ours."""
        try:
            self._check_fresh(args)
            if not signature_matches(
                args.get("signature"), self.settings.token, args.get("timestamp", ""), args.get("nonce", "")
            ):
                raise Rejected(403, "bad signature on URL verification")
            if "echostr" not in args:
                raise Rejected(400, "URL verification without echostr")
        except Rejected as rejected:
            return self._refuse(rejected, remote)
        return HttpReply(200, args["echostr"])

    # ---- messages -----------------------------------------------------------------------------
    async def receive(self, args: Mapping[str, str], body: bytes, remote: str = "?") -> HttpReply:
        try:
            fields, encrypted = self._open(args, body)
        except Rejected as rejected:
            return self._refuse(rejected, remote)
        key = message_key(fields)
        first = self.seen.claim(key)
        if first is not None:
            return await self._repeat(first, fields, encrypted)
        try:
            outcome = await self._answer(fields, self._plan(fields))
        except asyncio.CancelledError:  # WeChat hung up; the answer still goes out through the API
            self.seen.settle(key, None)
            raise
        except Exception:
            self.seen.release(key)
            raise
        self.seen.settle(key, outcome)
        return self._reply(outcome, encrypted)

    def _refuse(self, rejected: Rejected, remote: str) -> HttpReply:
        logger.warning("wechat: refused a request from %s (%d): %s", remote, rejected.status, rejected.reason)
        return HttpReply(
            rejected.status, {400: "bad request", 403: "forbidden", 413: "too large"}.get(rejected.status, "error")
        )

    def _check_fresh(self, args: Mapping[str, str]) -> None:
        try:
            timestamp = int(args.get("timestamp") or "")
        except (TypeError, ValueError):
            raise Rejected(403, "missing or malformed timestamp") from None
        if abs(self._clock() - timestamp) > self.settings.max_clock_skew:
            raise Rejected(403, "stale timestamp (a replay, or a clock far off)")

    def _open(self, args: Mapping[str, str], body: bytes) -> tuple[dict[str, str], bool]:
        """The message's fields once the request is proven to come from WeChat, and whether it was
        encrypted (then so is the reply)."""
        self._check_fresh(args)
        token, timestamp, nonce = self.settings.token, args.get("timestamp", ""), args.get("nonce", "")
        encrypted = args.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and not self.settings.encrypted:
            raise Rejected(400, "an encrypted message, but mode is plain")
        if not encrypted and self.settings.mode == "safe":
            raise Rejected(403, "a plain message, but mode is safe")
        if not encrypted or "signature" in args:
            if not signature_matches(args.get("signature"), token, timestamp, nonce):
                raise Rejected(403, "bad signature")
        try:
            fields = parse_message(body)
        except InvalidXml as error:
            raise Rejected(400, f"malformed XML ({error})") from None
        if encrypted:
            assert self.crypto is not None
            encrypt = fields.get("Encrypt")
            if not encrypt:
                raise Rejected(400, "encrypted message without Encrypt")
            if not signature_matches(args.get("msg_signature"), token, timestamp, nonce, encrypt):
                raise Rejected(403, "bad msg_signature")
            try:
                fields = parse_message(self.crypto.decrypt(encrypt))
            except AppIdMismatch:
                raise Rejected(403, "message for another app id") from None
            except WeChatCryptoError as error:
                raise Rejected(400, f"undecryptable message ({error})") from None
            except InvalidXml as error:
                raise Rejected(400, f"malformed XML inside Encrypt ({error})") from None
        if not fields.get("FromUserName") or not fields.get("MsgType"):
            raise Rejected(400, "message without FromUserName or MsgType")
        if not limits.valid_sender(fields["FromUserName"]):
            raise Rejected(400, "FromUserName is not an openid")
        if not encrypted and not self.signatures.admits(timestamp, nonce, body):
            raise Rejected(403, "a used signature with another message (a replay)")
        return fields, encrypted

    def _plan(self, fields: Mapping[str, str]) -> Plan:
        kind = fields["MsgType"].lower()
        user = fields["FromUserName"]
        if kind == "text":
            text, note = limits.bound_message(fields.get("Content", "").strip())
            if not text:
                return Plan()
            if opt_out.is_opt_out(text):
                return Plan(rasa_text=opt_out.INTENT_PAYLOAD, opt_out=text)
            return Plan(rasa_text=self.buttons.resolve(user, text) or text, preface=note)
        if kind == "event":
            event = fields.get("Event", "").lower()
            if event == "subscribe":
                return Plan(rasa_text="/greet", preface=WELCOME)
            if event == "click":
                intent = self.settings.menu.get(fields.get("EventKey", ""))
                return Plan(rasa_text=intent) if intent else Plan(preface=UNKNOWN_MENU)
            return Plan()  # unsubscribe, menu links, location reports, …: nothing to say
        if kind == "image":
            media_id = fields.get("MediaId", "").strip()
            if media_id and len(media_id) <= MEDIA_ID_MAX_CHARS:
                return Plan(image=media_id)
            return Plan(preface=UNSUPPORTED)
        if kind in UNSUPPORTED_TYPES:
            return Plan(preface=UNSUPPORTED)
        return Plan()

    async def _answer(self, fields: Mapping[str, str], plan: Plan) -> Outcome:
        user = fields["FromUserName"]
        if plan.image is not None:
            self._in_background(self._take_image(fields, plan.image))
            return None
        if plan.rasa_text is None:
            texts = [plan.preface] if plan.preface else []
            return self._passive_or_deliver(fields, texts)
        turn = asyncio.create_task(self._rasa_turn(fields, plan.rasa_text, plan.opt_out))
        try:
            done, _ = await asyncio.wait({turn}, timeout=self.settings.reply_deadline)
        except asyncio.CancelledError:
            self._in_background(self._deliver_later(user, turn, plan.preface))
            raise
        if not done:
            logger.info(
                "wechat: the answer to %s takes longer than %.1f s; it will go through the API",
                fields.get("MsgId") or fields.get("Event"),
                self.settings.reply_deadline,
            )
            self._in_background(self._deliver_later(user, turn, plan.preface))
            return None
        return self._passive_or_deliver(fields, with_preface(plan.preface, turn.result()))

    def _passive_or_deliver(self, fields: Mapping[str, str], texts: list[str]) -> Outcome:
        if len(texts) == 1:
            return text_reply(fields["FromUserName"], fields.get("ToUserName", ""), texts[0], int(self._clock()))
        if texts:
            self._in_background(self.api.deliver(fields["FromUserName"], texts))
        return None

    async def _rasa_turn(self, fields: Mapping[str, str], text: str, opted_out: Optional[str] = None) -> list[str]:
        user = fields["FromUserName"]
        collector = WeChatCollector()
        metadata: dict[str, Any] = {
            "wechat": {
                "msg_type": fields["MsgType"],
                "msg_id": fields.get("MsgId"),
                "event": fields.get("Event") or None,
            }
        }
        if opted_out:
            metadata[opt_out.METADATA_KEY] = opted_out
        try:
            await limits.timed(
                self.on_new_message,
                UserMessage(
                    text,
                    collector,
                    user,
                    input_channel=CHANNEL,
                    message_id=fields.get("MsgId") or None,
                    metadata=metadata,
                ),
                channel=CHANNEL,
                length=len(text),
            )
        except Exception:
            logger.exception("wechat: the bot failed to answer a message")
            return [APOLOGY]
        texts, payloads = await self.render(user, collector.messages)
        self.buttons.remember(user, payloads)
        return texts

    async def _take_image(self, fields: Mapping[str, str], media_id: str) -> None:
        """A follower's image: fetched (size-capped, timed out), handed to the services, then in the tracker for
        the agent serving the conversation, or answered by the channel."""
        user = fields["FromUserName"]
        try:
            data = await self.api.fetch_media(media_id)
        except WeChatApiError as error:
            logger.warning("wechat: an image message could not be fetched: %s", error)
            reason = "too_large" if error.errcode == -413 else "unavailable"
            await self.api.deliver(user, [IMAGE_NOTES[reason]])
            return
        handed = await self.services.hand_over(CHANNEL, user, data)
        if handed.error is not None:
            await self.api.deliver(user, [IMAGE_NOTES[handed.error]])
            return
        if not await self.paused(user):
            await self.api.deliver(user, [IMAGE_NOTES["received"]])
            return
        metadata = {
            METADATA_KEY: handed.file_id,
            "wechat": {"msg_type": "image", "msg_id": fields.get("MsgId"), "event": None},
        }
        collector = WeChatCollector()
        try:
            await self.on_new_message(
                UserMessage(
                    IMAGE_TEXT,
                    collector,
                    user,
                    input_channel=CHANNEL,
                    message_id=fields.get("MsgId") or None,
                    metadata=metadata,
                )
            )
        except Exception:
            logger.exception("wechat: an image could not be added to the conversation")
            return
        texts, _ = await self.render(user, collector.messages)
        if texts:
            await self.api.deliver(user, texts)

    async def render(self, user: str, messages: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
        """The bot's messages to `user` as WeChat texts (wechat_replies.render), their options in the
        conversation's language; the tracker is read only for an answer that has options."""
        language = await self.conversation_language(user) if has_options(messages) else None
        return render(messages, language)

    async def _deliver_later(self, user: str, turn: "asyncio.Task[list[str]]", preface: Optional[str]) -> None:
        texts = with_preface(preface, await turn)
        if texts:
            await self.api.deliver(user, texts)

    def _in_background(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Waits for the answers still being delivered (tests; server shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # ---- retries ------------------------------------------------------------------------------
    async def _repeat(self, first: "asyncio.Future[Outcome]", fields: Mapping[str, str], encrypted: bool) -> HttpReply:
        """A message seen before: the first delivery's answer again, never a second Rasa turn."""
        logger.info("wechat: a repeated message (%s); no second turn", fields.get("MsgId") or fields.get("Event"))
        try:
            outcome = await asyncio.wait_for(asyncio.shield(first), timeout=self.settings.reply_deadline)
        except asyncio.TimeoutError:
            return SUCCESS
        return self._reply(outcome, encrypted)

    # ---- the HTTP answer ----------------------------------------------------------------------
    def _reply(self, outcome: Outcome, encrypted: bool) -> HttpReply:
        if outcome is None:
            return SUCCESS
        if not encrypted:
            return HttpReply(200, outcome, "application/xml; charset=utf-8")
        assert self.crypto is not None
        encrypt = self.crypto.encrypt(outcome)
        timestamp, nonce = str(int(self._clock())), str(secrets.randbelow(10**10))
        envelope = encrypted_envelope(
            encrypt, signature(self.settings.token, timestamp, nonce, encrypt), timestamp, nonce
        )
        return HttpReply(200, envelope, "application/xml; charset=utf-8")


async def _never_paused(sender: str) -> bool:
    return False


async def _language_unknown(sender: str) -> Optional[Language]:
    return None


def with_preface(preface: Optional[str], texts: list[str]) -> list[str]:
    """The channel's own words joined to the first message of the bot's answer (one WeChat message)."""
    if not preface:
        return texts
    if not texts:
        return [preface]
    return [preface + "\n\n" + texts[0], *texts[1:]]

"""The WeChat protocol of the connector (wechat_webhook.py) with a scripted bot in place of Rasa and a
recorder in place of the customer-service API: signatures, modes, replies, retries, deadlines."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, Optional

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.attachments import NOTES as IMAGE_NOTES
from bot.channels.attachments import HandOver
from bot.channels.wechat_api import WeChatApiError
from bot.channels.wechat_config import WeChatSettings
from bot.channels.wechat_crypto import MessageCrypto, signature
from bot.channels.wechat_replies import APOLOGY, UNKNOWN_MENU, UNSUPPORTED, WELCOME
from bot.channels.wechat_webhook import SUCCESS, HttpReply, WeChatWebhook
from bot.channels.wechat_xml import parse_message
from kelian.attachments import IMAGE_TEXT, METADATA_KEY

TOKEN = "test-token"
KEY = "5YTAjk9NBJBX7ieerYNSf38iRMJC253TCKax6wcgZrG"
APP_ID = "wxkelian0000000001"
OPENID = "wx-test-user"


class ScriptedBot:
    """Rasa's message handler: records what it hears, answers with `answers(text)` after `delay`."""

    def __init__(self, answers: Callable[[str], list[dict[str, Any]]], delay: float = 0.0, fail: bool = False) -> None:
        self.answers = answers
        self.delay = delay
        self.fail = fail
        self.heard: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the model is not loaded")
        for answer in self.answers(message.text or ""):
            await message.output_channel.send_response(message.sender_id, dict(answer))


class RecordingApi:
    def __init__(self) -> None:
        self.delivered: list[tuple[str, list[str]]] = []

    async def deliver(self, openid: str, texts: list[str]) -> int:
        self.delivered.append((openid, list(texts)))
        return len(texts)


def echo(text: str) -> list[dict[str, Any]]:
    return [{"text": f"echo: {text}"}]


def make(
    mode: str = "compatible", bot: Optional[ScriptedBot] = None, **settings: Any
) -> tuple[WeChatWebhook, ScriptedBot, RecordingApi]:
    bot = bot or ScriptedBot(echo)
    api = RecordingApi()
    config = WeChatSettings(
        token=TOKEN,
        mode=mode,
        encoding_aes_key=KEY,
        app_id=APP_ID,
        app_secret="s",
        menu={"ORDER_STATUS": "/track_order"},
        **settings,
    )
    return WeChatWebhook(config, bot, api), bot, api  # type: ignore[arg-type]


def message_xml(msg_type: str = "text", openid: str = OPENID, msg_id: Optional[str] = "1001", **fields: str) -> str:
    parts = [
        f"<ToUserName><![CDATA[gh_kelian]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>",
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>",
    ]
    parts += [f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items()]
    if msg_id:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def plain_request(xml: str, timestamp: Optional[int] = None, token: str = TOKEN) -> tuple[dict[str, str], bytes]:
    ts, nonce = str(timestamp or int(time.time())), str(secrets.randbelow(10**10))  # WeChat's nonce is random
    return {"signature": signature(token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": OPENID}, xml.encode()


def encrypted_request(xml: str, app_id: str = APP_ID, compatible: bool = False) -> tuple[dict[str, str], bytes]:
    ts, nonce = str(int(time.time())), "314159"
    encrypt = MessageCrypto(KEY, app_id).encrypt(xml)
    body = (
        xml[: -len("</xml>")] if compatible else "<xml><ToUserName><![CDATA[gh_kelian]]></ToUserName>"
    ) + f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return (
        {
            "signature": signature(TOKEN, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": OPENID,
            "encrypt_type": "aes",
            "msg_signature": signature(TOKEN, ts, nonce, encrypt),
        },
        body.encode(),
    )


def passive_text(reply: HttpReply) -> str:
    assert reply.status == 200 and reply.body != "success", reply
    fields = parse_message(reply.body.encode())
    assert fields["MsgType"] == "text" and fields["ToUserName"] == OPENID and fields["FromUserName"] == "gh_kelian"
    return fields["Content"]


def decrypted_text(reply: HttpReply) -> str:
    envelope = parse_message(reply.body.encode())
    assert signature(TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"]) == envelope["MsgSignature"]
    return passive_text(HttpReply(200, MessageCrypto(KEY, APP_ID).decrypt(envelope["Encrypt"])))


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# --- URL verification ------------------------------------------------------------------------------


def test_url_verification_echoes_only_for_a_good_signature():
    webhook, _, _ = make()
    args, _ = plain_request("")
    assert webhook.verify_url({**args, "echostr": "8827436"}) == HttpReply(200, "8827436")
    assert webhook.verify_url({**args, "echostr": "8827436", "signature": "0" * 40}).status == 403
    stale, _ = plain_request("", timestamp=int(time.time()) - 3600)
    assert webhook.verify_url({**stale, "echostr": "8827436"}).status == 403
    assert webhook.verify_url(args).status == 400


# --- plain, compatible and safe mode ---------------------------------------------------------------


def test_a_plain_text_message_reaches_rasa_as_the_openid_on_channel_wechat():
    async def scenario() -> None:
        webhook, bot, api = make()
        reply = await webhook.receive(*plain_request(message_xml(Content="我的订单到哪了")))
        assert passive_text(reply) == "echo: 我的订单到哪了"
        heard = bot.heard[0]
        assert (heard.sender_id, heard.input_channel, heard.message_id) == (OPENID, "wechat", "1001")
        assert api.delivered == []

    run(scenario())


def test_an_encrypted_message_gets_an_encrypted_reply():
    async def scenario() -> None:
        for mode, compatible in (("safe", False), ("compatible", True), ("compatible", False)):
            webhook, bot, _ = make(mode)
            reply = await webhook.receive(*encrypted_request(message_xml(Content="hello"), compatible=compatible))
            assert decrypted_text(reply) == "echo: hello" and bot.heard[0].text == "hello"

    run(scenario())


def test_in_compatible_mode_the_encrypted_fields_win_over_the_plain_ones():
    async def scenario() -> None:
        webhook, bot, _ = make("compatible")
        args, body = encrypted_request(message_xml(Content="the real one"))
        forged = body.replace(b"<ToUserName>", b"<Content>forged</Content><ToUserName>")
        assert decrypted_text(await webhook.receive(args, forged)) == "echo: the real one"

    run(scenario())


def test_safe_mode_refuses_plain_messages_and_plain_mode_encrypted_ones():
    async def scenario() -> None:
        webhook, bot, _ = make("safe")
        assert (await webhook.receive(*plain_request(message_xml(Content="hi")))).status == 403
        webhook, bot, _ = make("plain")
        assert (await webhook.receive(*encrypted_request(message_xml(Content="hi")))).status == 400
        assert bot.heard == []

    run(scenario())


# --- hostile requests ------------------------------------------------------------------------------


def test_forged_stale_and_malformed_requests_are_refused_before_rasa(caplog):
    async def scenario() -> None:
        webhook, bot, _ = make()
        xml = message_xml(Content="hi")
        args, body = plain_request(xml)
        assert (await webhook.receive({**args, "signature": "f" * 40}, body)).status == 403
        assert (await webhook.receive(*plain_request(xml, token="guessed"))).status == 403
        assert (await webhook.receive(*plain_request(xml, timestamp=int(time.time()) - 301))).status == 403
        assert (await webhook.receive({**args, "timestamp": "soon"}, body)).status == 403
        assert (await webhook.receive(args, b"<xml><Content>unclosed")).status == 400
        doctype = b'<!DOCTYPE xml [<!ENTITY a "ha">]><xml><MsgType>text</MsgType><Content>&a;</Content></xml>'
        assert (await webhook.receive(args, doctype)).status == 400
        assert (await webhook.receive(args, b"<xml><Content>no sender</Content></xml>")).status == 400

        enc_args, enc_body = encrypted_request(xml)
        assert (await webhook.receive({**enc_args, "msg_signature": "0" * 40}, enc_body)).status == 403
        assert (await webhook.receive(*encrypted_request(xml, app_id="wxsomebodyelse00001"))).status == 403
        garbage = enc_body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
        garbage_args = {
            **enc_args,
            "msg_signature": signature(
                TOKEN, enc_args["timestamp"], enc_args["nonce"], parse_message(garbage)["Encrypt"]
            ),
        }
        assert (await webhook.receive(garbage_args, garbage)).status == 400
        assert bot.heard == []

    run(scenario())
    assert "refused" in caplog.text and TOKEN not in caplog.text


def test_error_bodies_say_nothing_about_why():
    async def scenario() -> None:
        webhook, _, _ = make()
        reply = await webhook.receive({"timestamp": "1"}, b"")
        assert reply == HttpReply(403, "forbidden")

    run(scenario())


# --- retries ---------------------------------------------------------------------------------------


def test_a_retry_while_the_first_is_answered_waits_for_the_same_reply_and_no_second_turn():
    async def scenario() -> None:
        webhook, bot, _ = make(bot=ScriptedBot(echo, delay=0.3))
        request = plain_request(message_xml(Content="where is my order", msg_id="777"))
        first, retry = await asyncio.gather(webhook.receive(*request), webhook.receive(*request))
        assert passive_text(first) == passive_text(retry) == "echo: where is my order"
        assert len(bot.heard) == 1
        later = await webhook.receive(*plain_request(message_xml(Content="where is my order", msg_id="777")))
        assert passive_text(later) == "echo: where is my order" and len(bot.heard) == 1

    run(scenario())


def test_a_retry_of_an_encrypted_message_is_encrypted_again():
    async def scenario() -> None:
        webhook, bot, _ = make("safe")
        xml = message_xml(Content="hi", msg_id="778")
        first = await webhook.receive(*encrypted_request(xml))
        retry = await webhook.receive(*encrypted_request(xml))
        assert decrypted_text(first) == decrypted_text(retry) == "echo: hi" and len(bot.heard) == 1

    run(scenario())


def test_events_are_deduplicated_by_sender_and_create_time():
    async def scenario() -> None:
        webhook, bot, _ = make()
        xml = message_xml("event", msg_id=None, Event="CLICK", EventKey="ORDER_STATUS")
        await webhook.receive(*plain_request(xml))
        await webhook.receive(*plain_request(xml))
        assert [m.text for m in bot.heard] == ["/track_order"]

    run(scenario())


# --- slow and multi-message answers ----------------------------------------------------------------


def test_a_slow_answer_is_success_at_once_then_goes_through_the_api():
    async def scenario() -> None:
        webhook, bot, api = make(bot=ScriptedBot(echo, delay=0.5), reply_deadline=0.1)
        request = plain_request(message_xml(Content="slow one", msg_id="900"))
        assert await webhook.receive(*request) == SUCCESS
        assert await webhook.receive(*request) == SUCCESS  # WeChat's retry
        await webhook.drain()
        assert api.delivered == [(OPENID, ["echo: slow one"])] and len(bot.heard) == 1

    run(scenario())


def test_several_messages_go_through_the_api_in_order():
    async def scenario() -> None:
        bot = ScriptedBot(lambda text: [{"text": "first"}, {"text": "second"}, {"text": "third"}])
        webhook, _, api = make(bot=bot)
        assert await webhook.receive(*plain_request(message_xml(Content="recommend something"))) == SUCCESS
        await webhook.drain()
        assert api.delivered == [(OPENID, ["first", "second", "third"])]

    run(scenario())


def test_a_silent_bot_answers_success_and_sends_nothing():
    async def scenario() -> None:
        webhook, bot, api = make(bot=ScriptedBot(lambda text: []))
        assert await webhook.receive(*plain_request(message_xml(Content="hello? anyone?"))) == SUCCESS
        await webhook.drain()
        assert api.delivered == [] and len(bot.heard) == 1

    run(scenario())


def test_a_failing_bot_gets_the_customer_an_apology():
    async def scenario() -> None:
        webhook, _, _ = make(bot=ScriptedBot(echo, fail=True))
        assert passive_text(await webhook.receive(*plain_request(message_xml(Content="hi")))) == APOLOGY

    run(scenario())


# --- events and other message types ----------------------------------------------------------------


def test_subscribe_welcomes_and_the_bot_greets_in_the_same_message():
    async def scenario() -> None:
        webhook, bot, _ = make(bot=ScriptedBot(lambda text: [{"text": "Hi! I'm Kelian."}]))
        reply = await webhook.receive(*plain_request(message_xml("event", msg_id=None, Event="subscribe")))
        assert passive_text(reply) == WELCOME + "\n\nHi! I'm Kelian."
        assert [m.text for m in bot.heard] == ["/greet"]

    run(scenario())


def test_unsubscribe_and_other_events_get_no_turn():
    async def scenario() -> None:
        webhook, bot, api = make()
        for event in ("unsubscribe", "VIEW", "LOCATION"):
            reply = await webhook.receive(*plain_request(message_xml("event", msg_id=None, Event=event)))
            assert reply == SUCCESS
        assert bot.heard == [] and api.delivered == []

    run(scenario())


def test_menu_clicks_map_to_intents():
    async def scenario() -> None:
        webhook, bot, _ = make()
        reply = await webhook.receive(
            *plain_request(message_xml("event", msg_id=None, Event="CLICK", EventKey="ORDER_STATUS"))
        )
        assert passive_text(reply) == "echo: /track_order"
        unknown = await webhook.receive(
            *plain_request(message_xml("event", msg_id=None, Event="CLICK", EventKey="NOPE"))
        )
        assert passive_text(unknown) == UNKNOWN_MENU and len(bot.heard) == 1

    run(scenario())


@pytest.mark.parametrize("msg_type", ["voice", "video", "shortvideo", "location", "link"])
def test_media_is_answered_politely_without_a_turn(msg_type):
    async def scenario() -> None:
        webhook, bot, _ = make()
        reply = await webhook.receive(*plain_request(message_xml(msg_type, MediaId="m1", PicUrl="http://x/y.jpg")))
        assert passive_text(reply) == UNSUPPORTED and UNSUPPORTED.startswith("暂时只能处理文字和图片消息")
        assert bot.heard == []

    run(scenario())


# --- images (attachments) --------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100


class MediaApi(RecordingApi):
    """The recorder, plus WeChat's media API: `media` by MediaId; anything else is an error."""

    def __init__(self, media: dict[str, bytes]) -> None:
        super().__init__()
        self.media = media
        self.fetched: list[str] = []

    async def fetch_media(self, media_id: str) -> bytes:
        self.fetched.append(media_id)
        if media_id == "huge":
            raise WeChatApiError("media/get: the file is too large", errcode=-413)
        if media_id not in self.media:
            raise WeChatApiError("media/get refused: errcode 40007", 40007)
        return self.media[media_id]


class Services:
    """The console's internal endpoint: keeps what it is handed, or refuses it with `refuse`."""

    def __init__(self, refuse: Optional[str] = None) -> None:
        self.refuse = refuse
        self.handed: list[tuple[str, str, bytes]] = []

    async def hand_over(self, channel: str, sender: str, data: bytes) -> HandOver:
        self.handed.append((channel, sender, data))
        return HandOver(error=self.refuse) if self.refuse else HandOver(file_id="f" * 32)


def image_webhook(paused: bool, refuse: Optional[str] = None) -> tuple[WeChatWebhook, ScriptedBot, MediaApi, Services]:
    webhook, bot, _ = make()
    api, services = MediaApi({"m-photo": JPEG}), Services(refuse)
    webhook.api, webhook.services = api, services  # type: ignore[assignment]

    async def is_paused(sender: str) -> bool:
        return paused

    webhook.paused = is_paused
    return webhook, bot, api, services


def test_an_image_to_an_agent_becomes_the_customers_message_in_the_tracker():
    async def scenario() -> None:
        webhook, bot, api, services = image_webhook(paused=True)
        reply = await webhook.receive(*plain_request(message_xml("image", MediaId="m-photo", PicUrl="http://x/y.jpg")))
        assert reply == SUCCESS  # at once: the fetch may take longer than WeChat waits
        await webhook.drain()
        assert api.fetched == ["m-photo"] and services.handed == [("wechat", OPENID, JPEG)]
        [heard] = bot.heard
        assert heard.text == IMAGE_TEXT and heard.metadata[METADATA_KEY] == "f" * 32
        assert heard.sender_id == OPENID and heard.input_channel == "wechat"

    run(scenario())


def test_an_image_outside_a_hand_off_is_kept_and_acknowledged_without_a_turn():
    async def scenario() -> None:
        webhook, bot, api, services = image_webhook(paused=False)
        await webhook.receive(*plain_request(message_xml("image", MediaId="m-photo")))
        await webhook.drain()
        assert len(services.handed) == 1 and bot.heard == []
        assert api.delivered == [(OPENID, [IMAGE_NOTES["received"]])]

    run(scenario())


@pytest.mark.parametrize(
    "media_id,refuse,note",
    [("m-photo", "not_image", "not_image"), ("huge", None, "too_large"), ("gone", None, "unavailable")],
)
def test_a_refused_or_unfetchable_image_is_explained_in_both_languages(media_id, refuse, note):
    async def scenario() -> None:
        webhook, bot, api, _ = image_webhook(paused=True, refuse=refuse)
        await webhook.receive(*plain_request(message_xml("image", MediaId=media_id)))
        await webhook.drain()
        assert bot.heard == [] and api.delivered == [(OPENID, [IMAGE_NOTES[note]])]
        chinese, english = IMAGE_NOTES[note].split("\n")
        assert re.search("[\u4e00-\u9fff]", chinese) and re.fullmatch("[ -~]+", english)

    run(scenario())


def test_an_image_message_without_a_usable_media_id_is_unsupported():
    async def scenario() -> None:
        webhook, bot, api, services = image_webhook(paused=True)
        reply = await webhook.receive(*plain_request(message_xml("image", MediaId="x" * 300)))
        assert passive_text(reply) == UNSUPPORTED and services.handed == []

    run(scenario())


def test_an_empty_text_gets_no_turn():
    async def scenario() -> None:
        webhook, bot, _ = make()
        assert await webhook.receive(*plain_request(message_xml(Content="   "))) == SUCCESS
        assert bot.heard == []

    run(scenario())


# --- numbered options ------------------------------------------------------------------------------


def test_a_numeric_reply_sends_that_buttons_payload():
    def answers(text: str) -> list[dict[str, Any]]:
        if text.startswith("取消"):
            return [
                {
                    "text": "确认取消吗?",
                    "buttons": [{"title": "确认", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}],
                }
            ]
        return [{"text": f"ok {text}"}]

    async def scenario() -> None:
        webhook, bot, _ = make(bot=ScriptedBot(answers))
        first = await webhook.receive(*plain_request(message_xml(Content="取消订单KL20251105", msg_id="1")))
        assert passive_text(first) == "确认取消吗?\n回复 1 确认\n回复 2 不用了"
        await webhook.receive(*plain_request(message_xml(Content="２", msg_id="2")))
        await webhook.receive(*plain_request(message_xml(Content="2", msg_id="3")))  # no buttons any more
        assert [m.text for m in bot.heard] == ["取消订单KL20251105", "/deny", "2"]

    run(scenario())


def test_messages_rasa_sends_on_its_own_go_through_the_api_with_numbered_options():
    from bot.channels.wechat import WeChatOutput

    async def scenario() -> None:
        webhook, bot, api = make()
        output = WeChatOutput(api, webhook)  # type: ignore[arg-type]
        await output.send_response(
            OPENID,
            {
                "text": "还需要帮忙吗?",
                "buttons": [{"title": "需要", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}],
            },
        )
        assert api.delivered == [(OPENID, ["还需要帮忙吗?\n回复 1 需要\n回复 2 不用了"])]
        await webhook.receive(*plain_request(message_xml(Content="1")))
        assert bot.heard[-1].text == "/affirm"

    run(scenario())


def test_options_are_worded_in_the_conversations_language():
    """The tracker's `language` slot words the options, not the answer's words ("旗袍 真丝" in an English
    conversation, an order number in a Chinese one); the tracker is read only for an answer with options."""
    from bot.channels.wechat import WeChatOutput

    asked: list[str] = []

    async def english(sender: str) -> Optional[str]:
        asked.append(sender)
        return "en"

    def answers(text: str) -> list[dict[str, Any]]:
        if text == "qipao":
            return [{"text": "旗袍 真丝 ¥399", "buttons": [{"title": "Details", "payload": "/product_info"}]}]
        return [{"text": "旗袍 真丝 ¥399"}]

    async def scenario() -> None:
        webhook, _, api = make(bot=ScriptedBot(answers))
        webhook.conversation_language = english  # type: ignore[assignment]
        reply = await webhook.receive(*plain_request(message_xml(Content="qipao", msg_id="1")))
        assert passive_text(reply) == "旗袍 真丝 ¥399\nReply 1 for Details"
        assert asked == [OPENID]
        await webhook.receive(*plain_request(message_xml(Content="no options", msg_id="2")))
        assert asked == [OPENID]

        async def chinese(sender: str) -> Optional[str]:
            return "zh"

        webhook.conversation_language = chinese  # type: ignore[assignment]
        await WeChatOutput(api, webhook).send_response(  # type: ignore[arg-type]
            OPENID, {"text": "KL20251107", "buttons": [{"title": "取消订单", "payload": "/cancel_order"}]}
        )
        assert api.delivered == [(OPENID, ["KL20251107\n回复 1 取消订单"])]

    run(scenario())


def test_the_conversation_language_is_the_trackers_slot_or_unknown():
    from types import SimpleNamespace

    from bot.channels.wechat import conversation_language

    def app(retrieve: Callable[[str], Any]) -> Any:
        async def read(sender: str) -> Any:
            return retrieve(sender)

        return SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=SimpleNamespace(retrieve=read))))

    def tracker(language: Optional[str]) -> Any:
        return SimpleNamespace(get_slot=lambda name: language if name == "language" else None)

    def unreachable(sender: str) -> Any:
        raise ConnectionError("the tracker store is down")

    assert run(conversation_language(app(lambda sender: tracker("zh")), OPENID)) == "zh"
    assert run(conversation_language(app(lambda sender: tracker(None)), OPENID)) is None
    assert run(conversation_language(app(lambda sender: tracker("fr")), OPENID)) is None
    assert run(conversation_language(app(lambda sender: None), OPENID)) is None
    assert run(conversation_language(app(unreachable), OPENID)) is None


def test_an_agents_message_goes_after_their_name_and_notices_as_they_are():
    from bot.channels.wechat import WeChatOutput

    async def scenario() -> None:
        webhook, _, api = make()
        output = WeChatOutput(api, webhook)  # type: ignore[arg-type]
        await output.send_response(
            OPENID, {"text": "客服7号 已加入对话", "agent_name": "客服7号", "agent_event": "joined"}
        )
        await output.send_response(OPENID, {"text": "您好", "agent_name": "客服7号", "agent_event": "message"})
        assert api.delivered == [(OPENID, ["客服7号 已加入对话"]), (OPENID, ["【客服7号】您好"])]

    run(scenario())

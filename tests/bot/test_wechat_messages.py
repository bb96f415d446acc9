"""WeChat XML, the bot's answers as numbered text options, the connector's memory and its settings."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.wechat_config import WeChatConfigError, WeChatSettings
from bot.channels.wechat_replies import has_options, render, split_long
from bot.channels.wechat_state import ButtonMemory, Deduplicator, ExpiringCache, chosen_number, message_key
from bot.channels.wechat_xml import InvalidXml, cdata, encrypted_envelope, parse_message, text_reply

KEY = "5YTAjk9NBJBX7ieerYNSf38iRMJC253TCKax6wcgZrG"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- XML -------------------------------------------------------------------------------------------


def test_a_text_message_is_read_field_by_field():
    fields = parse_message(
        """<xml><ToUserName><![CDATA[gh_kelian]]></ToUserName>
        <FromUserName><![CDATA[wx-demo-li]]></FromUserName><CreateTime>1700000000</CreateTime>
        <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[我的订单KL20251104到哪了]]></Content>
        <MsgId>1234567890123456</MsgId></xml>""".encode()
    )
    assert fields == {
        "ToUserName": "gh_kelian",
        "FromUserName": "wx-demo-li",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "我的订单KL20251104到哪了",
        "MsgId": "1234567890123456",
    }


def test_nested_elements_are_kept_empty():
    fields = parse_message(
        b"<xml><MsgType>event</MsgType><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>"
    )
    assert fields["ScanCodeInfo"] == ""


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<xml><Content>unclosed</xml>",
        b"<message><Content>hi</Content></message>",
        b'<?xml version="1.0"?><!DOCTYPE xml><xml><Content>hi</Content></xml>',
        b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">]><xml><Content>&a;&a;</Content></xml>',
        b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
        b"\xff\xfe<xml/>",
    ],
)
def test_malformed_xml_doctypes_and_entities_are_refused(body):
    with pytest.raises(InvalidXml):
        parse_message(body)


def test_cdata_survives_its_own_terminator_and_drops_control_characters():
    content = "a]]>b\x00c"
    xml = f"<xml><Content>{cdata(content)}</Content></xml>"
    assert parse_message(xml.encode())["Content"] == "a]]>bc"


def test_the_passive_reply_swaps_sender_and_receiver():
    fields = parse_message(text_reply("wx-demo-li", "gh_kelian", "您好 <b>&", 1700000000).encode())
    assert fields == {
        "ToUserName": "wx-demo-li",
        "FromUserName": "gh_kelian",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "您好 <b>&",
    }


def test_the_encrypted_envelope():
    fields = parse_message(encrypted_envelope("abc+/=", "f" * 40, "1700000000", "123").encode())
    assert fields == {"Encrypt": "abc+/=", "MsgSignature": "f" * 40, "TimeStamp": "1700000000", "Nonce": "123"}


# --- answers as text with numbered options ---------------------------------------------------------


def test_chinese_buttons_become_numbered_lines():
    texts, payloads = render(
        [
            {
                "text": "确认取消订单KL20251105吗?",
                "buttons": [{"title": "确认", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}],
            }
        ]
    )
    assert texts == ["确认取消订单KL20251105吗?\n回复 1 确认\n回复 2 不用了"]
    assert payloads == ["/affirm", "/deny"]


def test_english_buttons_say_reply_n_for():
    texts, _ = render(
        [
            {
                "text": "Cancel order KL20250105?",
                "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
            }
        ]
    )
    assert texts == ["Cancel order KL20250105?\nReply 1 for Yes\nReply 2 for No"]


def test_options_are_worded_in_the_conversations_language_not_the_messages():
    """Before, the options followed the words of each message: a product name or an order number in an
    English conversation ("旗袍 qipao dress, ¥399") got 回复 1 …, a wordless one ("KL20251107") Reply 1."""
    answer = [
        {"text": "旗袍 真丝 ¥399", "buttons": [{"title": "Details", "payload": "/product_info"}]},
        {"text": "KL20251107", "buttons": [{"title": "取消", "payload": "/cancel_order"}]},
    ]
    assert render(answer, "en")[0] == ["旗袍 真丝 ¥399\nReply 1 for Details", "KL20251107\nReply 2 for 取消"]
    assert render(answer, "zh")[0] == ["旗袍 真丝 ¥399\n回复 1 Details", "KL20251107\n回复 2 取消"]
    # The language unknown (the tracker unreadable): guessed from each message's words, as before.
    assert render(answer)[0] == ["旗袍 真丝 ¥399\n回复 1 Details", "KL20251107\nReply 2 for 取消"]


def test_only_answers_with_numbered_options_need_the_language():
    assert has_options([{"text": "a"}, {"text": "b", "buttons": [{"title": "Yes", "payload": "/affirm"}]}])
    assert not has_options([{"text": "看看这里", "buttons": [{"title": "官网", "url": "https://shop.example/"}]}])
    assert not has_options([{"text": "a", "buttons": []}, {"image": "https://shop.example/p.png"}])


def test_numbers_run_across_the_messages_of_one_answer():
    products = [
        {
            "text": f"Product {i}",
            "buttons": [
                {"title": "More like this", "payload": f'/similar_products{{"product_sku":"SKU{i}"}}'},
                {"title": "Details", "payload": f'/product_info{{"product_sku":"SKU{i}"}}'},
            ],
        }
        for i in (1, 2)
    ]
    texts, payloads = render([{"text": "Picked for you:"}, *products])
    assert texts[0] == "Picked for you:"
    assert texts[2].endswith("Reply 3 for More like this\nReply 4 for Details")
    assert payloads[2] == '/similar_products{"product_sku":"SKU2"}'


def test_link_buttons_images_and_empty_messages():
    texts, payloads = render(
        [
            {"text": "看看这里", "buttons": [{"title": "官网", "url": "https://shop.example/"}]},
            {"image": "https://shop.example/p.png"},
            {"custom": {"type": "product"}},
            {},
        ]
    )
    assert texts == ["看看这里\n官网: https://shop.example/", "https://shop.example/p.png"]
    assert payloads == []


def test_long_answers_are_sent_in_parts_under_wechats_limit():
    lines = [f"第{i}行:" + "很长的回答" * 20 for i in range(30)]
    parts = split_long("\n".join(lines), limit=2000)
    assert len(parts) > 1 and all(len(p.encode()) <= 2000 for p in parts)
    assert "\n".join(parts) == "\n".join(lines)
    one_line = "字" * 1500  # 4500 bytes without a line break: cut between characters
    parts = split_long(one_line, limit=2000)
    assert "".join(parts) == one_line and all(len(p.encode()) <= 2000 for p in parts)
    assert split_long("short") == ["short"]
    texts, _ = render([{"text": "x" * 4500}])
    assert len(texts) == 3


@pytest.mark.parametrize(
    "text, number",
    [
        ("1", 1),
        ("２", 2),
        (" 2 ", 2),
        ("3.", 3),
        ("１０", 10),
        ("12a", None),
        ("one", None),
        ("", None),
        ("1 2", None),
        ("-1", None),
    ],
)
def test_numeric_replies(text, number):
    assert chosen_number(text) == number


def test_button_memory_maps_numbers_back_per_user_and_forgets():
    clock = Clock()
    memory = ButtonMemory(maxsize=2, ttl=60, clock=clock)
    memory.remember("li", ["/affirm", "/deny"])
    memory.remember("alice", ["/x"])
    assert memory.resolve("li", "２") == "/deny"
    assert memory.resolve("li", "3") is None and memory.resolve("li", "好的") is None
    assert memory.resolve("bob", "1") is None
    memory.remember("li", [])  # an answer without buttons: the old numbers mean nothing any more
    assert memory.resolve("li", "1") is None
    memory.remember("li", ["/a"])
    memory.remember("bob", ["/b"])  # over maxsize: the oldest user (alice) goes
    assert memory.resolve("alice", "1") is None
    clock.now += 61
    assert memory.resolve("li", "1") is None


# --- expiry and de-duplication ---------------------------------------------------------------------


def test_expiring_cache_is_bounded_and_expires():
    clock = Clock()
    cache: ExpiringCache[str, int] = ExpiringCache(maxsize=3, ttl=10, clock=clock)
    for i, key in enumerate("abcd"):
        cache.set(key, i)
    assert "a" not in cache and cache.get("d") == 3 and len(cache) == 3
    clock.now += 5
    cache.set("b", 10)  # rewritten: lives 10 s from now
    clock.now += 6
    assert cache.get("c") is None and cache.get("b") == 10 and len(cache) == 1


def test_message_keys():
    assert message_key({"MsgId": "42", "FromUserName": "u", "CreateTime": "1"}) == "msg:42"
    subscribe = message_key({"FromUserName": "u", "CreateTime": "1", "Event": "subscribe"})
    click = message_key({"FromUserName": "u", "CreateTime": "1", "Event": "CLICK", "EventKey": "ORDER_STATUS"})
    assert subscribe != click
    assert subscribe == message_key({"FromUserName": "u", "CreateTime": "1", "Event": "subscribe"})


def test_deduplicator_gives_later_deliveries_the_first_ones_outcome():
    async def scenario() -> None:
        seen = Deduplicator(maxsize=10, ttl=60)
        assert seen.claim("msg:1") is None
        waiting = seen.claim("msg:1")
        assert waiting is not None and not waiting.done()
        seen.settle("msg:1", "<xml>answer</xml>")
        assert await waiting == "<xml>answer</xml>"
        assert seen.claim("msg:1").result() == "<xml>answer</xml>"
        assert seen.claim("msg:2") is None
        seen.release("msg:2")  # failed before Rasa: a retry may try again
        assert seen.claim("msg:2") is None

    asyncio.run(scenario())


def test_deduplicator_forgets_after_its_ttl():
    clock = Clock()

    async def scenario() -> None:
        seen = Deduplicator(maxsize=10, ttl=60, clock=clock)
        assert seen.claim("msg:1") is None
        clock.now += 61
        assert seen.claim("msg:1") is None

    asyncio.run(scenario())


# --- settings --------------------------------------------------------------------------------------


def test_settings_from_credentials_with_environment_overrides():
    credentials = {
        "mode": "compatible",
        "token": "yml-token",
        "encoding_aes_key": KEY,
        "app_id": "wxkelian0000000001",
        "app_secret": "yml-secret",
        "reply_deadline": 4.5,
        "menu": {"ORDER_STATUS": "/track_order"},
    }
    environ = {
        "KELIAN_WECHAT_TOKEN": "env-token",
        "KELIAN_WECHAT_MODE": "safe",
        "KELIAN_WECHAT_API_BASE": "http://127.0.0.1:9999",
        "KELIAN_WECHAT_REPLY_DEADLINE": "3",
    }
    settings = WeChatSettings.from_credentials(credentials, environ)
    assert (settings.token, settings.mode, settings.api_base, settings.reply_deadline) == (
        "env-token",
        "safe",
        "http://127.0.0.1:9999",
        3.0,
    )
    assert settings.app_secret == "yml-secret" and settings.menu == {"ORDER_STATUS": "/track_order"}


def test_plain_mode_needs_only_a_token():
    settings = WeChatSettings.from_credentials({"mode": "plain", "token": "t"}, {})
    assert not settings.encrypted


@pytest.mark.parametrize(
    "credentials, complaint",
    [
        ({"mode": "safe", "token": "t", "app_id": "wx1", "encoding_aes_key": "short"}, "EncodingAESKey"),
        ({"mode": "safe", "token": "t", "encoding_aes_key": KEY}, "app id"),
        ({"mode": "secret", "token": "t"}, "mode"),
        ({"mode": "plain", "token": "t", "reply_deadline": 6}, "reply_deadline"),
        ({"mode": "plain", "token": "t", "reply_deadline": "soon"}, "reply_deadline"),
        ({"mode": "plain", "token": "t", "menu": ["a"]}, "menu"),
        ({"mode": "plain", "token": "t", "tokn": "typo"}, "tokn"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_name(credentials, complaint):
    with pytest.raises(WeChatConfigError, match=complaint):
        WeChatSettings.from_credentials(credentials, {})


def test_without_secrets_each_install_generates_its_own(monkeypatch, tmp_path):
    """Before: a development token and EncodingAESKey were committed in credentials.yml and worked as
    real ones on every install."""
    import os

    keys = []
    for install in ("one", "two"):
        monkeypatch.setenv("KELIAN_VAR", str(tmp_path / install))
        settings = WeChatSettings.from_credentials({"mode": "compatible", "app_id": "wx1"}, {})
        assert settings.token and len(settings.encoding_aes_key) == 43
        assert oct(os.stat(tmp_path / install / "wechat-token").st_mode & 0o777) == "0o600"
        assert WeChatSettings.from_credentials({"mode": "compatible", "app_id": "wx1"}, {}).token == settings.token
        keys.append((settings.token, settings.encoding_aes_key))
    assert keys[0][0] != keys[1][0] and keys[0][1] != keys[1][1]


def test_the_development_credentials_load(monkeypatch, tmp_path):
    from pathlib import Path

    import yaml

    from bot.channels.wechat import WeChatInput
    from bot.channels.wechat_config import ENVIRONMENT

    for variable in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("KELIAN_VAR", str(tmp_path))  # where the install's own token and key are made
    credentials = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "credentials.yml").read_text())
    channel = WeChatInput.from_credentials(credentials["bot.channels.wechat.WeChatInput"])
    assert channel.name() == "wechat" and channel.settings.encrypted
    assert channel.settings.menu["ORDER_STATUS"] == "/track_order"

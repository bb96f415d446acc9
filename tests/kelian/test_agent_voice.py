"""What an agent says through the bot: the console's envelope, the action's words in the customer's language,
and how a channel reads who said it."""

from __future__ import annotations

from kelian.agent_voice import EVENT_KEY, NAME_KEY, agent_of, decode, encode, labelled, notice, utterance


def test_an_agents_message_keeps_the_text_and_the_name() -> None:
    value = encode("message", "客服7号", "您好,马上为您处理")
    assert utterance(value, "zh") == ("您好,马上为您处理", {NAME_KEY: "客服7号", EVENT_KEY: "message"})
    assert utterance(value, "en") == ("您好,马上为您处理", {NAME_KEY: "客服7号", EVENT_KEY: "message"})


def test_joined_and_left_are_worded_in_the_customers_language() -> None:
    assert utterance(encode("joined", "客服小林"), "en") == (
        "客服小林 joined the conversation",
        {NAME_KEY: "客服小林", EVENT_KEY: "joined"},
    )
    joined = utterance(encode("joined", "客服小林"), "zh")
    assert joined is not None and joined[0] == "客服小林 已加入对话"
    assert notice("left", "客服小林", "zh") == "客服小林 已离开对话"
    assert notice("left", "客服小林", "en") == "客服小林 left the conversation"


def test_plain_text_from_an_older_console_is_said_without_a_name() -> None:
    assert utterance("Hi, this is Mei.", "en") == ("Hi, this is Mei.", {})
    assert utterance('{"not": "an envelope"}', "en") == ('{"not": "an envelope"}', {})
    assert utterance("   ", "en") is None and utterance(None, "zh") is None


def test_nothing_to_say_says_nothing_and_names_are_bounded() -> None:
    assert decode(encode("message", "客服7号", "   ")) is None
    assert decode(encode("joined", "  ")) is None  # a notice needs a name
    long = decode(encode("message", "x" * 100, "hi"))
    assert long is not None and len(long.agent) == 24
    assert decode('{"event": "shout", "agent": "a", "text": "b"}').event == "message"  # unknown: plain text


def test_channels_read_who_said_it_from_the_metadata() -> None:
    assert agent_of({NAME_KEY: "客服7号", EVENT_KEY: "message", "elements": None}) == ("客服7号", "message")
    assert agent_of({NAME_KEY: "", EVENT_KEY: "message"}) is None and agent_of({}) is None and agent_of(None) is None
    assert labelled("好的", {NAME_KEY: "客服7号", EVENT_KEY: "message"}) == "【客服7号】好的"
    assert labelled("客服7号 已加入对话", {NAME_KEY: "客服7号", EVENT_KEY: "joined"}) == "客服7号 已加入对话"
    assert labelled("bot text", {}) == "bot text"

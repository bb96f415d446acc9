"""The REST channel decides who is talking (bot/channels/rest.py). Before: Rasa's connector took the
conversation id, the input channel and the metadata from the body, so `{"sender": "demo-alice"}` was
Alice and `{"input_channel": "wechat", "sender": "wx-demo-li"}` was Li's WeChat account."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Optional

import pytest

from bot.channels import limits, web_auth
from bot.channels.rest import BadRequest, RestInput

SECRET = "the REST channel tests secret, 32+ bytes"


def request(body: Any, token: Optional[str] = None, raw: Optional[bytes] = None) -> SimpleNamespace:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return SimpleNamespace(body=raw if raw is not None else json.dumps(body).encode(), headers=headers)


@pytest.fixture
def channel() -> RestInput:
    return RestInput(secret=SECRET)


def test_an_unsigned_sender_is_an_anonymous_conversation(channel: RestInput) -> None:
    sender, text, note = channel.conversation(
        request(
            {
                "sender": "demo-alice",
                "message": "track KL20250104",
                "input_channel": "wechat",
                "metadata": {"user": "x"},
            }
        )
    )
    assert sender == "rest-demo-alice" and web_auth.is_anonymous(sender)
    assert text == "track KL20250104" and note is None


def test_a_signed_token_is_that_user(channel: RestInput) -> None:
    token = web_auth.issue_user_token("demo-alice", SECRET)
    assert channel.conversation(request({"sender": "someone-else", "message": "hi"}, token=token))[0] == "demo-alice"
    assert channel.conversation(request({"message": "hi", "token": token}))[0] == "demo-alice"


@pytest.mark.parametrize(
    "token",
    [
        web_auth.issue_user_token("demo-alice", "another shop's secret, at least 32 bytes long"),
        web_auth.issue_user_token("demo-alice", SECRET, minutes=-1),
        "not.a.jwt",
    ],
)
def test_a_bad_token_is_refused_not_downgraded(channel: RestInput, token: str) -> None:
    with pytest.raises(BadRequest) as refused:
        channel.conversation(request({"sender": "demo-alice", "message": "hi"}, token=token))
    assert refused.value.status == 401


@pytest.mark.parametrize(
    "body",
    [
        [],
        "hi",
        None,
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "s" * 65, "message": "hi"},
        {"sender": "a/../b", "message": "hi"},
        {"sender": 7, "message": "hi"},
        {"sender": "me"},
        {"sender": "me", "message": ""},
        {"sender": "me", "message": {"text": "hi"}},
        {"sender": "me", "message": "\x00\x01 \x02"},
    ],
)
def test_malformed_bodies_are_400(channel: RestInput, body: Any) -> None:
    with pytest.raises(BadRequest) as refused:
        channel.conversation(request(body))
    assert refused.value.status == 400


def test_broken_json_and_oversized_bodies(channel: RestInput) -> None:
    with pytest.raises(BadRequest) as broken:
        channel.conversation(request(None, raw=b'{"sender": "me", "mess'))
    assert broken.value.status == 400
    with pytest.raises(BadRequest) as large:
        channel.conversation(request({"sender": "me", "message": "x" * limits.MAX_BODY_BYTES}))
    assert large.value.status == 413


def test_a_long_message_is_cut_with_a_note(channel: RestInput) -> None:
    sender, text, note = channel.conversation(request({"sender": "me", "message": "refund please " * 2_000}))
    assert len(text) == limits.MAX_MESSAGE_CHARS and note and "2000" in note


def test_reserved_ids_cannot_be_signed() -> None:
    for user in ("rest-demo-alice", "guest-0123456789abcdef"):
        with pytest.raises(ValueError):
            web_auth.issue_user_token(user, SECRET)

"""The web channel's identity rules (bot/channels/web_auth.py) and its connector (bot/channels/web.py)
without a server: who a socket is, and that nothing the browser sends can change it. The same page in
a real browser against the whole stack: tests/e2e/test_webchat.py."""

from __future__ import annotations

import asyncio
import base64
import json
import stat
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels import web_auth
from bot.channels.web import WebInput, WebOutput, conversation_room

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


# --- tokens of signed-in users --------------------------------------------------------------------


def test_a_valid_token_names_its_user():
    assert web_auth.user_from_token(web_auth.issue_user_token("demo-alice", SECRET), SECRET) == "demo-alice"


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        42,
        "not.a.token",
        web_auth.issue_user_token("demo-alice", SECRET, minutes=-1),  # expired
        web_auth.issue_user_token("demo-alice", "another-secret-that-is-also-long-enough"),  # forged
        f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': 'demo-alice', 'exp': int(time.time()) + 60})}.",  # unsigned
        jwt.encode({"sub": "demo-alice"}, SECRET, algorithm="HS256"),  # never expires
        jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS256"),  # nobody
        jwt.encode({"sub": "../etc", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"),  # not an id
    ],
)
def test_anything_else_names_nobody(token: Any):
    assert web_auth.user_from_token(token, SECRET) is None


def test_a_token_with_its_payload_swapped_is_rejected():
    li = web_auth.issue_user_token("demo-li", SECRET).split(".")
    alice = web_auth.issue_user_token("demo-alice", SECRET).split(".")
    assert web_auth.user_from_token(".".join([li[0], alice[1], li[2]]), SECRET) is None


def test_an_unusable_user_id_gets_no_token():
    with pytest.raises(ValueError):
        web_auth.issue_user_token("a/b", SECRET)


# --- guests ---------------------------------------------------------------------------------------


def test_a_signed_guest_id_comes_back():
    guest = web_auth.new_guest()
    assert guest.startswith("guest-")
    assert web_auth.guest_from_signed(web_auth.sign_guest(guest, SECRET), SECRET) == guest


def test_a_tampered_or_made_up_guest_id_is_refused():
    guest, other = web_auth.new_guest(), web_auth.new_guest()
    signature = web_auth.sign_guest(guest, SECRET).split(".")[1]
    for value in (
        f"{other}.{signature}",
        guest,
        f"{guest}.",
        f"demo-alice.{signature}",
        web_auth.sign_guest(guest, "another-secret-that-is-also-long-enough"),
        None,
        7,
        "a.b.c",
    ):
        assert web_auth.guest_from_signed(value, SECRET) is None, value


# --- the secret -------------------------------------------------------------------------------------


def test_the_secret_comes_from_the_environment_then_credentials_then_a_generated_file(tmp_path, monkeypatch):
    monkeypatch.delenv(web_auth.SECRET_ENV, raising=False)
    generated = web_auth.web_secret(var_dir=tmp_path)
    path = tmp_path / web_auth.SECRET_FILE
    assert len(generated) >= 32 and path.read_text() == generated
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert web_auth.web_secret(var_dir=tmp_path) == generated  # made once, then kept
    assert web_auth.web_secret("from-credentials", var_dir=tmp_path) == "from-credentials"
    monkeypatch.setenv(web_auth.SECRET_ENV, "from-the-environment")
    assert web_auth.web_secret("from-credentials", var_dir=tmp_path) == "from-the-environment"


# --- the connector --------------------------------------------------------------------------------------


class FakeSocketServer:
    """Stands in for python-socketio's server: records what the connector emits and which rooms."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []
        self.rooms: dict[str, set[str]] = {}

    async def emit(
        self, event: str, data: Any = None, to: str | None = None, room: str | None = None, **_: Any
    ) -> None:
        self.emitted.append((event, data, to or room))

    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.rooms.setdefault(sid, set()).add(room)

    async def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.rooms.get(sid, set()).discard(room)


@pytest.fixture
def channel(monkeypatch) -> tuple[WebInput, list[UserMessage], FakeSocketServer]:
    monkeypatch.setenv(web_auth.SECRET_ENV, SECRET)
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    web = WebInput.from_credentials({})
    web.blueprint(on_new_message)
    fake = FakeSocketServer()
    web.sio.emit, web.sio.enter_room, web.sio.leave_room = fake.emit, fake.enter_room, fake.leave_room
    return web, received, fake


def event(web: WebInput, name: str, sid: str, data: Any) -> None:
    """What python-socketio does when the event arrives on socket `sid`."""
    asyncio.run(web.sio.handlers["/"][name](sid, data))


def confirmed(fake: FakeSocketServer, sid: str) -> dict:
    return [data for name, data, to in fake.emitted if name == "session_confirm" and to == sid][-1]


def test_the_channel_is_called_web_and_registered(channel):
    web, _, _ = channel
    assert WebInput.name() == "web" and WebOutput.name() == "web"
    assert isinstance(web.get_output_channel(), WebOutput)
    credentials = (Path(__file__).resolve().parents[2] / "bot" / "credentials.yml").read_text()
    assert "bot.channels.web.WebInput:" in credentials


def test_a_signed_in_user_is_their_user_id(channel):
    web, received, fake = channel
    event(web, "session_request", "sid-1", {"customData": {"token": web_auth.issue_user_token("demo-alice", SECRET)}})
    assert confirmed(fake, "sid-1") == {"sender": "demo-alice", "signed_in": True, "session_id": None}
    event(web, "user_uttered", "sid-1", {"message": "where is KL20250104", "session_id": "demo-li"})
    assert [(m.sender_id, m.text, m.input_channel) for m in received] == [("demo-alice", "where is KL20250104", "web")]
    assert fake.rooms["sid-1"] == {conversation_room("demo-alice")}


def test_a_guest_keeps_their_id_and_cannot_take_anothers(channel):
    web, received, fake = channel
    event(web, "session_request", "sid-1", None)
    first = confirmed(fake, "sid-1")
    assert first["sender"].startswith("guest-") and not first["signed_in"]
    event(web, "session_request", "sid-2", {"session_id": first["session_id"]})  # the page after a reload
    assert confirmed(fake, "sid-2")["sender"] == first["sender"]
    event(web, "session_request", "sid-3", {"session_id": "demo-alice", "customData": {"token": "forged"}})
    third = confirmed(fake, "sid-3")["sender"]
    assert third.startswith("guest-") and third != first["sender"]
    event(web, "user_uttered", "sid-3", {"message": "hi", "session_id": first["sender"]})
    assert [m.sender_id for m in received] == [third]


def test_messages_without_a_session_or_text_are_ignored(channel):
    web, received, fake = channel
    event(web, "user_uttered", "sid-1", {"message": "hello", "session_id": "demo-alice"})
    event(web, "session_request", "sid-1", None)
    for data in (None, {}, {"message": ""}, {"message": ["not", "text"]}):
        event(web, "user_uttered", "sid-1", data)
    assert received == []
    event(web, "disconnect", "sid-1", None)
    event(web, "user_uttered", "sid-1", {"message": "after the socket closed"})
    assert received == []


def test_each_answer_ends_with_bot_done_to_the_conversation(channel):
    web, received, fake = channel
    event(web, "session_request", "sid-1", None)
    sender = confirmed(fake, "sid-1")["sender"]
    event(web, "user_uttered", "sid-1", {"message": "hi"})
    assert fake.emitted[-1] == ("bot_done", {}, conversation_room(sender))


def test_product_cards_are_emitted_as_they_are():
    fake = FakeSocketServer()
    output = WebOutput(fake, "bot_uttered")  # type: ignore[arg-type]
    card = {
        "type": "product",
        "sku": "SKU1",
        "name": "Tea",
        "price": "¥129",
        "buttons": [{"title": "Details", "payload": "/x"}],
    }
    asyncio.run(output.send_response("guest-0123456789abcdef", {"custom": dict(card)}))
    asyncio.run(output.send_response("guest-0123456789abcdef", {"text": "Pick one", "buttons": card["buttons"]}))
    room = conversation_room("guest-0123456789abcdef")
    assert fake.emitted == [
        ("bot_uttered", card, room),
        (
            "bot_uttered",
            {"text": "Pick one", "quick_replies": [{"content_type": "text", "title": "Details", "payload": "/x"}]},
            room,
        ),
    ]


def test_an_agents_messages_and_notices_carry_who_said_them():
    """What the console's agent says reaches the page whole, with their name (kelian/agent_voice.py): the page
    draws it apart from the bot's messages; the bot's own text is split into paragraphs as before."""
    fake = FakeSocketServer()
    output = WebOutput(fake, "bot_uttered")  # type: ignore[arg-type]
    sender = "guest-0123456789abcdef"
    said = {"text": "第一段\n\n第二段", "agent_name": "客服7号", "agent_event": "message", "elements": None}
    asyncio.run(output.send_response(sender, said))
    asyncio.run(
        output.send_response(sender, {"text": "客服7号 已加入对话", "agent_name": "客服7号", "agent_event": "joined"})
    )
    asyncio.run(output.send_response(sender, {"text": "bot\n\ntext"}))
    room = conversation_room(sender)
    assert fake.emitted == [
        ("bot_uttered", {"text": "第一段\n\n第二段", "agent": {"name": "客服7号", "event": "message"}}, room),
        ("bot_uttered", {"text": "客服7号 已加入对话", "agent": {"name": "客服7号", "event": "joined"}}, room),
        ("bot_uttered", {"text": "bot"}, room),
        ("bot_uttered", {"text": "text"}, room),
    ]

"""Stale forms expire (#13): a customer who left a form half-way and comes back after the session timeout
(or in a new session a client asks for) is greeted, not asked the old form's question again; who they are
and their language carry over (actions/session.py).

The timeout is Rasa's own: the conversation's events are moved back in time in the stack's tracker store
(as if the customer had written two hours ago), so the next message finds the session expired and Rasa
runs `action_session_start` as it does in production."""

from __future__ import annotations

import sqlite3

import pytest

from devstack.stack import Stack
from tests.e2e.test_dialogue_digressions import active_form, texts

pytestmark = pytest.mark.e2e

HOURS_AGO = 2


def written_hours_ago(stack: Stack, sender: str, hours: float = HOURS_AGO) -> None:
    """Every event of the conversation, `hours` older: in the row and in the event's JSON, which is what
    Rasa reads back."""
    seconds = hours * 3600
    with sqlite3.connect(stack.config.var_dir / "rasa-tracker.db", timeout=30) as db:
        changed = db.execute(
            "UPDATE events SET timestamp = timestamp - ?, "
            "data = json_set(data, '$.timestamp', json_extract(data, '$.timestamp') - ?) "
            "WHERE sender_id = ?",
            (seconds, seconds, stack.conversation_id(sender)),
        ).rowcount
    assert changed > 0


def slots(stack: Stack, sender: str) -> dict:
    return stack.tracker(sender)["slots"]


def sessions(stack: Stack, sender: str) -> int:
    events = stack.tracker(sender)["events"]
    return sum(1 for e in events if e["event"] == "action" and e.get("name") == "action_session_start")


def test_an_address_form_left_hours_ago_is_gone_when_the_customer_greets(stack, li):
    assert "收货地址" in texts(stack.say(li, "我想修改收货地址"))
    assert "不完整" in texts(stack.say(li, "北京"))
    assert active_form(stack, li) == "address_form"
    started = sessions(stack, li)
    written_hours_ago(stack, li)

    reply = texts(stack.say(li, "在吗"))
    assert ("您好" in reply or "亲" in reply) and "地址" not in reply
    assert sessions(stack, li) == started + 1
    assert active_form(stack, li) is None
    now = slots(stack, li)
    assert now["requested_slot"] is None and now["new_address"] is None
    assert now["language"] == "zh"  # kept: the greeting after it is Chinese, too


def test_an_order_form_left_hours_ago_is_gone_in_english(stack, alice):
    assert "What's your order number?" in texts(stack.say(alice, "i need to change something in my order"))
    assert active_form(stack, alice) == "change_order_form"
    written_hours_ago(stack, alice)

    reply = texts(stack.say(alice, "hello"))
    assert ("Hi" in reply or "Hello" in reply) and "order number" not in reply
    assert active_form(stack, alice) is None
    assert slots(stack, alice)["requested_slot"] is None and slots(stack, alice)["language"] == "en"


def test_a_cancellation_left_unconfirmed_hours_ago_keeps_no_order_number(stack, alice):
    assert "cancel it?" in texts(stack.say(alice, "please cancel order KL20250107"))
    assert slots(stack, alice)["order_id"] == "KL20250107"
    written_hours_ago(stack, alice)

    reply = texts(stack.say(alice, "hi there"))
    assert "cancel" not in reply.lower()
    assert slots(stack, alice)["order_id"] is None and slots(stack, alice)["confirmation"] is None


def test_a_new_session_asked_for_by_a_client_starts_clean_and_keeps_the_language(stack, li):
    """What a chat client sends when it opens a new session (`/session_start`): the same action runs."""
    assert "订单号" in texts(stack.say(li, "帮我查个订单"))
    stack.say(li, "/session_start")
    assert active_form(stack, li) is None and slots(stack, li)["requested_slot"] is None
    reply = texts(stack.say(li, "你好"))
    assert "订单号" not in reply and ("您好" in reply or "亲" in reply)
    assert slots(stack, li)["language"] == "zh"

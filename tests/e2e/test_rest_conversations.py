"""Conversations over the REST channel with the whole stack running, in English and in Chinese."""
from __future__ import annotations

import pytest

from devstack.stack import Stack

pytestmark = pytest.mark.e2e


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def latest_intent(stack: Stack, sender: str) -> str:
    return stack.tracker(sender)["latest_message"]["intent"]["name"]


def test_greeting_in_each_language(stack, customer):
    assert "Kelian" in texts(stack.say(customer, "hi there"))
    assert "客连" in texts(stack.say(customer + "-zh", "你好呀"))


def test_tracking_form_in_english(stack, customer):
    reply = texts(stack.say(customer, "where is my order"))
    assert latest_intent(stack, customer) == "track_order"
    assert "order number" in reply and "KL" in reply
    reply = texts(stack.say(customer, "KL123"))
    assert "doesn't look like one of our order numbers" in reply
    reply = texts(stack.say(customer, "it's kl20251107"))
    assert "KL20251107" in reply
    tracker = stack.tracker(customer)
    assert tracker["slots"]["order_id"] == "KL20251107"
    assert tracker["active_loop"] in ({}, None) or tracker["active_loop"].get("name") is None


def test_refund_form_in_chinese_with_a_question_in_between(stack, customer):
    reply = texts(stack.say(customer, "我要退款"))
    assert latest_intent(stack, customer) == "get_refund"
    assert "订单号" in reply
    reply = texts(stack.say(customer, "你们的退货政策是什么"))
    assert "30 天" in reply and "订单号" in reply  # the policy, then the form asks again
    reply = texts(stack.say(customer, "订单KL20250606申请退款"))
    assert "KL20250606" in reply and "退款" in reply
    assert stack.tracker(customer)["slots"]["language"] == "zh"


def test_cancellation_asks_for_confirmation_and_respects_no(stack, customer):
    replies = stack.say(customer, "please cancel my order KL20250101")
    assert "cancel order KL20250101" in texts(replies)
    assert {b["payload"] for b in replies[-1]["buttons"]} == {"/affirm", "/deny"}
    assert "stays as it is" in texts(stack.say(customer, "no, keep it"))


def test_customer_switches_language_mid_conversation(stack, customer):
    assert "Kelian" in texts(stack.say(customer, "hello"))
    reply = texts(stack.say(customer, "一般几天能送到"))
    assert "工作日" in reply


def test_address_change_is_confirmed_before_anything_happens(stack, customer):
    reply = texts(stack.say(customer, "我要修改收货地址"))
    assert "收货地址" in reply
    reply = texts(stack.say(customer, "上海"))
    assert "不完整" in reply
    reply = texts(stack.say(customer, "上海市浦东新区张江路88号"))
    assert "上海市浦东新区张江路88号" in reply and "确认" in reply
    assert "没有做任何修改" in texts(stack.say(customer, "不对"))


def test_out_of_scope_is_not_forced_into_a_support_intent(stack, customer):
    stack.say(customer, "what's the weather going to be like tomorrow in paris")
    assert latest_intent(stack, customer) in {"out_of_scope", "nlu_fallback"}


def test_human_is_reachable_from_inside_a_form(stack, customer):
    stack.say(customer, "i want to change my order")
    reply = texts(stack.say(customer, "let me talk to a real person please"))
    assert "400-820-0000" in reply
    assert stack.tracker(customer)["active_loop"].get("name") is None


def test_password_recovery_asks_for_the_email(stack, customer):
    reply = texts(stack.say(customer, "i forgot my password and can't log in"))
    assert "email" in reply.lower()
    reply = texts(stack.say(customer, "anna.smith@example.com"))
    assert "anna.smith@example.com" in reply

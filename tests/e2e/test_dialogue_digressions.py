"""Conversations that never trap a customer (#13), over REST with the whole stack, in both languages:
questions, greetings, goodbyes, "never mind", a person and another task in the middle of a form;
buttons that work like words; a change of mind at a confirmation; a bare order number."""

from __future__ import annotations

import pytest

from crm.repository import get_order, handoff_inbox
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

ASK_ORDER_EN = "What's your order number?"
ASK_ORDER_ZH = "请提供您的订单号"
# the question again, shorter, after a question answered in between
REMIND_ORDER_EN = "which order number is it?"
REMIND_ORDER_ZH = "请问是哪个订单号"


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def active_form(stack: Stack, sender: str) -> str | None:
    return (stack.tracker(sender).get("active_loop") or {}).get("name")


def paused(stack: Stack, sender: str) -> bool:
    return stack.tracker(sender).get("paused", False)


# --- leaving a form -----------------------------------------------------------------------------


def test_goodbye_in_a_form_ends_it_without_the_question(stack, alice):
    assert ASK_ORDER_EN in texts(stack.say(alice, "can you find out where my package is"))
    reply = texts(stack.say(alice, "ok bye then"))
    assert "bye" in reply.lower() and ASK_ORDER_EN not in reply
    assert active_form(stack, alice) is None


def test_never_mind_in_chinese_stops_the_refund_form(stack, customer):
    assert ASK_ORDER_ZH in texts(stack.say(customer, "我想申请退款"))
    reply = texts(stack.say(customer, "算了"))
    assert "已为您取消当前操作" in reply and ASK_ORDER_ZH not in reply
    assert active_form(stack, customer) is None


def test_no_in_the_address_form_is_not_taken_as_the_address(stack, li):
    assert "收货地址" in texts(stack.say(li, "收货地址要换一下"))
    reply = texts(stack.say(li, "不用了"))
    assert "已为您取消当前操作" in reply and "确认使用这个收货地址" not in reply
    assert active_form(stack, li) is None


def test_a_person_asked_for_at_the_proof_step_is_handed_over(stack, customer, in_crm):
    assert "last 4 digits" in texts(stack.say(customer, "track KL20250104 for me"))
    reply = texts(stack.say(customer, "i want to speak to a human agent"))
    assert "colleague" in reply or "a person directly" in reply
    assert "doesn't match" not in reply and paused(stack, customer)


def test_goodbye_at_the_proof_step_is_no_wrong_answer(stack, customer):
    assert "后 4 位" in texts(stack.say(customer, "查一下订单KL20251104"))
    reply = texts(stack.say(customer, "不查了 再见"))
    assert ("再见" in reply or "拜拜" in reply) and "不符" not in reply
    assert active_form(stack, customer) is None


# --- answering, then carrying on ----------------------------------------------------------------


def test_a_question_in_the_change_form_is_answered_then_the_form_goes_on(stack, alice):
    assert ASK_ORDER_EN in texts(stack.say(alice, "i need to change something in my order"))
    reply = texts(stack.say(alice, "how many days does shipping usually take"))
    assert "working days" in reply and REMIND_ORDER_EN in reply and ASK_ORDER_EN not in reply
    assert "KL20250105" in texts(stack.say(alice, "KL20250105"))
    assert active_form(stack, alice) is None


def test_thanks_in_a_chinese_form_is_answered_without_the_question_and_the_form_still_listens(stack, li):
    assert ASK_ORDER_ZH in texts(stack.say(li, "我要取消一个订单"))
    reply = texts(stack.say(li, "谢谢啊"))
    assert "不客气" in reply and "订单号" not in reply
    assert active_form(stack, li) == "cancel_order_form"
    assert "确定要取消吗" in texts(stack.say(li, "KL20251105"))


def test_a_greeting_in_an_english_form_is_answered_without_the_question(stack, alice):
    assert ASK_ORDER_EN in texts(stack.say(alice, "i need to change something in my order"))
    reply = texts(stack.say(alice, "hello?"))
    assert ("Hi" in reply or "Hello" in reply) and "order number" not in reply
    assert active_form(stack, alice) == "change_order_form"
    assert "KL20250105" in texts(stack.say(alice, "KL20250105"))


# --- another task takes over --------------------------------------------------------------------


def test_a_cancellation_with_its_number_in_the_address_form_takes_over(stack, li, in_crm):
    assert "收货地址" in texts(stack.say(li, "我想修改收货地址"))
    reply = texts(stack.say(li, "地址不改了,把订单KL20251105直接取消"))
    assert "确定要取消吗" in reply and "确认使用这个收货地址" not in reply
    assert "保持不变" in texts(stack.say(li, "不取消了"))
    assert in_crm(lambda s: get_order(s, "KL20251105")).status.value == "paid"


def test_tracking_asked_for_in_the_refund_form_takes_over(stack, alice):
    assert ASK_ORDER_EN in texts(stack.say(alice, "i want to send something back for a refund"))
    reply = texts(stack.say(alice, "wait, first tell me where order KL20250104 is"))
    assert "shipped" in reply and "refund" not in reply.lower()


# --- confirmations ------------------------------------------------------------------------------


def test_a_change_of_mind_in_words_keeps_the_order(stack, li, in_crm):
    assert "确定要取消吗" in texts(stack.say(li, "帮我取消订单KL20251105"))
    reply = texts(stack.say(li, "我再考虑一下,先不取消了"))
    assert "保持不变" in reply and "确定要取消吗" not in reply
    assert in_crm(lambda s: get_order(s, "KL20251105")).status.value == "paid"


def test_a_change_of_mind_in_english_keeps_the_order(stack, alice, in_crm):
    assert "cancel it?" in texts(stack.say(alice, "please cancel order KL20250107"))
    reply = texts(stack.say(alice, "hmm wait, don't cancel it after all"))
    assert "stays as it is" in reply
    assert in_crm(lambda s: get_order(s, "KL20250107")).status.value == "placed"


# --- buttons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "complaint", ["我要投诉,买的耳机用了两天就坏了", "i want to file a complaint, the box arrived crushed"]
)
def test_the_complaints_person_button_hands_over_in_both_languages(stack, customer, in_crm, complaint):
    replies = stack.say(customer, complaint)
    payloads = {b["payload"] for r in replies for b in r.get("buttons") or []}
    assert payloads == {"/contact_human_agent", "/deny"}
    reply = texts(stack.say(customer, "/contact_human_agent"))
    assert "人工客服" in reply or "colleague" in reply
    assert paused(stack, customer)
    assert any(h.reason == "complaint" for h in in_crm(lambda s: handoff_inbox(s)))


def test_yes_after_a_chinese_complaint_hands_over(stack, customer):
    assert "投诉" in texts(stack.say(customer, "快递员态度很恶劣,我要投诉他"))
    assert "人工客服" in texts(stack.say(customer, "/affirm"))
    assert paused(stack, customer)


def test_the_complaints_no_button(stack, customer):
    assert "投诉" in texts(stack.say(customer, "我要投诉 客服一直不回消息"))
    assert "还有其他" in texts(stack.say(customer, "/deny"))


# --- a bare order number ------------------------------------------------------------------------


def test_a_bare_order_number_is_tracked(stack, alice, li):
    assert "shipped" in texts(stack.say(alice, "KL20250104"))
    stack.say(li, "在吗")  # a number alone says nothing of the language
    assert "已发货" in texts(stack.say(li, "KL20251104"))


def test_a_visitors_bare_order_number_asks_for_the_proof(stack, customer):
    assert "last 4 digits" in texts(stack.say(customer, "KL20250104"))


# --- a request taken back -----------------------------------------------------------------------


def test_a_bare_cancel_in_the_tracking_form_stops_it(stack, li):
    assert ASK_ORDER_ZH in texts(stack.say(li, "帮我查个订单"))
    reply = texts(stack.say(li, "取消"))
    assert "已为您取消当前操作" in reply and ASK_ORDER_ZH not in reply
    assert active_form(stack, li) is None


def test_a_refund_taken_back_stops_the_refund_form(stack, customer):
    assert ASK_ORDER_EN in texts(stack.say(customer, "refund please"))
    reply = texts(stack.say(customer, "actually i don't want a refund any more"))
    assert "stopped" in reply and ASK_ORDER_EN not in reply
    assert active_form(stack, customer) is None


def test_a_fee_question_at_the_cancellation_question_asks_it_again(stack, li, in_crm):
    assert "确定要取消吗" in texts(stack.say(li, "订单KL20251105帮我取消掉"))
    assert "确定要取消吗" in texts(stack.say(li, "取消的话要扣多少钱"))
    assert "保持不变" in texts(stack.say(li, "那算了"))
    assert in_crm(lambda s: get_order(s, "KL20251105")).status.value == "paid"

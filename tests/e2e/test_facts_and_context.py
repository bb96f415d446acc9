"""One set of facts and answers read in context (#13), over REST with the whole stack, in both languages:
delivery answers state the CRM's figures, a complaint told in two messages is one ticket with one
promise, a verification answer in a sentence verifies, a bare order number is tracked."""

from __future__ import annotations

import re

import pytest

from actions.knowledge import delivery_facts, fact
from crm.repository import every_delivery_option
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

PROOF_EN = "last 4 digits"
PROOF_ZH = "后 4 位"


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.fixture(scope="module")
def delivery(crm):
    with crm() as session:
        return delivery_facts(every_delivery_option(session))


# --- one set of facts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "language"), [("what shipping options do you have", "en"), ("你们有哪些配送方式", "zh")]
)
def test_a_visitors_delivery_options_are_the_crms(stack: Stack, customer, delivery, question, language):
    reply = texts(stack.say(customer, question))
    standard, express = delivery["standard"].values(language), delivery["express"].values(language)
    for figure in (
        standard["standard_fee"],
        standard["standard_free_over"],
        standard["standard_days"],
        express["express_fee"],
        express["express_days"],
    ):
        assert figure in reply, (figure, reply)
    assert "{" not in reply and not re.search(r"(?<![\d,])(\d+)–\1(?!\d)", reply)


def test_a_customers_regional_options_never_say_one_to_one(stack: Stack, alice, delivery):
    reply = texts(stack.say(alice, "what shipping options do you have"))
    assert "Delivery to your address in" in reply
    assert not re.search(r"(?<![\d,])(\d+)–\1(?!\d)", reply), reply
    region = next(
        key.removesuffix("_express")
        for key, option in delivery.items()
        if key.endswith("_express") and option.regions_en[0] in reply
    )
    express = delivery[f"{region}_express"].values("en")
    assert f"{express[f'{region}_express_days']}, {express[f'{region}_express_fee']}" in reply


def test_delivery_time_in_chinese_states_the_facts(stack: Stack, customer, delivery):
    reply = texts(stack.say(customer, "一般几天能送到"))
    assert fact("dispatch_time", "zh") in reply and delivery["standard"].values("zh")["standard_days"] in reply


@pytest.mark.parametrize(
    ("complaint", "more", "language"),
    [
        (
            "this is the worst service ever, a total scam",
            "and this is ridiculous, nobody answers my emails either",
            "en",
        ),
        ("太差了,简直是骗子,我要投诉", "我要投诉,客服邮件也一直没人回,太离谱了", "zh"),
    ],
)
def test_a_complaint_in_two_messages_is_one_ticket_with_one_promise(stack: Stack, customer, complaint, more, language):
    first = texts(stack.say(customer, complaint))
    opened = re.findall(r"TK\d+", first)
    assert len(opened) == 1 and fact("urgent_ticket_reply", language) in first, first
    second = texts(stack.say(customer, more))
    assert re.findall(r"TK\d+", second) == opened, second
    assert fact("ticket_reply", language) not in second


# --- answers in context -------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["its alice@example.com", "my email is alice@example.com"])
def test_a_verification_answer_in_a_sentence_verifies(stack: Stack, customer, answer):
    assert PROOF_EN in texts(stack.say(customer, "track KL20250104 for me"))
    reply = texts(stack.say(customer, answer))
    assert "doesn't match" not in reply and "shipped" in reply, reply


@pytest.mark.parametrize("answer", ["手机尾号是5678", "尾号 5678", "是 li.wei@example.cn"])
def test_a_chinese_verification_answer_in_a_sentence_verifies(stack: Stack, customer, answer):
    assert PROOF_ZH in texts(stack.say(customer, "帮我查一下订单KL20251104"))
    reply = texts(stack.say(customer, answer))
    assert "不符" not in reply and "已发货" in reply, reply


def test_a_bare_order_number_is_tracked_in_both_languages(stack: Stack, alice, li):
    assert "shipped" in texts(stack.say(alice, "KL20250104"))
    stack.say(li, "你好")
    assert "已发货" in texts(stack.say(li, "KL20251104"))

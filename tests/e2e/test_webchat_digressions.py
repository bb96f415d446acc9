"""Conversations that never trap a customer (#13) on the web chat page, in a real browser (Debian's
Chromium, headless) against the whole stack, in both languages: a goodbye, "never mind" or a question
in the middle of a form, a person asked for there, the complaint's person button, a change of mind at
the cancellation question, a bare order number. The same cases over REST: test_dialogue_digressions.py
and test_facts_and_context.py. What the page shows is checked, and Rasa's tracker and the CRM where
those tests check them.

Signed-in customers are fresh web users of the demo customers (conftest's `web_user`), so no test
shares a conversation with another; Chinese visitors open the page in Chinese (`?lang=zh`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.channels.web_auth import issue_user_token
from crm.repository import get_order, open_handoff_of
from tests.e2e.test_dialogue_digressions import ASK_ORDER_EN, ASK_ORDER_ZH, REMIND_ORDER_EN, active_form, paused
from tests.e2e.webchat_page import Chat

pytestmark = pytest.mark.e2e


@pytest.fixture
def signed_in(chat: Chat, web_user: Callable[[str], str], secret: str) -> Callable[[str], Chat]:
    """`signed_in("demo-li")`: the page opened with a token the shop signed for a web user of Li."""

    def open_as(who: str) -> Chat:
        opened = chat.open(issue_user_token(web_user(who), secret))
        assert not opened.sender.startswith("guest-")
        return opened

    return open_as


def opened(chat: Chat, signed_in: Callable[[str], Chat], who: str | None) -> Chat:
    """Signed in as `who`, or a visitor who reads Chinese when `who` is None."""
    return signed_in(who) if who else chat.open(lang="zh")


# --- leaving a form -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "start", "asked", "bye", "goodbyes", "wrong"),
    [
        ("demo-alice", "can you find out where my package is", ASK_ORDER_EN, "ok bye then", ("bye",), ASK_ORDER_EN),
        (None, "查一下订单KL20251104", "后 4 位", "不查了 再见", ("再见", "拜拜"), "不符"),
    ],
    ids=["en", "zh"],
)
def test_goodbye_in_a_form_ends_it_without_the_question(
    chat, signed_in, stack, who, start, asked, bye, goodbyes, wrong
):
    chat = opened(chat, signed_in, who)
    assert asked in chat.say(start)
    reply = chat.say(bye)
    assert any(word in reply.lower() for word in goodbyes) and asked not in reply and wrong not in reply
    assert active_form(stack, chat.sender) is None


@pytest.mark.parametrize(
    ("start", "asked", "stop", "stopped"),
    [
        ("我想申请退款", ASK_ORDER_ZH, "算了", "已为您取消当前操作"),
        ("refund please", ASK_ORDER_EN, "never mind", "stopped"),
    ],
    ids=["zh", "en"],
)
def test_never_mind_stops_the_refund_form_and_says_so(chat, stack, start, asked, stop, stopped):
    chat.open(lang="zh" if asked == ASK_ORDER_ZH else None)
    assert asked in chat.say(start)
    reply = chat.say(stop)
    assert stopped in reply and asked not in reply
    assert active_form(stack, chat.sender) is None


# --- answering, then carrying on ----------------------------------------------------------------


def test_a_question_in_the_change_form_is_answered_then_the_form_goes_on(signed_in, stack):
    chat = signed_in("demo-alice")
    assert ASK_ORDER_EN in chat.say("i need to change something in my order")
    reply = chat.say("how many days does shipping usually take")
    assert "working days" in reply and REMIND_ORDER_EN in reply and ASK_ORDER_EN not in reply
    assert "KL20250105" in chat.say("KL20250105")
    assert active_form(stack, chat.sender) is None


def test_thanks_in_a_chinese_form_is_answered_without_the_question_and_the_form_still_listens(signed_in, stack):
    chat = signed_in("demo-li")
    assert ASK_ORDER_ZH in chat.say("我要取消一个订单")
    reply = chat.say("谢谢啊")
    assert "不客气" in reply and "订单号" not in reply
    assert active_form(stack, chat.sender) == "cancel_order_form"
    assert "确定要取消吗" in chat.say("KL20251105")


# --- a person ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "start", "asked", "person", "handed"),
    [
        ("demo-li", "帮我查个订单", ASK_ORDER_ZH, "转人工", "已为您转接人工客服"),
        (
            "demo-alice",
            "i want to change my order",
            ASK_ORDER_EN,
            "let me talk to a real person please",
            "expected wait",
        ),
    ],
    ids=["zh", "en"],
)
def test_a_person_asked_for_in_a_form_is_handed_over(signed_in, stack, in_crm, who, start, asked, person, handed):
    chat = signed_in(who)
    assert asked in chat.say(start)
    reply = chat.say(person)
    assert handed in reply and asked not in reply
    assert paused(stack, chat.sender) and active_form(stack, chat.sender) is None
    handoff = in_crm(lambda s: open_handoff_of(s, "web", chat.sender))
    assert handoff is not None and handoff.reason == "customer asked"


def test_the_chinese_complaints_person_button_hands_over_and_reads_as_its_title(chat, stack, in_crm):
    chat.open(lang="zh")
    complaint, title = "快递员态度很恶劣,我要投诉他", "好的,转人工"
    assert "投诉" in chat.say(complaint)
    button = chat.page.locator(".quick-replies button", has_text=title).last
    assert button.get_attribute("data-payload") == "/contact_human_agent"
    reply = chat.click(button)
    assert "已为您转接人工客服" in reply
    assert chat.page.locator(".message.user").all_inner_texts()[-1] == title  # the page shows the title
    assert paused(stack, chat.sender)
    assert stack.tracker(chat.sender)["latest_message"]["intent"]["name"] == "contact_human_agent"
    handoff = in_crm(lambda s: open_handoff_of(s, "web", chat.sender))
    assert handoff is not None and handoff.reason == "complaint"
    assert f"]: {title}" in handoff.summary and "/contact_human_agent" not in handoff.summary  # what the agent reads


# --- confirmations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "cancel", "asked", "no", "kept", "order", "status"),
    [
        ("demo-li", "帮我取消订单KL20251105", "确定要取消吗", "还是不取消了", "保持不变", "KL20251105", "paid"),
        (
            "demo-alice",
            "please cancel order KL20250107",
            "cancel it?",
            "hmm wait, don't cancel it after all",
            "stays as it is",
            "KL20250107",
            "placed",
        ),
    ],
    ids=["zh", "en"],
)
def test_a_change_of_mind_at_the_cancellation_question_keeps_the_order(
    signed_in, in_crm, who, cancel, asked, no, kept, order, status
):
    chat = signed_in(who)
    assert asked in chat.say(cancel)
    reply = chat.say(no)
    assert kept in reply and asked not in reply
    assert in_crm(lambda s: get_order(s, order)).status.value == status


# --- a bare order number ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "hello", "number", "status"),
    [
        ("demo-alice", None, "KL20250104", "shipped"),
        ("demo-li", "在吗", "KL20251104", "已发货"),  # a number alone says nothing of the language
    ],
    ids=["en", "zh"],
)
def test_a_signed_in_customers_bare_order_number_is_tracked(signed_in, who, hello, number, status):
    chat = signed_in(who)
    if hello:
        chat.say(hello)
    reply = chat.say(number)
    assert status in reply and "last 4 digits" not in reply and "后 4 位" not in reply

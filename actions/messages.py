"""Every message the assistant says while it fills a form (questions, reminders, what is wrong with an
answer), in both languages, and `tell`, which says one. A module of its own so that any action can
speak these words without importing the actions that ask (actions/questions.py).

A few messages (`VARIABLE`) may be reworded by a replies experiment (docs/experiments.md, "Reply
wording"): `worded` gives the customer's arm's words (asked through actions.experiments.arm, the one
way actions read an arm), `seen` records the exposure once the message went out, and `tell_worded`
does both for a message said on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from crm.experiments.serving import Assignment
from actions.experiments import arm, exposed
from actions.i18n import say

# message key -> (English, Chinese)
MESSAGES: dict[str, tuple[str, str]] = {
    "ask_order_id": (
        "What's your order number? It starts with KL followed by 8 digits, e.g. KL20251107.",
        "请提供您的订单号(KL 加 8 位数字,例如 KL20251107)。",
    ),
    "invalid_order_id": (
        "That doesn't look like one of our order numbers: they are KL followed by 8 digits, e.g. KL20251107.",
        "这个订单号格式不对哦,我们的订单号是 KL 加 8 位数字,例如 KL20251107。",
    ),
    "ask_new_address": (
        "Please type the full shipping address: street and number, city, province or state, postcode.",
        "请输入完整的收货地址:省、市、区、街道门牌号(以及邮编)。",
    ),
    "invalid_address": (
        "That address looks incomplete. Please include the street and number and the city.",
        "这个地址好像不完整,请包含城市和详细的街道门牌号。",
    ),
    "ask_email": ("Which email address is the account registered with?", "请问您的账户绑定的是哪个邮箱?"),
    "invalid_email": (
        "That doesn't look like an email address. Could you check it?",
        "这个邮箱格式好像不对,请再确认一下。",
    ),
    "ask_rating": (
        "How would you rate us, from 1 (poor) to 5 (excellent)?",
        "请为我们打个分吧:1 分(很差)到 5 分(很好)。",
    ),
    "offer_human": (
        "Sorry, I still can't work out what you need. Would you like me to connect you to a person?",
        "抱歉,我还是没能理解您的问题。需要为您转接人工客服吗?",
    ),
    "ask_link_code": (
        'Please send the 6-digit code you got where you\'re signed in (say "link my account" there to get one).',
        "请发送您在已登录渠道获取的 6 位绑定验证码(在那里回复“绑定账号”即可获取)。",
    ),
    "invalid_link_code": ("The code has 6 digits, e.g. 042913.", "验证码是 6 位数字,例如 042913。"),
    "wrong_link_code": (
        "That code doesn't work (wrong or expired). {attempts} tries left.",
        "验证码不正确或已过期,还可以再试 {attempts} 次。",
    ),
    "out_of_scope": (
        "Sorry, that's outside what I can help with. I can help with orders, delivery, payments, refunds, "
        "your account and product recommendations.",
        "抱歉,这个问题超出了我的服务范围。我可以帮您处理订单、物流、支付、退款、账户和商品推荐相关的问题。",
    ),
    "invalid_rating": ("Please give a number from 1 to 5.", "请回复 1 到 5 之间的数字。"),
    # the question again, shorter, after the form was set aside for a question the customer asked in between
    "remind_order_id": (
        "Back to your request: which order number is it? (KL + 8 digits)",
        "我们接着刚才的办:请问是哪个订单号?(KL 加 8 位数字)",
    ),
    "remind_new_address": (
        "Back to the address: send it in full whenever you're ready.",
        "回到刚才的地址:方便时请发给我完整的收货地址。",
    ),
    "remind_email": ("Back to your account: which email is it registered with?", "接着刚才的:账户绑定的是哪个邮箱?"),
    "remind_link_code": ("When you have it, send me the 6-digit code.", "拿到后发给我 6 位验证码就好。"),
    "remind_rating": ("And your rating, from 1 to 5?", "接着打个分吧:1 到 5 分?"),
    "remind_order_proof": (
        "To carry on: the last 4 digits of the phone, or the email, on the order.",
        "我们继续验证:订单预留手机号后 4 位或下单邮箱。",
    ),
    "ask_order_proof": (
        "To protect your privacy, please confirm it's your order: the last 4 digits of the phone "
        "number or the email address on the order.",
        "为保护您的隐私,请验证订单信息:订单预留手机号的后 4 位,或下单邮箱。",
    ),
    "order_proof_wrong": (
        "That doesn't match the order. Please try again: the last 4 digits of the phone or the email on the order.",
        "与订单信息不符,请再试一次:订单预留手机号后 4 位或下单邮箱。",
    ),
    "order_proof_failed": (
        "I couldn't verify that order, so I can't show it here. A colleague can help you after "
        "checking your identity; or give me another order number.",
        "无法验证该订单,因此不能在这里显示。人工客服核实身份后可以为您处理;您也可以换一个订单号。",
    ),
    "order_proof_locked": (
        "For your security, this order can't be verified here for now: there were too many wrong "
        "answers. Please try again in {minutes} minutes, or a colleague can help you now.",
        "为保障您的账户安全,该订单验证错误次数过多,暂时无法在这里验证。请 {minutes} 分钟后再试,或由人工客服为您处理。",
    ),
    # --- queue operations (#16 item 3): the place in the queue, the wait, outside business hours ---
    "queue_next": ("You're next; ", "下一位就是您,"),
    "queue_ahead_one": ("1 customer ahead of you; ", "前面还有 1 位客户,"),
    "queue_ahead": ("{n} customers ahead of you; ", "前面还有 {n} 位客户,"),
    "queue_estimate_one": (
        "expected wait about 1 minute. Anything you write in the meantime will be in front of them.",
        "预计等待约 1 分钟。等待期间您发送的消息客服都能看到。",
    ),
    "queue_estimate": (
        "expected wait about {minutes} minutes. Anything you write in the meantime will be in front of them.",
        "预计等待约 {minutes} 分钟。等待期间您发送的消息客服都能看到。",
    ),
    "queue_nobody_online": (
        "no colleague is online at this moment, so I can't tell you an expected wait; the first one online "
        "will see your request. Anything you write in the meantime will be in front of them.",
        "目前暂无在线客服,无法预估等待时间;客服上线后会第一时间看到您的请求。等待期间您发送的消息客服都能看到。",
    ),
    "queue_closed_ticket": (
        "Our team is not at work right now; people are back {when} (shop time). I've opened ticket {ticket} "
        "for you: a colleague will pick it up then and reply to you within {promise}.",
        "现在是非工作时间,人工客服将于{when}(店铺时间)上班。已为您创建工单 {ticket},客服上班后会处理,"
        "并在{promise}内回复您。",
    ),
    # the customer already has an open ticket of this type (a complaint's hand-off: the complaint's ticket)
    "queue_closed_ticket_added": (
        "Our team is not at work right now; people are back {when} (shop time). I've added this to your ticket "
        "{ticket}: a colleague will pick it up then and reply to you within {promise}.",
        "现在是非工作时间,人工客服将于{when}(店铺时间)上班。已将您的请求补充到工单 {ticket},客服上班后会处理,"
        "并在{promise}内回复您。",
    ),
    "queue_closed_visitor": (
        "Our team is not at work right now; people are back {when} (shop time). Please write to us again "
        "then; if you sign in first, I can open a ticket for you right away.",
        "现在是非工作时间,人工客服将于{when}(店铺时间)上班,届时请再联系我们;登录后我可以立即为您创建工单。",
    ),
    # --- the messages a replies experiment may reword (crm.experiments.variants.REPLY_KEYS names the same) ---
    "rec_intro_personal": ("Picked for you:", "为您精选:"),
    "rec_intro_popular": ("Popular right now:", "当下热门:"),
    "retention_offer": (
        "As a thank-you for shopping with us, here's 10% off your next order: code COMEBACK10 (valid 14 days).",
        "感谢您一直以来的支持,送您一张下单 9 折券:优惠码 COMEBACK10(14 天内有效)。",
    ),
    "handoff_promise": (
        "I've passed our conversation to a colleague, who will reply right here.",
        "已为您转接人工客服,客服会直接在这里回复您。",
    ),
}
VARIABLE = ("rec_intro_personal", "rec_intro_popular", "retention_offer", "handoff_promise")
REPLIES = "replies"  # the experiments' surface of these wordings


@dataclass(frozen=True)
class Worded:
    """What message `key` says to this customer; `assignment` is set when an experiment rewords it."""

    key: str
    en: str
    zh: str
    assignment: Assignment | None = None


async def worded(tracker: Tracker, key: str, customer_id: int | None) -> Worded:
    """Message `key` in the words of the customer's arm (the default words outside an experiment, for a
    message no arm rewords, and for the control)."""
    en, zh = MESSAGES[key]
    assignment = await arm(tracker, REPLIES, customer_id) if key in VARIABLE else None
    if assignment is None or key not in assignment.varied:
        return Worded(key, en, zh)
    variant = assignment.wording(key) or {"en": en, "zh": zh}
    return Worded(key, variant["en"], variant["zh"], assignment)


async def seen(tracker: Tracker, message: Worded) -> None:
    """The customer saw `message`: their exposure to its experiment (once per customer or conversation)."""
    await exposed(tracker, message.assignment)


async def tell_worded(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    key: str,
    *,
    customer_id: int | None,
    buttons: list[dict[str, str]] | None = None,
) -> None:
    """Says a message that may vary, in the customer's arm's words, and records that they saw it."""
    message = await worded(tracker, key, customer_id)
    dispatcher.utter_message(text=say(tracker, message.en, message.zh), buttons=buttons or [])
    await seen(tracker, message)


def tell(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    key: str,
    buttons: list[dict[str, str]] | None = None,
    **values: Any,
) -> None:
    """Say message `key` in the customer's language, its `{placeholders}` filled from `values`."""
    en, zh = MESSAGES[key]
    dispatcher.utter_message(text=say(tracker, en, zh).format(**values), buttons=buttons or [])

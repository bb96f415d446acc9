"""Every message the assistant says while it fills a form (questions, reminders, what is wrong with an
answer), in both languages, and `tell`, which says one. A module of its own so that any action can
speak these words without importing the actions that ask (actions/questions.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

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
}


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

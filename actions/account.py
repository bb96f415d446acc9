"""Account flows that touch the customer's record: password recovery, deletion (privacy erasure request),
and the personalisation switch."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from crm.privacy import audit, stop_personalization
from crm.repository import TicketView, find_customer_by_email, open_ticket
from actions.base import DataAction, Reply
from actions.identity import crm_channel, identified_customer
from actions.knowledge import fact
from actions.runtime import in_crm

NEED_SIGN_IN = (
    "I need to know who you are first: please sign in on the shop's website and write to me from there, "
    "or ask about one of your orders so I can verify you.",
    "需要先确认您的身份:请在商城登录后从那里联系我,或先查询一个您的订单完成验证。",
)


class ActionPasswordReset(DataAction):
    """Never says whether an email is registered: the answer is the same either way."""

    def name(self) -> str:
        return "action_password_reset"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        email = tracker.get_slot("email") or ""

        def request(session: Session) -> None:
            owner = find_customer_by_email(session, email)
            if owner is not None and not owner.erased:
                audit(
                    session,
                    actor="bot",
                    action="password_reset_link",
                    customer_id=owner.id,
                    channel=crm_channel(tracker),
                )

        await in_crm(request)
        reply.say(
            f"If an account is registered with {email}, a password reset link is on its way there now (valid for "
            f"{fact('password_link_valid', 'en')}; check the spam folder too). Nothing arrived? You can also "
            "reset it by SMS on the login page.",
            f"如果 {email} 注册过账户,重置密码的链接已经发送到该邮箱"
            f"({fact('password_link_valid', 'zh')}内有效,也请查看垃圾邮件)。"
            "没收到的话,也可以在登录页用手机短信验证码重置。",
        )
        return [SlotSet("email", None)]


class ActionDeleteAccount(DataAction):
    """Starts the erasure request that staff carry out (`python -m crm erase`), after the customer confirmed."""

    def name(self) -> str:
        return "action_delete_account"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        def request(session: Session) -> TicketView | None:
            customer = identified_customer(session, tracker)
            if customer is None:
                return None
            ticket = open_ticket(
                session,
                customer.id,
                category="account",
                priority="high",
                subject="Account deletion (privacy erasure) requested in chat",
                channel=crm_channel(tracker),
            )
            audit(session, actor="bot", action="erasure_requested", customer_id=customer.id, ticket=ticket.number)
            return ticket

        ticket = await in_crm(request)
        if ticket is None:
            reply.say(*NEED_SIGN_IN, buttons=[reply.human()])
            return []
        reply.say(
            f"Your deletion request {ticket.number} is registered. Your personal data will be erased within "
            f"{fact('erasure_time', 'en')} and we'll confirm by SMS; order records are kept without your name, "
            "as the law requires. "
            "You can withdraw the request until then by replying to the confirmation.",
            f"已登记您的注销申请 {ticket.number}。我们会在 {fact('erasure_time', 'zh')}内删除您的个人信息并短信通知您;"
            "订单记录会按法律要求以匿名方式保留。在此之前回复确认短信即可撤回申请。",
        )
        return []


class ActionStopPersonalization(DataAction):
    def name(self) -> str:
        return "action_stop_personalization"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        def stop(session: Session) -> bool | None:
            customer = identified_customer(session, tracker)
            if customer is None:
                return None
            stop_personalization(session, customer.id, source=f"chat-{crm_channel(tracker)}")
            return True

        done = await in_crm(stop)
        if done is None:
            reply.say(
                "As a guest, your recommendations only use what you look at in this chat, and nothing is kept "
                "after it. Signed-in customers can switch personalisation off here too.",
                "您当前未登录,推荐只参考本次对话中浏览的商品,对话结束后不会保留。登录后也可以在这里关闭个性化推荐。",
            )
        else:
            reply.say(
                "Done: I've switched off personalised recommendations. From now on you'll see popular products "
                "instead of ones based on your history. You can switch it back on in Settings → Privacy.",
                "已为您关闭个性化推荐。之后为您展示热门商品,不再参考您的浏览和购买记录。"
                "如需重新开启,可在“设置 → 隐私”中打开。",
            )
        return []

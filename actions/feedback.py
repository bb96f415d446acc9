"""Complaints (tickets with a priority), reviews (ratings) and the newsletter (marketing consent)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from crm.models import Language as CrmLanguage
from crm.models import TicketCategory, TicketPriority
from crm.repository import (
    CustomerView,
    add_review,
    customer_for_sender,
    get_order,
    last_orders,
    open_conversation,
    subscribe_newsletter,
)
from crm.repository.support import FiledTicket, file_ticket
from crm.outreach.consent import opt_out
from kelian.opt_out import marked
from actions.account import NEED_SIGN_IN
from actions.base import DataAction, Reply
from actions.identity import crm_channel, identified_customer
from actions.payments import latest_intent_text
from actions.queue import ticket_promise
from actions.runtime import in_crm

PRIORITIES = ("low", "normal", "high", "urgent")
_ESCALATION = re.compile(
    r"lawyer|legal action|court|sue\b|consumer (association|protection)|media|12315|律师|起诉|法院|"
    r"曝光|媒体|消协|报警|工商",
    re.IGNORECASE,
)
_ANGER = re.compile(
    r"terrible|worst|awful|disgusting|ridiculous|unacceptable|scam|fraud|never again|furious|angry|"
    r"useless|rubbish|垃圾|骗子|太差|气死|差劲|恶心|无语|离谱|坑人|忍无可忍|再也不|什么破|凭什么",
    re.IGNORECASE,
)
_UNSUBSCRIBE = re.compile(
    r"unsubscribe|opt.?out|stop (sending|emailing)|no more (emails|newsletters)|remove me|"
    r"退订|取消订阅|不要再发|别再发|不想收到",
    re.IGNORECASE,
)


def complaint_priority(text: str, customer: CustomerView | None) -> str:
    """Tone sets the level — threats of escalation are urgent, anger is high — and a high-value or
    at-risk customer is raised one level, because losing them costs the most."""
    shouting = len(re.findall(r"\b[A-Z]{4,}\b", text)) >= 2 or "!!" in text or "!!" in text
    if _ESCALATION.search(text):
        level = 3
    elif _ANGER.search(text) or shouting:
        level = 2
    else:
        level = 1
    if customer is not None and customer.segment is not None and customer.segment.value in ("high_value", "at_risk"):
        level += 1
    return PRIORITIES[min(level, 3)]


class ActionOpenComplaint(DataAction):
    """Opens a ticket (a first-contact visitor becomes a prospect so the ticket has an owner) and offers
    a person. One complaint is one ticket (`file_ticket`): while the customer has an open complaint ticket,
    in this session or a later one, more about it is added to that ticket and answered with its number and
    its promise; only a complaint about another order than the ticket's opens another."""

    def name(self) -> str:
        return "action_open_complaint"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        _, text = latest_intent_text(tracker, ("complaint",))
        text = text or tracker.latest_message.get("text") or ""
        order_id = tracker.get_slot("order_id")

        def ticket(session: Session) -> FiledTicket:
            customer = identified_customer(session, tracker) or customer_for_sender(
                session, crm_channel(tracker), tracker.sender_id, language=reply.language
            )
            owns_order = bool(order_id) and any(
                o.number == order_id for o in last_orders(session, customer.id, limit=50)
            )
            # The conversation and its sender: the console tells the customer there when the ticket closes.
            conversation = open_conversation(
                session, crm_channel(tracker), tracker.sender_id, customer_id=customer.id, language=reply.language
            )
            return file_ticket(
                session,
                customer.id,
                category=TicketCategory.COMPLAINT,
                subject=text[:500] or "complaint in chat",
                priority=complaint_priority(text, customer),
                channel=crm_channel(tracker),
                order_number=order_id if owns_order else None,
                conversation_id=conversation,
                sender_id=tracker.sender_id,
                language=reply.language,
                promise=ticket_promise,
            )

        filed = await in_crm(ticket)
        found = filed.ticket
        urgent = found.priority in (TicketPriority.HIGH, TicketPriority.URGENT)
        within_en = ticket_promise(found.category, found.priority, CrmLanguage.EN)
        within_zh = ticket_promise(found.category, found.priority, CrmLanguage.ZH)
        buttons = [
            reply.button("Yes, a person please", "好的,转人工", "/contact_human_agent"),
            reply.button("No, that's fine", "不用了", "/deny"),
        ]
        if filed.added:
            reply.say(
                f"I've noted this with your complaint {found.number}; our team answers within {within_en}. "
                "Would you like to talk to a colleague now?",
                f"已将这些情况补充到您的投诉 {found.number},我们会在{within_zh}内回复。需要现在为您转接人工客服吗?",
                buttons=buttons,
            )
            return []
        reply.say(
            ("I'm really sorry about this. " if urgent else "I'm sorry to hear that. ")
            + f"I've opened complaint {found.number}"
            + (" with high priority" if urgent else "")
            + f"; our team answers within {within_en}. "
            "Would you like to talk to a colleague now?",
            ("非常抱歉给您带来这么不好的体验。" if urgent else "很抱歉给您带来不便。")
            + f"已为您登记投诉 {found.number}"
            + (",已标记为优先处理" if urgent else "")
            + f",我们会在{within_zh}内回复。需要现在为您转接人工客服吗?",
            buttons=buttons,
        )
        return []


class ActionRecordReview(DataAction):
    """The rating goes to the product of the customer's latest delivered order (with the order)."""

    def name(self) -> str:
        return "action_record_review"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        rating = int(float(tracker.get_slot("rating") or 0))
        _, body = latest_intent_text(tracker, ("review",))

        def record(session: Session) -> str | None:
            customer = identified_customer(session, tracker)
            if customer is None:
                return None
            delivered = [o for o in last_orders(session, customer.id, limit=20) if o.status.value == "delivered"]
            if not delivered:
                return ""
            order = get_order(session, delivered[0].number, customer_id=customer.id)
            item = order.items[0]
            add_review(
                session,
                customer.id,
                item.product_id,
                rating,
                body=body or None,
                language=reply.language,
                order_number=order.number,
            )
            return item.name_zh if reply.zh else item.name_en

        product = await in_crm(record)
        stars = "⭐" * rating
        if product:
            reply.say(f"Thank you! I've recorded {stars} for {product}.", f"谢谢您的评价!已为 {product} 记录 {stars}。")
        elif rating <= 2:
            reply.say(
                f"Thank you for the {stars} rating — I'm sorry we let you down. Would you like to tell a colleague "
                "what went wrong?",
                f"感谢您的 {stars} 评分,很抱歉没能让您满意。需要人工客服了解一下情况吗?",
                buttons=[reply.human()],
            )
        else:
            reply.say(
                f"Thank you for the {stars} rating! Reviews of a product can also be left on its page after delivery.",
                f"感谢您的 {stars} 评分!签收后也可以在商品页面发表商品评价哦。",
            )
        return [SlotSet("rating", None)]


class ActionNewsletter(DataAction):
    """Subscribing or unsubscribing, recorded as a marketing-consent decision."""

    def name(self) -> str:
        return "action_newsletter"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        # The channel flags a whole-message 退订 / STOP (or the outreach's button) before any NLU.
        leaving = marked(tracker.latest_message.get("metadata")) or bool(_UNSUBSCRIBE.search(text))
        channel = "wechat" if crm_channel(tracker) == "wechat" else "email"

        def change(session: Session) -> bool | int | None:
            customer = identified_customer(session, tracker)
            if customer is None:
                return None
            if leaving:  # marketing consent withdrawn: newsletters end, no outreach reaches them again
                return opt_out(session, customer.id, source=f"chat-{crm_channel(tracker)}")
            subscribe_newsletter(session, customer.id, "deals", channel=channel)
            return -1

        changed = await in_crm(change)
        if changed is None:
            reply.say(*NEED_SIGN_IN)
        elif leaving:
            reply.say(
                "Done: you're unsubscribed from all our newsletters and won't get marketing messages any more.",
                "已为您退订所有资讯,之后不会再收到营销信息。",
            )
        else:
            via = reply.pick("WeChat" if channel == "wechat" else "email", "微信" if channel == "wechat" else "邮件")
            reply.say(
                f"You're subscribed: deals and new arrivals will come by {via}, about once a week. "
                'Say "unsubscribe" any time to stop.',
                f"订阅成功!优惠和新品资讯会通过{via}发送给您,大约每周一次。随时回复“退订”即可取消。",
            )
        return []

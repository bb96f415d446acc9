"""One customer across channels: "link my account" gives a one-time code where the customer is signed in
and takes it on another signed channel (the form `link_account_form` asks for it, see actions.forms).

Codes go only to a conversation whose identity the shop or WeChat signed (`signed_customer`; the channels
make every other id anonymous: `guest-…`, `rest-…`): an order proven in this conversation, or an id a
client chose, shows who may see an order, not who may add a channel to the account. When a link is made, every
conversation of the customer hears about it on its
next turn (`link_notices`, called by the slot validation of every message), with a way to a person who
can undo it (`crm.repository.remove_link`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from bot.channels.web_auth import is_anonymous
from crm.repository import CODE_LIFETIME, LINKABLE_CHANNELS, LinkCodeIssued, LinkView, issue_link_code, links_since
from actions.base import DataAction, Reply
from actions.identity import crm_channel, signed_customer
from actions.runtime import in_crm

LINKED, LOCKED = "linked", "locked"
NOTICE_SLOT = "link_notice"  # when this conversation last heard about a link (ISO time)
NOTICE_WINDOW = timedelta(days=1)  # a conversation that never heard of links hears about this day's
OTHER_CHANNEL = {
    "wechat": ("the shop's website", "商城网站"),
    "web": ("our WeChat official account", "微信公众号"),
    "rest": ("our WeChat official account", "微信公众号"),
}
PLACES = {
    "wechat": ("a WeChat account", "一个微信账号"),
    "web": ("a sign-in on the shop's website", "商城网站账号"),
    "rest": ("a sign-in in the shop's app", "商城 App 账号"),
}


def signed_channel(tracker: Tracker) -> bool:
    """Whether the conversation's id is one the shop or WeChat signed, on a channel that links."""
    return crm_channel(tracker) in {c.value for c in LINKABLE_CHANNELS} and not is_anonymous(tracker.sender_id)


def link_notices(session: Session, tracker: Tracker) -> list[LinkView]:
    """Links of this conversation's signed customer that it has not been told about, newest first."""
    customer = signed_customer(session, tracker) if signed_channel(tracker) else None
    if customer is None:
        return []
    seen = tracker.get_slot(NOTICE_SLOT)
    try:
        since = datetime.fromisoformat(seen) if isinstance(seen, str) else None
    except ValueError:
        since = None
    since = since or datetime.now(timezone.utc) - NOTICE_WINDOW
    return links_since(session, customer.id, since)


def tell_links(reply: Reply, links: list[LinkView]) -> None:
    for link in links:
        en, zh = PLACES.get(link.channel.value, PLACES["web"])
        reply.say(
            f"For your security: {en} ({link.masked_id}) was linked to your shop account on "
            f"{link.linked_at:%Y-%m-%d %H:%M} UTC. If that wasn't you, tell us now and a colleague will undo it.",
            f"安全提醒:您的商城账户已于 {link.linked_at:%Y-%m-%d %H:%M}(UTC)绑定了{zh}({link.masked_id})。"
            "如果不是您本人操作,请立即告诉我们,人工客服会为您解除绑定。",
            buttons=[reply.human()],
        )


class ActionLinkAccount(DataAction):
    def name(self) -> str:
        return "action_link_account"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        outcome = tracker.get_slot("link_code")
        if outcome == LINKED:
            reply.say(
                "Done: this chat is now linked to your shop account. Your orders, refunds and recommendations "
                "are available here too.",
                "绑定成功!此后在这里也可以查询您的订单、退款,推荐也会参考您的记录。",
            )
            return [SlotSet("link_code", None), SlotSet(NOTICE_SLOT, datetime.now(timezone.utc).isoformat())]
        if outcome == LOCKED:
            reply.say(
                f"That was one code too many. Please wait {CODE_LIFETIME.seconds // 60} minutes, ask for a new "
                "code and try again.",
                f"尝试次数过多,请 {CODE_LIFETIME.seconds // 60} 分钟后重新获取验证码再试。",
                buttons=[reply.human()],
            )
            return [SlotSet("link_code", None)]
        channel = crm_channel(tracker)

        def issue(session: Session) -> LinkCodeIssued | None:
            customer = signed_customer(session, tracker) if signed_channel(tracker) else None
            return None if customer is None else issue_link_code(session, customer.id, channel=channel)

        issued = await in_crm(issue)
        if issued is None:
            reply.say(
                "To link your accounts, sign in on the shop's website (or write to our WeChat official account) "
                'and say "link my account" there: I can only give a code to a signed-in account.',
                "绑定账号需要先登录:请在商城网站登录(或在微信公众号中)回复“绑定账号”,验证码只发给已登录的账户。",
            )
            return [SlotSet("link_code", None)]
        en_place, zh_place = OTHER_CHANNEL.get(channel, OTHER_CHANNEL["web"])
        minutes = CODE_LIFETIME.seconds // 60
        reply.say(
            f"Your linking code is {issued.code} (valid for {minutes} minutes; don't share it). On {en_place}, "
            f'say "link my account" and send this code.',
            f"您的绑定验证码是 {issued.code}({minutes} 分钟内有效,请勿告诉他人)。请在{zh_place}回复“绑定账号”,"
            "然后发送这个验证码。",
        )
        return [SlotSet("link_code", None)]

"""One customer across channels: "link my account" gives a one-time code where the customer is known and
takes it where they are not (the form `link_account_form` asks for it, see actions.forms)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict

from crm.repository import CODE_LIFETIME, find_customer, issue_link_code
from actions.base import DataAction, Reply
from actions.identity import crm_channel
from actions.runtime import in_crm

LINKED, LOCKED = "linked", "locked"
OTHER_CHANNEL = {"wechat": ("the shop's website", "商城网站"), "web": ("our WeChat official account", "微信公众号"),
                 "rest": ("our WeChat official account", "微信公众号")}


class ActionLinkAccount(DataAction):
    def name(self) -> str:
        return "action_link_account"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        outcome = tracker.get_slot("link_code")
        if outcome == LINKED:
            reply.say("Done: this chat is now linked to your shop account. Your orders, refunds and recommendations "
                      "are available here too.", "绑定成功!此后在这里也可以查询您的订单、退款,推荐也会参考您的记录。")
            return [SlotSet("link_code", None)]
        if outcome == LOCKED:
            reply.say(f"That was one code too many. Please wait {CODE_LIFETIME.seconds // 60} minutes, ask for a new "
                      "code and try again.", f"尝试次数过多,请 {CODE_LIFETIME.seconds // 60} 分钟后重新获取验证码再试。",
                      buttons=[reply.human()])
            return [SlotSet("link_code", None)]
        channel = crm_channel(tracker)

        def issue(session):  # noqa: ANN001, ANN202 - a CRM session
            customer = find_customer(session, channel, tracker.sender_id)
            return None if customer is None or customer.erased else issue_link_code(session, customer.id, channel=channel)

        issued = await in_crm(issue)
        if issued is None:
            return [SlotSet("link_code", None)]
        en_place, zh_place = OTHER_CHANNEL.get(channel, OTHER_CHANNEL["web"])
        minutes = CODE_LIFETIME.seconds // 60
        reply.say(f"Your linking code is {issued.code} (valid for {minutes} minutes; don't share it). On {en_place}, "
                  f"say \"link my account\" and send this code.",
                  f"您的绑定验证码是 {issued.code}({minutes} 分钟内有效,请勿告诉他人)。请在{zh_place}回复“绑定账号”,"
                  "然后发送这个验证码。")
        return [SlotSet("link_code", None)]

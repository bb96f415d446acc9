"""Delivery for the customer's own region, and their shipping address."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict

from crm.errors import InvalidInput
from crm.repository import DeliveryOptionView, default_address_region, delivery_options, save_address
from actions.base import DataAction, Reply
from actions.identity import identified_customer
from actions.knowledge import policy
from actions.render import money
from actions.runtime import in_crm


def option_line(option: DeliveryOptionView, reply: Reply) -> str:
    lang = reply.language
    days = (reply.pick("same day", "当日送达") if option.max_days == 0
            else reply.pick(f"{option.min_days}–{option.max_days} days", f"{option.min_days}–{option.max_days} 天"))
    fee = money(option.fee, lang) if option.fee > 0 else reply.pick("free", "免费")
    if option.free_over is not None and option.fee > 0:
        fee += reply.pick(f", free over {money(option.free_over, lang)}", f",满 {money(option.free_over, lang)} 包邮")
    name = option.name_zh if reply.zh else option.name_en
    return f"• {name} ({option.carrier}): {days}, {fee}" if not reply.zh else f"• {name}({option.carrier}):{days},{fee}"


class RegionalDelivery(DataAction):
    """Known customers get the options of the region of their default address; others the general policy."""

    topic: str

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        def options(session):  # noqa: ANN001, ANN202 - a CRM session
            customer = identified_customer(session, tracker)
            region = None if customer is None else default_address_region(session, customer.id)
            return [] if region is None else delivery_options(session, region)

        found = await in_crm(options)
        if not found:
            reply.say(policy(self.topic, "en"), policy(self.topic, "zh"))
            return []
        region = found[0].region_zh if reply.zh else found[0].region_en
        lines = [reply.pick(f"Delivery to your address in {region}:", f"配送到您在{region}的地址:")]
        lines += [option_line(o, reply) for o in found]
        lines.append(reply.pick("Orders leave the warehouse within 24 hours on working days.",
                                "工作日下单后 24 小时内出库。"))
        reply.dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionDeliveryOptions(RegionalDelivery):
    topic = "delivery_options"

    def name(self) -> str:
        return "action_delivery_options"


class ActionDeliveryPeriod(RegionalDelivery):
    topic = "delivery_period"

    def name(self) -> str:
        return "action_delivery_period"


class ActionSaveAddress(DataAction):
    """Writes the confirmed address to the customer's account as their default."""

    def name(self) -> str:
        return "action_save_address"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        text = tracker.get_slot("new_address") or ""

        def save(session):  # noqa: ANN001, ANN202 - a CRM session
            customer = identified_customer(session, tracker)
            if customer is None:
                return None
            try:
                return save_address(session, customer.id, text)
            except InvalidInput as refused:
                return refused

        result = await in_crm(save)
        if result is None:
            reply.say("I can only save an address to your account once I know who you are: sign in on the shop's "
                      "website, or ask about one of your orders so I can verify you.",
                      "需要先确认您的身份才能保存地址:请在商城登录后再来,或先查询一个您的订单完成验证。",
                      buttons=[reply.human()])
        elif isinstance(result, InvalidInput):
            reply.say(f"I couldn't save that address: {result}", f"地址未能保存:{result}",
                      buttons=[reply.button("Try again", "重新填写", "/change_shipping_address")])
        else:
            reply.say(f"Saved. Your default shipping address is now: {result.street} (recipient {result.recipient}). "
                      "Orders that have not shipped yet can be switched to it on the order page.",
                      f"已保存。您的默认收货地址已更新为:{result.street}(收件人 {result.recipient})。"
                      "未发货的订单可以在订单页面改用新地址。")
        return [SlotSet("new_address", None)]

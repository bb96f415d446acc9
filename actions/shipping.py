"""Delivery for the customer's own region, and their shipping address."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from crm.errors import InvalidInput
from crm.repository import (
    AddressView,
    DeliveryOptionView,
    default_address_region,
    delivery_options,
    every_delivery_option,
    save_address,
)
from actions.base import DataAction, Reply
from actions.identity import identified_customer
from actions.knowledge import DeliveryFact, delivery_facts, needs_delivery, policy, render
from actions.runtime import in_crm


async def shop_delivery() -> dict[str, DeliveryFact]:
    """The CRM's delivery options as the facts a text names (`standard_fee`, `remote_express_days`…)."""
    return delivery_facts(await in_crm(every_delivery_option))


async def with_facts(reply: Reply, en: str, zh: str) -> str:
    """The text for the customer's language with its facts filled in (the CRM asked only when it
    names a delivery figure)."""
    template = reply.pick(en, zh)
    return render(template, reply.language, await shop_delivery() if needs_delivery(template) else None)


def option_line(fact: DeliveryFact, reply: Reply) -> str:
    said = fact.values(reply.language)
    name, carrier, days, fee = (said[f"{fact.key}_{field}"] for field in ("name", "carrier", "days", "fee"))
    if f"{fact.key}_free_over" in said and fact.fees[1] > 0:
        free_over = said[f"{fact.key}_free_over"]
        fee += reply.pick(f", free over {free_over}", f",满 {free_over}包邮")
    return f"• {name}({carrier}):{days},{fee}" if reply.zh else f"• {name} ({carrier}): {days}, {fee}"


class RegionalDelivery(DataAction):
    """Known customers get the options of the region of their default address; others the general
    policy, its figures summarised over every region of the CRM."""

    topic: str

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        def options(session: Session) -> list[DeliveryOptionView]:
            customer = identified_customer(session, tracker)
            region = None if customer is None else default_address_region(session, customer.id)
            return [] if region is None else delivery_options(session, region)

        found = await in_crm(options)
        if not found:
            reply.dispatcher.utter_message(text=policy(self.topic, reply.language, await shop_delivery()))
            return []
        region = found[0].region_zh if reply.zh else found[0].region_en
        lines = [reply.pick(f"Delivery to your address in {region}:", f"配送到您在{region}的地址:")]
        lines += [option_line(delivery_facts([o])[o.code], reply) for o in found]
        lines.append(
            render(
                reply.pick(
                    "Orders leave the warehouse within {dispatch_time} on working days.",
                    "工作日下单后 {dispatch_time}内出库。",
                ),
                reply.language,
            )
        )
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

        def save(session: Session) -> AddressView | InvalidInput | None:
            customer = identified_customer(session, tracker)
            if customer is None:
                return None
            try:
                return save_address(session, customer.id, text)
            except InvalidInput as refused:
                return refused

        result = await in_crm(save)
        if result is None:
            reply.say(
                "I can only save an address to your account once I know who you are: sign in on the shop's "
                "website, or ask about one of your orders so I can verify you.",
                "需要先确认您的身份才能保存地址:请在商城登录后再来,或先查询一个您的订单完成验证。",
                buttons=[reply.human()],
            )
        elif isinstance(result, InvalidInput):
            reply.say(
                f"I couldn't save that address: {result}",
                f"地址未能保存:{result}",
                buttons=[reply.button("Try again", "重新填写", "/change_shipping_address")],
            )
        else:
            reply.say(
                f"Saved. Your default shipping address is now: {result.street} (recipient {result.recipient}). "
                "Orders that have not shipped yet can be switched to it on the order page.",
                f"已保存。您的默认收货地址已更新为:{result.street}(收件人 {result.recipient})。"
                "未发货的订单可以在订单页面改用新地址。",
            )
        return [SlotSet("new_address", None)]

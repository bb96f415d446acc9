"""Orders: tracking, cancelling (quote, confirmation, write), changing, placing, cancellation fees."""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import Any
from urllib.parse import quote

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from crm.errors import NotAllowed
from crm.repository import (
    CancellationQuote,
    OrderSummary,
    OrderView,
    cancel_order,
    cancellation_quote,
    cancellation_rules,
    get_order,
    last_orders,
)
from actions.base import DataAction, Reply
from actions.identity import identified_customer, visible_order
from actions.knowledge import days_of, fact, policy
from actions.render import ORDER_STATUS, label, money, when
from actions.runtime import in_crm
from actions.shopping import product_for

SHOP_URL = os.environ.get("KELIAN_SHOP_URL", "https://shop.kelian.example").rstrip("/")


def not_found(reply: Reply, number: str | None) -> None:
    """The same words whether the order does not exist or is someone else's."""
    reply.say(
        f"I can't find order {number} in your account. Could you check the number? It's on your order confirmation.",
        f"在您的账户里没有找到订单 {number},请核对一下订单号(在下单确认信息里可以看到)。",
        buttons=[reply.human()],
    )


class OrderAction(DataAction):
    """An answer about one order of the customer's (the `order_id` slot); anyone else's is not found."""

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_id")
        order = await in_crm(lambda s: visible_order(s, tracker, number))
        if order is None:
            not_found(reply, number)
            return []
        return self.about(order, reply)

    @abstractmethod
    def about(self, order: OrderView, reply: Reply) -> list[dict[str, Any]]: ...


def visible_quote(session: Session, tracker: Tracker, number: str) -> CancellationQuote | None:
    order = visible_order(session, tracker, number)
    return None if order is None else cancellation_quote(session, number, customer_id=order.customer_id)


def items_line(order: OrderView, reply: Reply) -> str:
    names = [f"{item.name_zh if reply.zh else item.name_en} × {item.quantity}" for item in order.items]
    return ("、" if reply.zh else ", ").join(names)


def tracking_text(order: OrderView, reply: Reply) -> str:
    lang = reply.language
    status = label(ORDER_STATUS, order.status, lang)
    lines = [
        reply.pick(
            f"Order {order.number} ({items_line(order, reply)}) is {status}.",
            f"订单 {order.number}({items_line(order, reply)})状态:{status}。",
        )
    ]
    for shipment in order.shipments:
        if shipment.events:
            latest = shipment.events[-1]
            where = latest.location_zh if reply.zh else latest.location_en
            what = latest.description_zh if reply.zh else latest.description_en
            lines.append(
                reply.pick(
                    f"Latest update ({when(latest.occurred_at, lang)}, {where}): {what}",
                    f"最新物流({when(latest.occurred_at, lang)},{where}):{what}",
                )
            )
        lines.append(
            reply.pick(
                f"Carrier {shipment.carrier}, tracking number {shipment.tracking_number}.",
                f"承运商 {shipment.carrier},运单号 {shipment.tracking_number}。",
            )
        )
        if shipment.delivered_at is not None:
            lines.append(
                reply.pick(
                    f"Delivered on {when(shipment.delivered_at, lang)}.",
                    f"已于 {when(shipment.delivered_at, lang)} 签收。",
                )
            )
        elif shipment.estimated_delivery is not None:
            lines.append(
                reply.pick(
                    f"Expected delivery: {when(shipment.estimated_delivery, lang)}.",
                    f"预计送达:{when(shipment.estimated_delivery, lang)}。",
                )
            )
    if not order.shipments and order.status.value in ("placed", "paid") and order.delivery is not None:
        d = order.delivery
        lines.append(
            reply.pick(
                f"It will ship by {d.name_en} ({d.carrier}), {days_of(d.min_days, d.max_days, 'en')} after dispatch.",
                f"将通过{d.name_zh}({d.carrier})配送,发货后 {days_of(d.min_days, d.max_days, 'zh')}送达。",
            )
        )
    return "\n".join(lines)


class ActionTrackOrder(OrderAction):
    def name(self) -> str:
        return "action_track_order"

    def about(self, order: OrderView, reply: Reply) -> list[dict[str, Any]]:
        buttons = []
        if order.status.value in ("placed", "paid", "shipped"):
            buttons.append(reply.button("Cancel this order", "取消这个订单", "/cancel_order"))
        if order.status.value == "delivered":
            buttons.append(reply.button("Return / refund", "申请退货退款", "/get_refund"))
        reply.dispatcher.utter_message(text=tracking_text(order, reply), buttons=buttons)
        return []


def quote_text(quote: CancellationQuote, reply: Reply) -> str:
    lang = reply.language
    status = label(ORDER_STATUS, quote.status, lang)
    if quote.fee > 0:
        cost = reply.pick(
            f"Cancelling it now costs {money(quote.fee, lang)} ({quote.rule_en})",
            f"现在取消需收取 {money(quote.fee, lang)}({quote.rule_zh})",
        )
    else:
        cost = reply.pick("Cancelling it now is free of charge.", "现在取消不收取任何费用。")
    refund = ""
    if quote.refund_amount > 0:
        refund = reply.pick(
            f" You would get {money(quote.refund_amount, lang)} back to your original payment method.",
            f"将有 {money(quote.refund_amount, lang)} 原路退回。",
        )
    return reply.pick(
        f"Order {quote.order_number} is {status}. {cost}{refund}", f"订单 {quote.order_number} {status}。{cost}{refund}"
    )


class ActionConfirmCancel(DataAction):
    """The quote under the shop's cancellation-fee rule, then the question; nothing is written yet."""

    def name(self) -> str:
        return "action_confirm_cancel"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_id")
        found = await in_crm(lambda s: visible_quote(s, tracker, number))
        if found is None:
            not_found(reply, number)
            return [SlotSet("order_id", None)]
        if not found.cancellable:
            reply.say(
                f"Order {number} can't be cancelled any more: {found.rule_en}",
                f"订单 {number} 已无法取消:{found.rule_zh}",
                buttons=[reply.button("Return / refund", "申请退货退款", "/get_refund"), reply.human()],
            )
            return [SlotSet("order_id", None)]
        reply.say(
            quote_text(found, reply) + " Do you want to cancel it?",
            quote_text(found, reply) + "确定要取消吗?",
            buttons=[
                reply.button("Yes, cancel it", "确定取消", "/affirm"),
                reply.button("No, keep it", "不取消了", "/deny"),
            ],
        )
        return []


class ActionCancelOrder(DataAction):
    """Runs only after the customer said yes to the quote; the rule is checked again as it is written."""

    def name(self) -> str:
        return "action_cancel_order"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_id")
        if not number:
            reply.say("Which order should I cancel?", "请问要取消哪个订单?")
            return []

        def cancel(session: Session) -> tuple[CancellationQuote, str | None] | NotAllowed | None:
            order = visible_order(session, tracker, number)
            if order is None:
                return None
            try:
                done = cancel_order(
                    session, number, customer_id=order.customer_id, reason="cancelled by the customer in chat"
                )
            except NotAllowed as refused:
                return refused
            refunds = get_order(session, number, customer_id=order.customer_id).refunds
            return done, (refunds[-1].number if done.refund_amount > 0 and refunds else None)

        result = await in_crm(cancel)
        if result is None:
            not_found(reply, number)
        elif isinstance(result, NotAllowed):
            reply.say(
                f"Order {number} can't be cancelled any more ({result}).",
                f"订单 {number} 已无法取消。",
                buttons=[reply.human()],
            )
        else:
            quote, refund_number = result
            lang = reply.language
            text = reply.pick(f"Done: order {number} is cancelled.", f"已为您取消订单 {number}。")
            if quote.fee > 0:
                text += reply.pick(
                    f" A fee of {money(quote.fee, lang)} applies.", f"收取费用 {money(quote.fee, lang)}。"
                )
            if refund_number:
                text += reply.pick(
                    f" Refund {refund_number} of {money(quote.refund_amount, lang)} goes back to your "
                    f"original payment method within {fact('refund_time', 'en')}.",
                    f"退款单 {refund_number}:{money(quote.refund_amount, lang)} 将在 "
                    f"{fact('refund_time', 'zh')}内原路退回。",
                )
            reply.say(text, text)
        return [SlotSet("order_id", None)]


class ActionChangeOrder(OrderAction):
    """What can still change depends on where the order is; the customer gets the ways that work now."""

    def name(self) -> str:
        return "action_change_order"

    def about(self, order: OrderView, reply: Reply) -> list[dict[str, Any]]:
        number = order.number
        status = order.status.value
        state = label(ORDER_STATUS, status, reply.language)
        if status in ("placed", "paid"):
            reply.say(
                f"Order {number} is {state}, so it can still change: I can update its delivery address now. "
                "To change items, sizes or colours, cancel it and order again — "
                + (
                    "cancelling is free while it is unpaid."
                    if status == "placed"
                    else "I'll tell you the exact fee, if any, before you confirm."
                ),
                f"订单 {number} {state},还可以修改:收货地址我现在就能帮您改;如需更换商品、尺码或颜色,"
                "请取消后重新下单"
                + ("(未付款订单可免费取消)。" if status == "placed" else "(如有取消费用,确认前会告知准确金额)。"),
                buttons=[
                    reply.button("Change the address", "修改收货地址", "/change_shipping_address"),
                    reply.button("Cancel and reorder", "取消后重新下单", "/cancel_order"),
                    reply.human(),
                ],
            )
        elif status == "shipped":
            reply.say(
                f"Order {number} has already shipped, so it can't be changed. You can refuse it at delivery, "
                "have it intercepted (cancellation fee applies), or return it after it arrives.",
                f"订单 {number} 已发货,无法再修改。您可以拒收、申请拦截取消(收取取消费用),或签收后申请退货。",
                buttons=[reply.button("Cancel it", "拦截取消", "/cancel_order"), reply.human()],
            )
        else:
            reply.say(
                f"Order {number} is {state}; it can no longer be changed.",
                f"订单 {number} {state},无法再修改。",
                buttons=[reply.button("Return / refund", "申请退货退款", "/get_refund"), reply.human()],
            )
        return []


class ActionCancellationFee(DataAction):
    """The exact fee for the customer's order when we know which one, the general rule otherwise."""

    def name(self) -> str:
        return "action_cancellation_fee"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_id")
        if number:
            found = await in_crm(lambda s: visible_quote(s, tracker, number))
            if found is not None:
                reply.say(quote_text(found, reply), quote_text(found, reply))
                return []
        rules = await in_crm(cancellation_rules)
        reply.say(
            " ".join([en for _, en, _ in rules] + [policy("cancellation_fee", "en")]),
            "".join([zh for _, _, zh in rules] + [policy("cancellation_fee", "zh")]),
        )
        return []


class ActionPlaceOrder(DataAction):
    """How ordering works, with checkout links for what the customer named or was shown."""

    def name(self) -> str:
        return "action_place_order"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        product = await product_for(tracker)
        text = policy("place_order", reply.language)
        if product is not None:
            link = f"{SHOP_URL}/checkout?sku={quote(product.sku)}"
            text += reply.pick(f"\nFor {product.name_en}: {link}", f"\n{product.name_zh} 的下单链接:{link}")
        reply.say(text, text, buttons=[reply.button("Recommend something", "给我推荐", "/recommend_products")])
        return []


async def recent_order_buttons(tracker: Tracker, reply: Reply) -> list[dict[str, str]]:
    """A known customer's latest orders as buttons, so they can pick one instead of typing its number."""

    def recent(session: Session) -> list[OrderSummary]:
        customer = identified_customer(session, tracker)
        return [] if customer is None else last_orders(session, customer.id, limit=3)

    orders = await in_crm(recent)
    return [
        {
            "title": f"{o.number} · {o.first_item_zh if reply.zh else o.first_item_en} · "
            f"{label(ORDER_STATUS, o.status, reply.language)}",
            "payload": o.number,
        }
        for o in orders
    ]

"""Payments, invoices and refunds of the customer's orders."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed
from crm.repository import InvoiceView, OrderView, RefundView, get_customer, request_invoice, request_refund
from actions.base import DataAction, Reply
from actions.identity import visible_order
from actions.knowledge import fact
from actions.orders import SHOP_URL, OrderAction, not_found
from actions.render import INVOICE_STATUS, PAYMENT_METHOD, PAYMENT_STATUS, REFUND_STATUS, label, money, when
from actions.runtime import in_crm


def latest_intent_text(tracker: Tracker, intents: tuple[str, ...]) -> tuple[str | None, str]:
    """The most recent user message with one of `intents`: (intent, text)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if intent in intents:
                return intent, event.get("text") or ""
    return None, ""


class ActionPaymentIssue(OrderAction):
    """Diagnoses the problem from the order's payment record."""

    def name(self) -> str:
        return "action_payment_issue"

    def about(self, order: OrderView, reply: Reply) -> list[dict[str, Any]]:
        number = order.number
        lang = reply.language
        payments = order.payments
        succeeded = [p for p in payments if p.status.value == "succeeded"]
        failed = [p for p in payments if p.status.value == "failed"]
        if not payments:
            reply.say(
                f"There is no payment on order {number} yet. You can pay it here: {SHOP_URL}/pay/{number}",
                f"订单 {number} 还没有付款记录,可以在这里付款:{SHOP_URL}/pay/{number}",
            )
        elif len(succeeded) > 1:
            reply.say(
                f"You were charged {len(succeeded)} times for order {number}. The duplicate payment of "
                f"{money(succeeded[-1].amount, lang)} will be refunded; a colleague will confirm it now.",
                f"订单 {number} 被重复扣款 {len(succeeded)} 次,多扣的 {money(succeeded[-1].amount, lang)} 会退回,"
                "人工客服马上为您确认。",
                buttons=[reply.human()],
            )
        elif succeeded:
            p = succeeded[-1]
            reply.say(
                f"Payment for order {number} went through: {money(p.amount, lang)} by "
                f"{label(PAYMENT_METHOD, p.method, lang)} on {when(p.created_at, lang)}"
                + (f" (an earlier attempt failed: {failed[-1].failure_reason}; it was not charged)." if failed else ".")
                + " If your bank shows a second charge, it's a pre-authorisation that drops off within "
                f"{fact('pre_authorisation_release', 'en')}.",
                f"订单 {number} 已付款成功:{when(p.created_at, lang)} 通过{label(PAYMENT_METHOD, p.method, lang)}"
                f"支付 {money(p.amount, lang)}"
                + (f"(之前有一次支付失败:{failed[-1].failure_reason},未扣款)。" if failed else "。")
                + f"如果银行显示两笔扣款,其中一笔是预授权,{fact('pre_authorisation_release', 'zh')}内会自动解除。",
            )
        else:
            p = payments[-1]
            state = label(PAYMENT_STATUS, p.status, lang)
            reason = p.failure_reason or reply.pick("no reason given", "未说明原因")
            reply.say(
                f"The latest payment for order {number} ({label(PAYMENT_METHOD, p.method, lang)}, "
                f"{money(p.amount, lang)}) is {state}: {reason}. Nothing was charged. You can try again, "
                f"maybe with another method: {SHOP_URL}/pay/{number}",
                f"订单 {number} 最近一次支付({label(PAYMENT_METHOD, p.method, lang)},{money(p.amount, lang)})"
                f"{state}:{reason}。这次没有扣款,可以换一种支付方式重新付款:{SHOP_URL}/pay/{number}",
                buttons=[reply.human()],
            )
        return []


class ActionInvoice(DataAction):
    """Shows the order's invoice; issues one when the customer asked for it and there is none."""

    def name(self) -> str:
        return "action_invoice"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_id")
        wants, _ = latest_intent_text(tracker, ("check_invoice", "get_invoice"))

        def invoice(session: Session) -> tuple[OrderView | None, InvoiceView | NotAllowed | InvalidInput | None]:
            order = visible_order(session, tracker, number)
            if order is None:
                return None, None
            live = [i for i in order.invoices if i.status.value != "voided"]
            if live or wants != "get_invoice":
                return order, (live[-1] if live else None)
            title = get_customer(session, order.customer_id).name or reply.pick("Individual", "个人")
            try:
                return order, request_invoice(session, number, customer_id=order.customer_id, title=title)
            except (NotAllowed, InvalidInput) as refused:
                return order, refused

        order, found = await in_crm(invoice)
        lang = reply.language
        if order is None:
            not_found(reply, number)
        elif isinstance(found, Exception):
            reply.say(
                f"Order {number} can't have an invoice yet: invoices are issued once an order is paid.",
                f"订单 {number} 暂时无法开票:订单付款后才能开具发票。",
            )
        elif found is None:
            reply.say(
                f"Order {number} has no invoice yet. Shall I issue an electronic invoice?",
                f"订单 {number} 还没有开发票,需要为您开具电子发票吗?",
                buttons=[reply.button("Yes, issue one", "开发票", "/get_invoice")],
            )
        else:
            state = label(INVOICE_STATUS, found.status, lang)
            reply.say(
                f"Invoice {found.number} for order {number}: {money(found.amount, lang)}, {state}. "
                "Electronic invoices are emailed and appear under My orders → Invoice within "
                f"{fact('invoice_time', 'en')}.",
                f"订单 {number} 的发票 {found.number}:金额 {money(found.amount, lang)},{state}。"
                f"电子发票会在 {fact('invoice_time', 'zh')}内发送到邮箱,也可在“我的订单 → 发票”中下载。",
            )
        return []


class ActionOpenRefund(DataAction):
    """Opens a refund request on a delivered order, with the customer's own words as the reason."""

    def name(self) -> str:
        return "action_open_refund"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_id")
        _, reason = latest_intent_text(tracker, ("get_refund",))
        reason = " ".join(reason.split())[:64] or "requested in chat"

        def refund(session: Session) -> RefundView | tuple[OrderView, NotAllowed | InvalidInput] | None:
            order = visible_order(session, tracker, number)
            if order is None:
                return None
            try:
                return request_refund(session, number, customer_id=order.customer_id, reason=reason)
            except (NotAllowed, InvalidInput) as refused:
                return order, refused

        result = await in_crm(refund)
        lang = reply.language
        if result is None:
            not_found(reply, number)
        elif isinstance(result, tuple):
            order, refused = result
            status = order.status.value
            if status in ("placed", "paid", "shipped"):
                reply.say(
                    f"Order {number} hasn't been delivered yet, so instead of a refund you can cancel it "
                    "(the money comes back automatically).",
                    f"订单 {number} 还未签收,可以直接取消订单,款项会自动原路退回。",
                    buttons=[reply.button("Cancel the order", "取消订单", "/cancel_order")],
                )
            elif any(r.status.value in ("requested", "approved") for r in order.refunds):
                current = [r for r in order.refunds if r.status.value in ("requested", "approved")][-1]
                reply.say(
                    f"Order {number} already has refund {current.number} in progress "
                    f"({label(REFUND_STATUS, current.status, lang)}).",
                    f"订单 {number} 已有进行中的退款 {current.number}({label(REFUND_STATUS, current.status, lang)})。",
                )
            else:
                reply.say(
                    f"I can't open a refund for order {number}: {refused}. A colleague can look at it.",
                    f"订单 {number} 无法在线申请退款(已超过 "
                    f"{fact('return_window', 'zh')}退货期或已退款)。人工客服可以帮您看看。",
                    buttons=[reply.human()],
                )
        else:
            reply.say(
                f"Refund request {result.number} is open for order {number}: {money(result.amount, lang)}. "
                f"We review it within {fact('refund_review', 'en')}; then send the item back with the return "
                "label we email you, and the money returns to your original payment method "
                f"{fact('refund_time', 'en')} after we get it.",
                f"已为订单 {number} 提交退款申请 {result.number},金额 {money(result.amount, lang)}。"
                f"我们会在 {fact('refund_review', 'zh')}内审核,审核通过后请按邮件中的退货单寄回商品,"
                f"收到退货后 {fact('refund_time', 'zh')}内原路退款。",
            )
        return [SlotSet("order_id", None)] if result is not None and not isinstance(result, tuple) else []


class ActionTrackRefund(OrderAction):
    def name(self) -> str:
        return "action_track_refund"

    def about(self, order: OrderView, reply: Reply) -> list[dict[str, Any]]:
        number = order.number
        lang = reply.language
        if not order.refunds:
            reply.say(
                f"There is no refund on order {number}. Would you like to request one?",
                f"订单 {number} 没有退款记录,需要申请退款吗?",
                buttons=[reply.button("Request a refund", "申请退款", "/get_refund")],
            )
            return []
        lines = []
        for r in order.refunds:
            state = label(REFUND_STATUS, r.status, lang)
            lines.append(
                reply.pick(
                    f"Refund {r.number} ({money(r.amount, lang)}), requested {when(r.requested_at, lang)}: {state}"
                    + (f" on {when(r.resolved_at, lang)}." if r.resolved_at else "."),
                    f"退款 {r.number}({money(r.amount, lang)}),{when(r.requested_at, lang)} 申请:{state}"
                    + (f"({when(r.resolved_at, lang)})。" if r.resolved_at else "。"),
                )
            )
        reply.dispatcher.utter_message(text="\n".join(lines))
        return []

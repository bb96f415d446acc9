"""How facts from the CRM read in a chat message, in English and Chinese."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from actions.i18n import Language

CHINA = timezone(timedelta(hours=8))  # the shop's customers read times in China time

ORDER_STATUS = {
    "placed": ("placed, waiting for payment", "已下单,待付款"),
    "paid": ("paid, being prepared for shipping", "已付款,正在备货"),
    "shipped": ("shipped", "已发货"),
    "delivered": ("delivered", "已签收"),
    "cancelled": ("cancelled", "已取消"),
    "returned": ("returned", "已退货"),
}
REFUND_STATUS = {
    "requested": ("requested, waiting for review", "已提交,等待审核"),
    "approved": ("approved, the money is on its way", "已通过,退款处理中"),
    "rejected": ("rejected", "未通过"),
    "completed": ("completed, the money has been returned", "已完成,款项已原路退回"),
}
PAYMENT_STATUS = {
    "pending": ("pending", "待支付"),
    "succeeded": ("successful", "支付成功"),
    "failed": ("failed", "支付失败"),
    "refunded": ("refunded", "已退款"),
}
PAYMENT_METHOD = {
    "alipay": ("Alipay", "支付宝"),
    "wechat_pay": ("WeChat Pay", "微信支付"),
    "card": ("bank card", "银行卡"),
    "cash_on_delivery": ("cash on delivery", "货到付款"),
}
INVOICE_STATUS = {
    "requested": ("requested, being issued", "已申请,开具中"),
    "issued": ("issued", "已开具"),
    "voided": ("voided", "已作废"),
}


def label(table: dict[str, tuple[str, str]], value: object, language: Language) -> str:
    key = str(getattr(value, "value", value))
    en, zh = table.get(key, (key, key))
    return zh if language == "zh" else en


def money(amount: Decimal | float | int, language: Language) -> str:
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    text = f"{value:,.2f}".removesuffix(".00")
    return f"{text} 元" if language == "zh" else f"¥{text}"


def when(moment: datetime | date | None, language: Language) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(CHINA)
        return f"{local.month}月{local.day}日 {local:%H:%M}" if language == "zh" else f"{local:%d %b, %H:%M}"
    return f"{moment.month}月{moment.day}日" if language == "zh" else f"{moment:%a %d %b}"

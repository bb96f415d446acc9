"""Answers that need the CRM store or the recommender, which this action server is not connected
to yet (issues #3–#5). Each says honestly what it cannot do and offers a person, which is also
what a customer hears when those services fail."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import language_of, say

HUMAN_BUTTON = {"en": ("Talk to a person", "/contact_human_agent"), "zh": ("转人工客服", "/contact_human_agent")}

# action name -> (what the customer asked for, in English, in Chinese)
PENDING: dict[str, tuple[str, str]] = {
    "action_track_order": ("order {order_id}'s tracking", "订单 {order_id} 的物流信息"),
    "action_cancel_order": ("cancelling order {order_id}", "取消订单 {order_id}"),
    "action_change_order": ("changing order {order_id}", "修改订单 {order_id}"),
    "action_payment_issue": ("the payment record of order {order_id}", "订单 {order_id} 的支付记录"),
    "action_invoice": ("the invoice of order {order_id}", "订单 {order_id} 的发票"),
    "action_open_refund": ("a refund for order {order_id}", "订单 {order_id} 的退款申请"),
    "action_track_refund": ("the refund of order {order_id}", "订单 {order_id} 的退款进度"),
    "action_save_address": ("saving your new address", "保存新的收货地址"),
    "action_password_reset": ("sending a reset link to {email}", "向 {email} 发送重置密码链接"),
    "action_delete_account": ("deleting your account", "注销您的账户"),
    "action_open_complaint": ("filing your complaint", "登记您的投诉"),
    "action_record_review": ("recording your rating", "记录您的评分"),
    "action_newsletter": ("your newsletter subscription", "您的订阅设置"),
    "action_recommend_products": ("personal recommendations", "个性化推荐"),
    "action_search_products": ("searching the catalogue", "搜索商品"),
    "action_similar_products": ("finding similar products", "查找相似商品"),
    "action_product_info": ("product details", "商品详情"),
    "action_stop_personalization": ("your personalisation settings", "您的个性化推荐设置"),
}


class PendingAnswer(Action, ABC):
    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        en, zh = PENDING[self.name()]
        values = {"order_id": tracker.get_slot("order_id") or "", "email": tracker.get_slot("email") or ""}
        text = say(tracker,
                   f"Sorry, I can't reach the system for {en.format(**values)} right now. A colleague can help you with it.",
                   f"抱歉,暂时无法连接处理{zh.format(**values)}的系统,可以由人工客服为您处理。")
        title, payload = HUMAN_BUTTON[language_of(tracker)]
        dispatcher.utter_message(text=text, buttons=[{"title": title, "payload": payload}])
        return []


def _pending_action(action_name: str) -> type[PendingAnswer]:
    class_name = "".join(part.title() for part in action_name.split("_"))
    return type(class_name, (PendingAnswer,), {"name": lambda self: action_name, "__module__": __name__,
                                               "__qualname__": class_name})


# Module attributes, so the action server's worker processes can unpickle them by name.
globals().update({cls.__name__: cls for cls in map(_pending_action, PENDING)})

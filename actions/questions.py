"""What the assistant asks while it fills a form, and what it says when an answer is unusable.
Rasa runs `action_ask_<slot>` to ask for a slot and `action_default_ask_rephrase` in the second
stage of the fallback."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import say

# message key -> (English, Chinese)
MESSAGES: dict[str, tuple[str, str]] = {
    "ask_order_id": ("What's your order number? It starts with KL followed by 8 digits, e.g. KL20251107.",
                     "请提供您的订单号(KL 加 8 位数字,例如 KL20251107)。"),
    "invalid_order_id": ("That doesn't look like one of our order numbers: they are KL followed by 8 digits, e.g. KL20251107.",
                         "这个订单号格式不对哦,我们的订单号是 KL 加 8 位数字,例如 KL20251107。"),
    "ask_new_address": ("Please type the full shipping address: street and number, city, province or state, postcode.",
                        "请输入完整的收货地址:省、市、区、街道门牌号(以及邮编)。"),
    "invalid_address": ("That address looks incomplete. Please include the street and number and the city.",
                        "这个地址好像不完整,请包含城市和详细的街道门牌号。"),
    "ask_email": ("Which email address is the account registered with?", "请问您的账户绑定的是哪个邮箱?"),
    "invalid_email": ("That doesn't look like an email address. Could you check it?", "这个邮箱格式好像不对,请再确认一下。"),
    "ask_rating": ("How would you rate us, from 1 (poor) to 5 (excellent)?", "请为我们打个分吧:1 分(很差)到 5 分(很好)。"),
    "invalid_rating": ("Please give a number from 1 to 5.", "请回复 1 到 5 之间的数字。"),
    "ask_rephrase": ("Sorry, I didn't quite get that. Could you say it another way?",
                     "抱歉,我没太理解您的意思,可以换个说法再说一次吗?"),
}


def tell(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **kwargs: Any) -> None:
    en, zh = MESSAGES[key]
    dispatcher.utter_message(text=say(tracker, en, zh), **kwargs)


class Question(Action, ABC):
    key: str

    @abstractmethod
    def name(self) -> str: ...

    def buttons(self) -> list[dict[str, str]] | None:
        return None

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        tell(dispatcher, tracker, self.key, buttons=self.buttons() or [])
        return []


class ActionAskOrderId(Question):
    key = "ask_order_id"

    def name(self) -> str:
        return "action_ask_order_id"


class ActionAskNewAddress(Question):
    key = "ask_new_address"

    def name(self) -> str:
        return "action_ask_new_address"


class ActionAskEmail(Question):
    key = "ask_email"

    def name(self) -> str:
        return "action_ask_email"


class ActionAskRating(Question):
    key = "ask_rating"

    def name(self) -> str:
        return "action_ask_rating"

    def buttons(self) -> list[dict[str, str]]:
        return [{"title": "⭐" * stars, "payload": str(stars)} for stars in range(1, 6)]


class ActionDefaultAskRephrase(Question):
    key = "ask_rephrase"

    def name(self) -> str:
        return "action_default_ask_rephrase"

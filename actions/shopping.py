"""Recommendations, product search, similar products and product details.

Known customers who consented to personalisation get the recommender's hybrid ranking for their own
history; everyone else gets recommendations from this conversation (the products they clicked here,
folded into a session vector) and popular products. Every product shown is an impression and every
button pressed on one a click: both are written to the CRM and folded into the customer's (or the
session's) vector at once, so the next list already reflects them.
An experiment running on recommendations may change how the list is ranked (the customer's arm, asked through
actions.experiments.arm, the actions' one way to read an arm); the exposure to it is recorded with the impressions.
Recommendations and searches carry one request through the conversation in the rec_* slots: product type,
budget, recipient and style persist, and a follow-up ("cheaper", "换一个", "under 200") changes only what it
names. Only products of the asked type are shown as matches; when none fits, the reply says so and shows
the nearest ones, each labelled as an alternative.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, TypedDict

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.types import DomainDict

from crm.errors import ProductNotFound
from crm.repository import (
    CustomerView,
    ProductView,
    get_product,
    product_rating,
    products_by_ids,
    products_by_skus,
    record_interactions,
)
from recommender.serving.query import (
    MAX_REQUEST_CHARS,
    MAX_SHOWN,
    VOCABULARY,
    Request,
    Said,
    product_type,
    read_message,
    refine,
)
from recommender.records import InteractionRecord
from recommender.serving.personal import LIST_LENGTH, catch_up, ranked
from recommender.serving.service import Recommendation, Recommender
from actions.base import DataAction, Reply
from actions.identity import crm_channel, identified_customer
from actions.render import money
from kelian.language import Language
from actions.experiments import arm as experiment_arm, exposed
from actions.faq import faq_match
from actions.messages import seen, tell_worded, worded
from actions.runtime import in_crm, in_crm_with_recommender, with_recommender

log = logging.getLogger(__name__)

SHOWN = LIST_LENGTH
RECOMMENDATIONS = "recommendations"  # the experiments' surface of the ranking


@dataclass(frozen=True)
class Shopper:
    customer: CustomerView | None
    key: str  # whose vector the recommender uses: the customer's (consented) or this conversation's

    @property
    def personal(self) -> bool:
        return self.customer is not None and self.customer.personalization_consent


def session_key(tracker: Tracker) -> str:
    return f"session:{crm_channel(tracker)}:{tracker.sender_id}"


async def shopper(tracker: Tracker) -> Shopper:
    customer = await in_crm(lambda s: identified_customer(s, tracker))
    if customer is not None and customer.personalization_consent:
        return Shopper(customer, str(customer.id))
    return Shopper(customer, session_key(tracker))


def engaged_skus(tracker: Tracker, limit: int = 5) -> list[str]:
    """Products whose buttons the customer pressed in this conversation, most recent last."""
    seen: list[str] = []
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            if entity.get("entity") == "product_sku" and entity.get("value"):
                sku = str(entity["value"])
                seen = [s for s in seen if s != sku] + [sku]
    return seen[-limit:]


def clicked_sku(tracker: Tracker) -> str | None:
    """The product of a button the customer pressed on a product we showed."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "product_sku" and entity.get("value"):
            return str(entity["value"])
    return None


async def remember(tracker: Tracker, who: Shopper, product_ids: list[int], kind: str) -> None:
    """Writes the interactions to the CRM (known customers) or folds them into the conversation's vector.
    Losing one is better than failing the answer the customer is waiting for, so failures are logged."""
    if not product_ids:
        return
    channel = crm_channel(tracker)
    try:
        if who.customer is not None:
            customer_id = who.customer.id

            await in_crm(lambda s: record_interactions(s, customer_id, product_ids, kind, channel=channel))
        if not who.personal:  # a known customer's are folded in from the CRM before their next list
            events = [InteractionRecord(who.key, product_id, kind, 1.0, None, channel) for product_id in product_ids]
            await with_recommender(lambda r: r.update(who.key, events))
    except Exception:
        log.exception("could not record %s of %s in conversation %s", kind, product_ids, tracker.sender_id)


async def product_for(tracker: Tracker) -> ProductView | None:
    """The product the customer means: a pressed button, the last product discussed, or a name they typed."""
    sku = clicked_sku(tracker) or tracker.get_slot("product_sku")
    if sku:
        try:
            return await in_crm(lambda s: get_product(s, str(sku)))
        except ProductNotFound:
            pass
    name = tracker.get_slot("product")
    if not name:
        return None
    found = await with_recommender(lambda r: r.search(str(name), 1))
    if not found:
        return None
    return await in_crm(lambda s: get_product(s, found[0].sku))


async def note_click(tracker: Tracker, who: Shopper) -> None:
    sku = clicked_sku(tracker)
    if sku is None:
        return
    try:
        product = await in_crm(lambda s: get_product(s, sku))
    except ProductNotFound:
        return
    await remember(tracker, who, [product.id], "rec_click")


CARD_CHANNELS = {"web", "socketio"}  # channels whose page renders product cards


async def show(
    reply: Reply, tracker: Tracker, heading: tuple[str, str], items: list[Recommendation], explanation: str = "reasons"
) -> None:
    """A heading, then the products."""
    reply.say(*heading)
    await show_items(reply, tracker, items, explanation)


async def show_items(reply: Reply, tracker: Tracker, items: list[Recommendation], explanation: str = "reasons") -> None:
    """One message per product with its reason and its two buttons: a product card (custom JSON) on the
    web page, text with buttons elsewhere. `explanation` is the experiment arm's style
    (crm.experiments.variants.EXPLANATIONS): `reasons` shows each product's reason, `none` leaves it out."""
    lang = reply.language
    cards = tracker.get_latest_input_channel() in CARD_CHANNELS
    described = {}
    if cards:
        ids = [int(item.product_id) for item in items]
        described = {p.id: p for p in await in_crm(lambda s: products_by_ids(s, ids))}
    for position, item in enumerate(items, start=1):
        reason = item.reason if explanation == "reasons" else ""
        buttons = [
            reply.button("More like this", "看看相似的", f'/similar_products{{"product_sku":"{item.sku}"}}'),
            reply.button("Details", "查看详情", f'/product_info{{"product_sku":"{item.sku}"}}'),
        ]
        product = described.get(int(item.product_id))
        if product is None:
            reply.dispatcher.utter_message(
                text=f"{position}. {item.name} — {money(item.price, lang)}" + (f"\n{reason}" if reason else ""),
                buttons=buttons,
            )
            continue
        description = product.description_zh if reply.zh else product.description_en
        reply.dispatcher.utter_message(
            json_message={
                "type": "product",
                "sku": item.sku,
                "name": item.name,
                "price": money(item.price, lang),
                "description": description[:140],
                "reason": reason,
                "buttons": buttons,
            }
        )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 10**9 else None


def request_of(tracker: Tracker) -> Request:
    """The request carried in the slots (what earlier messages of this conversation asked for)."""
    shown = tracker.get_slot("rec_shown") or []
    kind = tracker.get_slot("rec_type")
    return Request(
        str(kind) if kind and str(kind) in VOCABULARY else None,
        str(tracker.get_slot("rec_query") or "")[:MAX_REQUEST_CHARS],
        _number(tracker.get_slot("rec_min_price")),
        _number(tracker.get_slot("rec_max_price")),
        str(tracker.get_slot("rec_recipient")) if tracker.get_slot("rec_recipient") in VOCABULARY else None,
        str(tracker.get_slot("rec_style")) if tracker.get_slot("rec_style") in VOCABULARY else None,
        tuple(str(sku)[:64] for sku in shown if sku)[-MAX_SHOWN:] if isinstance(shown, list) else (),
    )


def said_in(tracker: Tracker) -> Said:
    """What the latest message says about the request: its words first, then the NLU's entities for what
    the words did not give (a budget said as "I have 200", a product the vocabulary does not know)."""
    text = str(tracker.latest_message.get("text") or "")[:MAX_REQUEST_CHARS]
    said = read_message(text)
    entities = tracker.latest_message.get("entities") or []
    if said.min_price is None and said.max_price is None:
        for entity in entities:
            if entity.get("entity") == "price":
                digits = "".join(ch for ch in str(entity.get("value"))[:32] if ch.isdigit() or ch == ".")
                budget = _number(digits) if digits.count(".") <= 1 and digits.strip(".") else None
                if budget:
                    said = replace(said, max_price=budget)
                    break
    if said.product_type is None:
        for entity in entities:
            if entity.get("entity") in ("product", "category") and entity.get("value"):
                kind = product_type(str(entity["value"]))
                said = replace(said, product_type=kind.key) if kind else replace(said, new_topic=True, descriptive=True)
                break
    return said


def set_request(request: Request) -> list[dict[str, Any]]:
    return [
        SlotSet("rec_type", request.product_type),
        SlotSet("rec_query", request.query or None),
        SlotSet("rec_min_price", request.min_price),
        SlotSet("rec_max_price", request.max_price),
        SlotSet("rec_recipient", request.recipient),
        SlotSet("rec_style", request.style),
        SlotSet("rec_shown", list(request.shown[-MAX_SHOWN:])),
    ]


def budget_words(request: Request, lang: Language) -> tuple[str, str]:
    low, high = request.min_price, request.max_price
    if low is not None and high is not None:
        return f"between {money(low, lang)} and {money(high, lang)}", f"{money(low, lang)}到{money(high, lang)}"
    if high is not None:
        return f"under {money(high, lang)}", f"{money(high, lang)}以内"
    if low is not None:
        return f"over {money(low, lang)}", f"{money(low, lang)}以上"
    return "", ""


def described(request: Request) -> tuple[str, str]:
    """The request in a few words: "sportswear for your wife under ¥200" / "200 元以内的运动服(送老婆)"."""
    kind = VOCABULARY.get(request.product_type or "")
    style = VOCABULARY.get(request.style or "")
    whom = VOCABULARY.get(request.recipient or "")
    en_budget = budget_words(request, "en")[0]
    zh_budget = budget_words(request, "zh")[1]
    en_thing = " ".join(w for w in (style.en if style else "", kind.en if kind else "products") if w)
    zh_thing = (style.zh if style else "") + (kind.zh if kind else "商品")
    en = " ".join(w for w in (en_thing, f"for {whom.en}" if whom else "", en_budget) if w)
    zh = (f"{zh_budget}的" if zh_budget else "") + zh_thing + (f"(送{whom.zh})" if whom else "")
    return en, zh


def alternative_reason(request: Request, lang: Language) -> str:
    if request.max_price is not None:
        return (
            f"备选:超出预算({money(request.max_price, lang)})"
            if lang == "zh"
            else f"Alternative: above your {money(request.max_price, lang)} budget"
        )
    if request.min_price is not None:
        return (
            f"备选:低于 {money(request.min_price, lang)}"
            if lang == "zh"
            else f"Alternative: below {money(request.min_price, lang)}"
        )
    kind = VOCABULARY.get(request.product_type or "")
    return (
        f"备选:不是{kind.zh}"
        if lang == "zh" and kind
        else "备选"
        if lang == "zh"
        else f"Alternative: not {kind.en}"
        if kind
        else "Alternative"
    )


class TypeFilter(TypedDict):
    product_type: str | None


class Budget(TypedDict):
    min_price: float | None
    max_price: float | None


class Limits(TypedDict):
    hide_products: list[int]
    for_children: bool | None


@dataclass(frozen=True)
class Found:
    matches: list[Recommendation]
    alternatives: list[Recommendation]
    exhausted: bool = False  # "something else" after everything that fits was shown


async def find(
    reply: Reply,
    who: Shopper,
    request: Request,
    hide: list[int],
    *,
    search: bool,
    owned: set[int],
    engaged: list[int],
    variant: dict[str, Any],
) -> Found:
    """The products that fit the request; when none does, the nearest alternatives (never shown as matches)."""
    text = request.ranking_text()
    budget = Budget(min_price=request.min_price, max_price=request.max_price)
    limits = Limits(hide_products=hide, for_children=request.child)

    def rank(recommender: Recommender) -> Found:
        kind = TypeFilter(product_type=request.product_type)
        if search and text:
            matches = recommender.search(text, SHOWN, language=reply.language, **kind, **budget, **limits)
        else:
            matches = ranked(
                recommender,
                who.key,
                SHOWN,
                owned=owned,
                query_text=text or None,
                language=reply.language,
                session_items=engaged,
                **kind,
                **budget,
                **limits,
                **variant,
            )
        if matches:
            return Found(matches, [])
        if hide and ranked(
            recommender, who.key, 1, owned=owned, language=reply.language, **kind, **budget, for_children=request.child
        ):
            return Found([], [], exhausted=True)
        if recommender.knows_type(request.product_type) and (
            request.min_price is not None or request.max_price is not None
        ):
            near = recommender.nearest_in_price(SHOWN, language=reply.language, **kind, **budget, **limits)
        elif text:
            near = recommender.search(text, SHOWN, language=reply.language, **budget, **limits) or recommender.search(
                text, SHOWN, language=reply.language, **limits
            )
        else:
            near = recommender.nearest_in_price(SHOWN, language=reply.language, **budget, **limits)
        return Found([], near)

    return await with_recommender(rank)


async def answer_request(reply: Reply, tracker: Tracker, *, search: bool) -> list[dict[str, Any]]:
    """Recommendations and searches share one request: the message refines what was asked before
    (`recommender.serving.query.refine`), the list fits the whole request, and the request is kept in slots."""
    who = await shopper(tracker)
    owned: set[int] = set()
    if who.customer is not None and who.personal and not search:
        customer_id = who.customer.id
        owned = await in_crm_with_recommender(lambda session, recommender: catch_up(recommender, session, customer_id))
    previous = request_of(tracker)
    said = said_in(tracker)
    before = await in_crm(lambda s: products_by_skus(s, list(previous.shown))) if previous.shown else []
    last_prices = [float(p.price) for p in before[-SHOWN:]]
    request = refine(previous, said, last_prices)
    hide = [p.id for p in before] if said.other and request.shown else []
    skus = engaged_skus(tracker)
    engaged = await in_crm(lambda s: [p.id for p in products_by_skus(s, skus)]) if skus else []
    known = None if who.customer is None else who.customer.id
    arm = None if search else await experiment_arm(tracker, RECOMMENDATIONS, known)
    variant = arm.recommend_options if arm is not None else {}
    found = await find(reply, who, request, hide, search=search, owned=owned, engaged=engaged, variant=variant)
    en, zh = described(request)
    if found.exhausted:
        reply.say(
            f"That's all the {en} we have; I've shown you every one. Want to change the budget or look at something "
            f"else?",
            f"符合条件的{zh}都已经为您展示过了。要不要调整一下预算,或者看看别的?",
        )
        return set_request(request)
    if not found.matches and not found.alternatives:
        reply.say(
            "I couldn't find products that fit. Could you tell me a bit more about what you need?",
            "暂时没有找到合适的商品,可以再具体说说您的需求吗?",
        )
        return set_request(request)
    customer = who.customer
    if found.matches:
        intro = None
        if request.empty and search:
            heading = ("Here's what matches:", "为您找到这些:")
        elif request.empty:  # a heading a replies experiment may reword
            intro = await worded(
                tracker,
                "rec_intro_personal" if who.personal else "rec_intro_popular",
                None if customer is None else customer.id,
            )
            heading = (intro.en, intro.zh)
        else:
            heading = (f"{en[0].upper()}{en[1:]}:", f"为您找到{zh}:")
        shown = found.matches
        await show(reply, tracker, heading, shown, "reasons" if arm is None else arm.explanation)
        if intro is not None:
            await seen(tracker, intro)
    else:
        reply.say(
            f"Sorry, we have no {en} right now. The nearest alternatives:", f"抱歉,目前没有{zh}。以下是最接近的备选:"
        )
        label = alternative_reason(request, reply.language)
        shown = [replace(item, reason=label) for item in found.alternatives]
        await show_items(reply, tracker, shown)
    if (
        not search
        and customer is not None
        and customer.segment is not None
        and customer.segment.value == "at_risk"
        and customer.marketing_consent
    ):
        await tell_worded(reply.dispatcher, tracker, "retention_offer", customer_id=customer.id)
    await remember(tracker, who, [int(i.product_id) for i in shown], "rec_impression")
    if not search:
        await exposed(tracker, arm)
    return set_request(replace(request, shown=(*request.shown, *(i.sku for i in shown))[-MAX_SHOWN:]))


class ActionRecommendProducts(DataAction):
    def name(self) -> str:
        return "action_recommend_products"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        return await answer_request(reply, tracker, search=False)


class ActionSearchProducts(DataAction):
    """The described need goes to semantic search, within the request's product type and budget."""

    def name(self) -> str:
        return "action_search_products"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        return await answer_request(reply, tracker, search=True)


def refines(tracker: Tracker) -> bool:
    """A typed follow-up to a request ("cheaper", "换一个", "another colour", "under 200"), not a press of a
    product's "More like this" button."""
    if clicked_sku(tracker) is not None or request_of(tracker).empty:
        return False
    said = said_in(tracker)
    return (
        said.other
        or said.cheaper
        or said.pricier
        or said.style is not None
        or said.min_price is not None
        or said.max_price is not None
    )


class ActionSimilarProducts(DataAction):
    def name(self) -> str:
        return "action_similar_products"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if refines(tracker):
            return await answer_request(reply, tracker, search=False)
        who = await shopper(tracker)
        await note_click(tracker, who)
        product = await product_for(tracker)
        if product is None:
            reply.say(
                "Which product should I find alternatives to? Tell me its name.",
                "想找哪款商品的相似款?告诉我商品名称吧。",
            )
            return []
        items = await with_recommender(lambda r: r.similar(product.id, SHOWN, language=reply.language))
        if not items:
            reply.say(
                f"I have nothing similar to {product.name_en} right now.", f"暂时没有和{product.name_zh}相似的商品。"
            )
            return [SlotSet("product_sku", product.sku)]
        await show(reply, tracker, (f"Similar to {product.name_en}:", f"和{product.name_zh}相似的商品:"), items)
        await remember(tracker, who, [int(i.product_id) for i in items], "rec_impression")
        return [SlotSet("product_sku", product.sku)]


class ActionProductInfo(DataAction):
    def name(self) -> str:
        return "action_product_info"

    async def answer(self, reply: Reply, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        who = await shopper(tracker)
        await note_click(tracker, who)
        product = await product_for(tracker)
        if product is None:
            # "How long is the warranty?" is a product question without a product: the FAQ knows.
            match = await faq_match(tracker)
            if match is not None:
                reply.say(match.answer("en"), match.answer("zh"))
            else:
                reply.say(
                    "Which product would you like to know about? Tell me its name.", "想了解哪款商品?告诉我商品名称吧。"
                )
            return []
        average, reviews = await in_crm(lambda s: product_rating(s, product.id))
        lang = reply.language
        stock = (
            reply.pick("in stock", "有货")
            if product.stock > 10
            else reply.pick(f"only {product.stock} left", f"仅剩 {product.stock} 件")
            if product.stock > 0
            else reply.pick("out of stock", "暂时缺货")
        )
        rating = (
            ""
            if not reviews
            else reply.pick(f" · ⭐ {average} ({reviews} reviews)", f" · ⭐ {average}({reviews} 条评价)")
        )
        description = product.description_zh if reply.zh else product.description_en
        category = product.category_zh if reply.zh else product.category_en
        text = (
            f"{product.name(lang)} — {money(product.price, lang)}\n{product.brand} · {category} · {stock}{rating}\n"
            f"{description}"
        )
        reply.dispatcher.utter_message(
            text=text,
            buttons=[
                reply.button("More like this", "看看相似的", f'/similar_products{{"product_sku":"{product.sku}"}}'),
                reply.button("How do I order?", "怎么下单", "/place_order"),
            ],
        )
        return [SlotSet("product_sku", product.sku)]

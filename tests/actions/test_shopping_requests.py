"""Recommendations keep the request (issue 13): against the demo CRM and a recommender trained from it,
follow-ups refine the request carried in the rec_* slots, only products of the asked type are shown as
matches, an honest message and labelled alternatives come when nothing fits, and guests get products."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from sqlalchemy import select

from crm.models import Category, Product
from crm.repository import get_product
from actions.shopping import ActionRecommendProducts, ActionSearchProducts, ActionSimilarProducts
from tests.actions.conftest import make_tracker, texts

RUNNING_SHOES = {"Running Shoes", "跑鞋"}
SPORTSWEAR = {"Sportswear", "运动服"}


def shown(dispatcher: CollectingDispatcher) -> list[str]:
    return [
        b["payload"].split('"')[3]
        for m in dispatcher.messages
        for b in m.get("buttons") or []
        if b["payload"].startswith("/product_info")
    ]


def slots_after(events: list[dict[str, Any]], before: dict[str, Any] | None = None) -> dict[str, Any]:
    slots = dict(before or {})
    slots.update({e["name"]: e["value"] for e in events if e.get("event") == "slot"})
    return slots


def products(services, skus: list[str]) -> list:
    with services.crm() as session:
        return [get_product(session, sku) for sku in skus]


async def turn(
    action, text: str, intent: str, sender: str, slots: dict[str, Any]
) -> tuple[CollectingDispatcher, dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, make_tracker(text, intent=intent, sender=sender, slots=slots), {})
    return dispatcher, slots_after(events, slots)


async def test_yoga_wear_then_cheaper_under_200_keeps_the_category(services):
    first, slots = await turn(
        ActionRecommendProducts(), "yoga wear for my wife", "recommend_products", "guest-yoga", {}
    )
    assert {p.category_en for p in products(services, shown(first))} <= SPORTSWEAR and shown(first)
    assert (slots["rec_type"], slots["rec_recipient"]) == ("yoga_wear", "wife")
    second, slots = await turn(
        ActionRecommendProducts(), "cheaper pls, under 200", "recommend_products", "guest-yoga", slots
    )
    found = products(services, shown(second))
    assert found and {p.category_en for p in found} <= SPORTSWEAR
    assert all("Kids" not in p.name_en for p in found)
    assert slots["rec_type"] == "yoga_wear" and slots["rec_max_price"] == 200.0 and slots["rec_recipient"] == "wife"
    if all(p.price <= 200 for p in found):  # the small shop of these tests has no yoga leggings: sportswear
        assert "Yoga wear for your wife under ¥200:" in texts(second)
    else:  # the demo shop may have no sportswear that cheap: then it says so and labels the nearest
        assert "Sorry, we have no yoga wear for your wife under ¥200" in texts(second)
        assert all(m["text"].count("Alternative: above your ¥200 budget") for m in second.messages[1:])


def cheapest_running_shoe(services) -> float:
    with services.crm() as session:
        return float(
            session.scalar(
                select(Product.price)
                .join(Category)
                .where(Category.name_en == "Running Shoes", Product.stock > 0, Product.active)
                .order_by(Product.price)
                .limit(1)
            )
        )


async def test_running_shoes_under_a_budget_nothing_fits_says_so_and_labels_alternatives(services):
    budget = int(cheapest_running_shoe(services)) - 1
    dispatcher, slots = await turn(
        ActionSearchProducts(), f"有没有适合跑步的鞋,{budget}块以内", "search_products", "guest-run", {}
    )
    reply = texts(dispatcher)
    assert f"抱歉,目前没有{budget} 元以内的跑鞋" in reply
    found = products(services, shown(dispatcher))
    assert found and {p.category_zh for p in found} <= RUNNING_SHOES and all(p.price > budget for p in found)
    assert [p.price for p in found] == sorted(p.price for p in found)
    assert reply.count(f"备选:超出预算({budget} 元)") == len(found)
    assert slots["rec_type"] == "running_shoes" and slots["rec_max_price"] == budget


async def test_running_shoes_under_500_are_all_running_shoes(services):
    dispatcher, _ = await turn(
        ActionRecommendProducts(), "推荐几款跑鞋,500元以内", "recommend_products", "guest-run-500", {}
    )
    found = products(services, shown(dispatcher))
    assert found and all(p.category_zh in RUNNING_SHOES and p.price <= 500 for p in found)
    assert "为您找到500 元以内的跑鞋" in texts(dispatcher)


async def test_another_one_keeps_the_request_and_skips_what_was_shown(services):
    with services.crm() as session:
        tops = session.scalars(
            select(Product.sku)
            .join(Category)
            .where(Category.name_en == "Tops & T-shirts", Product.stock > 0, Product.active)
        ).all()
    assert 4 < len(tops) <= 8  # the small demo shop of the unit tests
    first, slots = await turn(
        ActionRecommendProducts(), "show me some t-shirts", "recommend_products", "guest-more", {}
    )
    second, slots = await turn(ActionSimilarProducts(), "换一个", "similar_products", "guest-more", slots)
    before, after = shown(first), shown(second)
    assert len(before) == 4 and after and not set(after) & set(before)
    assert set(before) | set(after) <= set(tops)
    assert slots["rec_shown"][-len(after) :] == after and set(before) <= set(slots["rec_shown"])
    third, slots = await turn(ActionRecommendProducts(), "还有别的吗", "recommend_products", "guest-more", slots)
    assert not shown(third) and "都已经为您展示过了" in texts(third)


async def test_a_guest_gets_products_for_the_request_without_signing_in(services):
    dispatcher, _ = await turn(ActionRecommendProducts(), "推荐一款瑜伽垫", "recommend_products", "guest-mat", {})
    found = products(services, shown(dispatcher))
    assert found and all(p.category_en == "Fitness" and "瑜伽垫" in p.name_zh for p in found)
    assert "登录" not in texts(dispatcher)


async def test_a_more_like_this_button_still_finds_similar_products(services):
    first, slots = await turn(ActionRecommendProducts(), "running shoes please", "recommend_products", "guest-btn", {})
    sku = shown(first)[0]
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        f'/similar_products{{"product_sku":"{sku}"}}',
        intent="similar_products",
        sender="guest-btn",
        slots=slots,
        entities=[{"entity": "product_sku", "value": sku}],
    )
    await ActionSimilarProducts().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"].startswith("Similar to") and sku not in shown(dispatcher)


async def test_forged_slots_are_bounded_and_ignored_when_unknown(services):
    forged = {
        "rec_type": "DROP TABLE",
        "rec_recipient": "x" * 10_000,
        "rec_style": None,
        "rec_max_price": "lots",
        "rec_query": "q" * 100_000,
        "rec_shown": ["NOPE"] * 500,
    }
    dispatcher, slots = await turn(
        ActionRecommendProducts(), "recommend something", "recommend_products", "guest-forged", forged
    )
    assert len(shown(dispatcher)) == 4
    assert slots["rec_type"] is None and slots["rec_recipient"] is None and slots["rec_max_price"] is None
    assert len(slots["rec_query"] or "") <= 500 and len(slots["rec_shown"]) <= 40

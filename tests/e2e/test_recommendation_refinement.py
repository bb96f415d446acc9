"""Recommendations keep the request (#13), over REST with the whole stack, in English and Chinese: a
follow-up ("cheaper pls, under 200" / "便宜点,200以内") keeps the product type and the recipient, a
budget nothing fits gets an honest answer and labelled alternatives of the asked type, and a guest
gets products for the request (no sign-in wall). Products are checked against the demo CRM."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.models import Category, Product
from crm.repository import get_product
from devstack.stack import Stack

pytestmark = pytest.mark.e2e


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def product_skus(replies: list[dict]) -> list[str]:
    return [
        b["payload"].split('"')[3]
        for r in replies
        for b in r.get("buttons") or []
        if b["payload"].startswith("/product_info")
    ]


def listed(in_crm, replies: list[dict]) -> list:
    return [in_crm(lambda s, sku=sku: get_product(s, sku)) for sku in product_skus(replies)]


def cheapest(in_crm, category: str) -> float:
    return float(
        in_crm(
            lambda s: s.scalar(
                select(Product.price)
                .join(Category)
                .where(Category.name_en == category, Product.stock > 0, Product.active)
                .order_by(Product.price)
                .limit(1)
            )
        )
    )


def intent(stack: Stack, sender: str) -> str:
    return stack.tracker(sender)["latest_message"]["intent"]["name"]


def slots(stack: Stack, sender: str) -> dict:
    return stack.tracker(sender)["slots"]


def assert_cheaper_kept_the_request(stack: Stack, sender: str, replies: list[dict], in_crm, honest: str) -> None:
    found = listed(in_crm, replies)
    assert found, texts(replies)
    assert {p.category_en for p in found} == {"Sportswear"} and all("Yoga" in p.name_en for p in found)
    assert not any("Kids" in p.name_en for p in found)
    if any(p.price > 200 for p in found):
        assert honest in texts(replies)
    kept = slots(stack, sender)
    assert (kept["rec_type"], kept["rec_max_price"], kept["rec_recipient"]) == ("yoga_wear", 200.0, "wife")


def test_en_yoga_wear_then_cheaper_under_200_keeps_the_category(stack, customer, in_crm):
    first = stack.say(customer, "yoga wear for my wife")
    assert {p.category_en for p in listed(in_crm, first)} == {"Sportswear"}, texts(first)
    second = stack.say(customer, "cheaper pls, under 200")
    assert intent(stack, customer) in {"recommend_products", "search_products", "similar_products"}
    assert_cheaper_kept_the_request(
        stack, customer, second, in_crm, "Sorry, we have no yoga wear for your wife under ¥200"
    )
    assert all(p.price <= 200 for p in listed(in_crm, second)) and "under ¥200" in texts(second)


def test_zh_yoga_wear_then_cheaper_under_200_keeps_the_category(stack, customer, in_crm):
    first = stack.say(customer, "想给老婆买几件瑜伽服")
    assert {p.category_en for p in listed(in_crm, first)} == {"Sportswear"}, texts(first)
    second = stack.say(customer, "便宜点,200以内")
    assert_cheaper_kept_the_request(stack, customer, second, in_crm, "抱歉,目前没有200 元以内的瑜伽服")
    assert all(p.price <= 200 for p in listed(in_crm, second)) and "200 元以内" in texts(second)


@pytest.mark.parametrize(
    ("ask", "sorry", "label"),
    [
        (
            "any shoes for running under {budget}?",
            "Sorry, we have no running shoes under ¥{budget}",
            "Alternative: above your ¥{budget} budget",
        ),
        ("有没有适合跑步的鞋,{budget}块以内", "抱歉,目前没有{budget} 元以内的跑鞋", "备选:超出预算({budget} 元)"),
    ],
    ids=["en", "zh"],
)
def test_running_shoes_nothing_under_budget_is_said_and_alternatives_labelled(
    stack, customer, in_crm, ask, sorry, label
):
    budget = min(300, int(cheapest(in_crm, "Running Shoes")) - 1)
    replies = stack.say(customer, ask.format(budget=budget))
    reply = texts(replies)
    assert sorry.format(budget=budget) in reply
    found = listed(in_crm, replies)
    assert found and {p.category_en for p in found} == {"Running Shoes"} and all(p.price > budget for p in found)
    assert reply.count(label.format(budget=budget)) == len(found)
    assert "腰包" not in reply and "Running Belt" not in reply and "waist pack" not in reply.lower()


def test_zh_running_shoes_under_500_are_only_running_shoes(stack, customer, in_crm):
    replies = stack.say(customer, "推荐几款跑鞋,500元以内")
    found = listed(in_crm, replies)
    assert found and all(p.category_en == "Running Shoes" and p.price <= 500 for p in found), texts(replies)


def test_en_a_guest_asking_for_a_yoga_mat_gets_yoga_mats(stack, customer, in_crm):
    replies = stack.say(customer, "could you suggest a good yoga mat?")
    found = listed(in_crm, replies)
    assert found and all("Yoga Mat" in p.name_en for p in found), texts(replies)
    assert {p.category_en for p in found} == {"Fitness"}
    assert "signed in" not in texts(replies) and "As a guest" not in texts(replies)


def test_zh_a_guest_asking_for_a_yoga_mat_gets_yoga_mats(stack, customer, in_crm):
    replies = stack.say(customer, "推荐一款瑜伽垫")
    found = listed(in_crm, replies)
    assert found and {p.category_en for p in found} == {"Fitness"}, texts(replies)
    assert all("瑜伽垫" in p.name_zh for p in found)
    assert "未登录" not in texts(replies)


@pytest.mark.parametrize("message", ["not signed in, any yoga mats?", "我没登录,想买个瑜伽垫"])
def test_a_guest_who_says_so_still_gets_products_not_a_sign_in_wall(stack, customer, in_crm, message):
    replies = stack.say(customer, message)
    found = listed(in_crm, replies)
    assert found and all("Yoga Mat" in p.name_en for p in found), texts(replies)
    assert "未登录" not in texts(replies) and "As a guest" not in texts(replies)

from __future__ import annotations

from dataclasses import replace

import pytest

from recommender.serving.query import (
    MAX_REQUEST_CHARS,
    Request,
    Said,
    parse_query,
    product_type,
    read_message,
    refine,
    zh_number,
)


@pytest.mark.parametrize(
    ("text", "clean", "low", "high"),
    [
        ("waterproof hiking jacket under 500", "waterproof hiking jacket", None, 500),
        ("running shoes between 300 and 800", "running shoes", 300, 800),
        ("tent over 2000 yuan", "tent", 2000, None),
        ("¥199 max yoga mat", "yoga mat", None, 199),
        ("500元以下的防水冲锋衣", "防水冲锋衣", None, 500),
        ("价格在100到300之间的保温杯", "保温杯", 100, 300),
        ("不超过五百的跑鞋", "跑鞋", None, 500),
        ("1k以内的帐篷", "帐篷", None, 1000),
        ("适合跑步的鞋", "适合跑步的鞋", None, None),
        ("a gift for my mom", "a gift for my mom", None, None),
    ],
)
def test_budget_becomes_a_filter_and_leaves_the_need(
    text: str, clean: str, low: float | None, high: float | None
) -> None:
    parsed = parse_query(text)
    assert (parsed.text, parsed.min_price, parsed.max_price) == (clean, low, high)


def test_language_and_chinese_numbers() -> None:
    """A query's language is the project's one rule (kelian.language.text_language)."""
    assert parse_query("适合跑步的鞋").language == "zh" and parse_query("Nike 跑鞋").language == "zh"
    assert parse_query("running shoes").language == "en" and parse_query("500").language == "en"
    assert parse_query("do you sell 旗袍 dresses").language == "en"  # the majority, not any Chinese character
    assert [zh_number(t) for t in ("五百", "三千五", "两百五十", "一万二", "十五")] == [500, 3500, 250, 12000, 15]


# --- the request and its refinements ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("有没有适合跑步的鞋,300块以内", "running_shoes"),
        ("推荐几款跑鞋,500元以内", "running_shoes"),
        ("shoes for running", "running_shoes"),
        ("running belt", "running_gear"),
        ("跑步腰包", "running_gear"),
        ("yoga wear for my wife", "yoga_wear"),
        ("gym clothes", "sportswear"),
        ("给老婆买点瑜伽服", "yoga_wear"),
        ("跑步T恤", "sportswear"),
        ("I need a yoga mat", "yoga_mats"),
        ("推荐一款瑜伽垫", "yoga_mats"),
        ("shoes", "shoes"),
        ("a shoe rack", None),
        ("something for running under 300", None),
        ("address label", None),
        ("鞋架", None),
    ],
)
def test_the_noun_names_the_product_type(text: str, kind: str | None) -> None:
    found = product_type(text)
    assert (found.key if found else None) == kind


def test_refinement_words_are_read_and_nothing_else_is_invented() -> None:
    assert read_message("cheaper pls, under 200") == Said(max_price=200.0, cheaper=True, text="cheaper pls")
    assert read_message("便宜点").cheaper and not read_message("便宜点").descriptive
    assert read_message("换一个").other and read_message("还有别的吗").other
    colour = read_message("another colour")
    assert colour.other and colour.colour_change and colour.product_type is None
    assert read_message("in red please").style == "red"
    assert read_message("a gift for my mom").recipient == "mother"
    assert read_message("anything waterproof?").descriptive


def test_a_refinement_changes_only_what_it_names() -> None:
    yoga = refine(Request(), read_message("yoga wear for my wife"))
    assert (yoga.product_type, yoga.recipient, yoga.max_price) == ("yoga_wear", "wife", None)
    cheaper = refine(yoga, read_message("cheaper pls, under 200"), [300.0, 400.0])
    assert (cheaper.product_type, cheaper.recipient, cheaper.max_price, cheaper.query) == (
        "yoga_wear",
        "wife",
        200.0,
        "yoga wear for my wife",
    )
    again = refine(replace(cheaper, shown=("A", "B")), read_message("换一个"))
    assert again == replace(cheaper, shown=("A", "B"))
    red = refine(again, read_message("in red please"))
    assert red.style == "red" and red.max_price == 200.0 and "red" in red.ranking_text()
    other_colour = refine(red, read_message("another colour"))
    assert other_colour.style is None and other_colour.product_type == "yoga_wear"


def test_cheaper_without_a_number_goes_below_the_middle_of_the_last_list() -> None:
    shoes = Request("running_shoes", "跑鞋", max_price=800.0)
    assert refine(shoes, read_message("便宜点"), [399.0, 499.0, 599.0, 699.0]).max_price == 548.99
    assert refine(shoes, read_message("便宜点"), []).max_price == 800.0
    assert refine(shoes, read_message("贵一点的"), [399.0, 499.0, 599.0]).min_price == 499.01


def test_a_new_product_type_starts_a_new_list_but_keeps_budget_and_recipient() -> None:
    before = Request("sportswear", "yoga wear", None, 200.0, "wife", "red", ("A",))
    after = refine(before, read_message("what about running shoes"))
    assert (after.product_type, after.max_price, after.recipient, after.style, after.shown) == (
        "running_shoes",
        200.0,
        "wife",
        None,
        (),
    )
    unknown = refine(before, replace(read_message("do you have a laptop"), new_topic=True))
    assert unknown.product_type is None and unknown.query == "do you have a laptop"


def test_budgets_that_contradict_the_old_one_replace_it() -> None:
    dear = Request("running_shoes", min_price=500.0)
    assert refine(dear, read_message("under 300")) == Request("running_shoes", min_price=None, max_price=300.0)
    assert refine(Request("running_shoes", max_price=300.0), read_message("over 500")).max_price is None


def test_hostile_input_is_bounded() -> None:
    said = read_message("跑" * 100_000 + "鞋 " + "cheaper " * 50_000)
    assert len(said.text) <= MAX_REQUEST_CHARS
    assert read_message("a" * 1_000_000).product_type is None

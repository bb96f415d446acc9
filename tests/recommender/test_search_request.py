"""The recommender's side of a shopper's request: product types become filters, products
already shown can be hidden, a named recipient keeps out the other age group, and when nothing fits the
budget the nearest products of the category are found. Category precision is measured on the labelled
sets (the figures in docs/recommender.md)."""

from __future__ import annotations

import pytest

from recommender.catalogue import Catalogue
from recommender.records import ProductRecord
from recommender.evaluation.product_search import (
    category_precision,
    load_category_queries,
    load_queries,
    query_type_mask,
)
from recommender.serving.service import Recommender, RecommenderError, type_mask


def test_product_types_become_the_catalogues_products_of_that_type(products: list[ProductRecord]) -> None:
    catalogue = Catalogue(products)

    def skus(kind: str) -> set[str]:
        mask = type_mask(catalogue, kind)
        return set() if mask is None else {products[i].sku for i in mask.nonzero()[0]}

    assert skus("running_shoes") == {p.sku for p in products if p.category_en == "Running Shoes"}
    assert "RACC-04" in skus("running_gear") and not skus("running_gear") & skus("running_shoes")
    assert skus("yoga_mats") == {"YOGA-01"} and skus("yoga_wear") == {"YOGA-03"}  # not the dumbbells beside them
    assert skus("Kitchen") == {p.sku for p in products if p.category_en == "Kitchen"}
    assert type_mask(catalogue, "sportswear") is None  # this catalogue has no such category: no filter
    assert type_mask(catalogue, None) is None and type_mask(catalogue, "no such thing") is None


def test_a_running_shoe_search_never_shows_a_waist_pack(service: Recommender, by_sku) -> None:
    words_only = service.search("有没有适合跑步的鞋,300块以内", k=4)
    assert any(by_sku[h.sku].category_en != "Running Shoes" for h in words_only)  # what customers saw
    shoes = service.search("有没有适合跑步的鞋,300块以内", k=4, product_type="running_shoes")
    assert shoes and all(by_sku[h.sku].category_en == "Running Shoes" and h.price <= 300 for h in shoes)
    assert service.knows_type("running_shoes") and not service.knows_type("sportswear")


def test_nothing_under_the_budget_finds_the_nearest_prices_of_the_type(service: Recommender, by_sku) -> None:
    assert service.search("跑鞋", k=4, product_type="running_shoes", max_price=150) == []
    near = service.nearest_in_price(3, product_type="running_shoes", max_price=150)
    prices = sorted(p.price for p in by_sku.values() if p.category_en == "Running Shoes" and p.stock > 0 and p.active)
    assert [h.price for h in near] == prices[:3]
    assert all(h.source == "alternative" and by_sku[h.sku].category_en == "Running Shoes" for h in near)
    dear = service.nearest_in_price(2, product_type="running_shoes", min_price=5000)
    assert [h.price for h in dear] == prices[::-1][:2]
    with pytest.raises(RecommenderError):
        service.nearest_in_price(0)


def test_shown_products_can_be_hidden_and_recipients_filter_by_age(service: Recommender, by_sku) -> None:
    first = service.recommend("guest", 3, product_type="running_shoes", query_text="running shoes")
    ids = [h.product_id for h in first]
    second = service.recommend("guest", 3, product_type="running_shoes", query_text="running shoes", hide_products=ids)
    assert second and not {h.product_id for h in second} & set(ids)
    again = service.search("running shoes", k=3, product_type="running_shoes", hide_products=ids)
    assert again and not {h.product_id for h in again} & set(ids)
    adults = service.search("running shoes", k=9, product_type="running_shoes", for_children=False)
    assert adults and not any("Kids" in by_sku[h.sku].name_en for h in adults)
    kids = service.search("running shoes", k=9, product_type="running_shoes", for_children=True)
    assert [h.sku for h in kids] == ["RUN-06"]


def test_type_filter_raises_category_precision(products: list[ProductRecord], trained) -> None:
    queries = load_category_queries()
    assert len(queries) >= 25
    words = category_precision(products, queries, trained.text, by_type=False)
    typed = category_precision(products, queries, trained.text, by_type=True)
    for language in ("en", "zh"):
        assert typed[language]["precision"] > words[language]["precision"]
        assert typed[language]["precision"] >= 0.9
    original = load_queries()
    assert (
        category_precision(products, original, trained.text, by_type=True)["zh"]["precision"]
        >= category_precision(products, original, trained.text, by_type=False)["zh"]["precision"]
    )


def test_the_evaluation_filters_by_the_type_the_query_names(products: list[ProductRecord]) -> None:
    catalogue = Catalogue(products)
    assert query_type_mask(catalogue, "yoga wear for my wife") is not None
    assert query_type_mask(catalogue, "something for a rainy day") is None
    mask = query_type_mask(catalogue, "推荐几款跑鞋")
    assert mask is not None and {products[i].category_en for i in mask.nonzero()[0]} == {"Running Shoes"}

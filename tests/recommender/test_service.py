from __future__ import annotations

import numpy as np
import pytest

from recommender.records import InteractionRecord, ProductRecord
from recommender.serving.service import Recommender, RecommenderError
from recommender.trained import TrainedRecommender


def busiest_customer(trained: TrainedRecommender) -> str:
    return trained.user_ids[int(np.argmax(np.diff(trained.history.indptr)))]


def purchased(trained: TrainedRecommender, customer: str) -> set[object]:
    row = trained.user_row(customer)
    kinds = trained.kinds[row]
    return {trained.catalogue.products[i].product_id for i, code in zip(kinds.indices, kinds.data) if code == 3 + 2}


def test_recommend_honours_business_filters(service: Recommender, trained: TrainedRecommender, by_sku) -> None:
    customer = busiest_customer(trained)
    results = service.recommend(customer, k=8, category="Sports", max_price=600)
    assert 0 < len(results) <= 8
    for r in results:
        product = by_sku[r.sku]
        assert product.category_path[0] == "Sports" and product.price <= 600 and product.stock > 0 and product.active
    owned = purchased(trained, customer)
    for r in service.recommend(customer, k=30):
        assert r.product_id not in owned or by_sku[r.sku].consumable
        assert by_sku[r.sku].stock > 0 and by_sku[r.sku].active


def test_out_of_stock_and_inactive_products_only_when_asked(service: Recommender, by_sku) -> None:
    everything = {r.sku for r in service.recommend("nobody", k=200, in_stock_only=False, diversity=False)}
    assert "HOME-07" not in everything  # inactive
    assert "RUN-08" in everything  # out of stock, shown when stock is not required
    assert "RUN-08" not in {r.sku for r in service.recommend("nobody", k=200, diversity=False)}


def test_caller_can_exclude_crm_purchases(service: Recommender, by_sku) -> None:
    first = service.recommend("nobody", k=3, diversity=False)
    again = service.recommend("nobody", k=3, diversity=False, exclude_products=[first[0].product_id])
    assert first[0].product_id not in {r.product_id for r in again} or by_sku[first[0].sku].consumable


def test_personal_recommendations_follow_the_customers_tastes(
    service: Recommender, trained: TrainedRecommender, by_sku
) -> None:
    customer = busiest_customer(trained)
    row = trained.user_row(customer)
    liked = {trained.catalogue.group[i] for i in trained.history[row].indices}
    results = service.recommend(customer, k=5)
    assert sum(trained.catalogue.group[trained.catalogue.row(r.product_id)] in liked for r in results) >= 4
    assert any(r.source == "personal" and r.reason.startswith("because you") for r in results)


def test_new_customers_get_popular_products_in_their_language(service: Recommender) -> None:
    results = service.recommend("never-seen", k=5, language="zh")
    assert len(results) == 5
    assert all(r.source == "popular" and r.reason == "其他顾客都在买" for r in results)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in results[0].name)


def test_request_text_sets_budget_and_topic(service: Recommender, by_sku) -> None:
    results = service.recommend("never-seen", k=3, query_text="waterproof hiking jacket under 500")
    assert results and all(by_sku[r.sku].price <= 500 for r in results)
    assert results[0].sku in {"JKT-02", "JKT-05", "JKT-10"}
    zh = service.recommend("never-seen", k=5, query_text="适合跑步的鞋", language="zh")
    assert sum(by_sku[r.sku].category_en == "Running Shoes" for r in zh) >= 4
    assert zh[0].reason == "符合您的需求"


def test_diversity_spreads_open_recommendations_across_categories(
    service: Recommender, trained: TrainedRecommender
) -> None:
    customer = busiest_customer(trained)
    varied = service.recommend(customer, k=8)
    plain = service.recommend(customer, k=8, diversity=False)
    groups = lambda rs: len({trained.catalogue.group[trained.catalogue.row(r.product_id)] for r in rs})  # noqa: E731
    assert groups(varied) >= groups(plain)


def test_explain_names_the_customers_own_products(service: Recommender, trained: TrainedRecommender) -> None:
    customer = busiest_customer(trained)
    top = service.recommend(customer, k=1)[0]
    english = service.explain(customer, top.product_id)
    chinese = service.explain(customer, top.product_id, language="zh")
    history = {trained.catalogue.products[i].product_id for i in trained.history[trained.user_row(customer)].indices}
    assert english.contributions and all(c.product_id in history for c in english.contributions)
    assert english.text.startswith("because you ") and english.contributions[0].name in english.text
    assert chinese.text.startswith("因为您") and f"“{chinese.contributions[0].name}”" in chinese.text
    assert service.explain("never-seen", top.product_id).text == "popular with other customers"
    with pytest.raises(RecommenderError):
        service.explain(customer, "no-such-product")


def test_products_engaged_with_in_the_session_steer_the_list(service: Recommender, trained: TrainedRecommender) -> None:
    customer = busiest_customer(trained)
    before = service.recommend(customer, k=4)
    clicked = before[-1]
    after = service.recommend(customer, k=4, session_items=[clicked.product_id])
    assert clicked.product_id not in [r.product_id for r in after]
    assert [r.product_id for r in after] != [r.product_id for r in before]
    like_clicked = [r for r in after if r.source == "session"]
    assert like_clicked and all(clicked.name in r.reason for r in like_clicked)
    nearest = {r.product_id for r in service.similar(clicked.product_id, k=10, method="cf")}
    assert nearest & {r.product_id for r in like_clicked}


def test_similar_products(service: Recommender, by_sku) -> None:
    for method in ("auto", "text", "cf"):
        similar = service.similar(by_sku["RUN-01"].product_id, k=5, method=method)
        assert similar and by_sku["RUN-01"].product_id not in {r.product_id for r in similar}
    text_like = service.similar(by_sku["RUN-01"].product_id, k=4, method="text")
    assert sum(by_sku[r.sku].category_en == "Running Shoes" for r in text_like) >= 3
    with pytest.raises(RecommenderError):
        service.similar(by_sku["RUN-01"].product_id, method="magic")


def test_search_with_filters(service: Recommender, by_sku) -> None:
    hits = service.search("waterproof hiking jacket under 500", k=5)
    assert hits and all(by_sku[h.sku].price <= 500 for h in hits)
    assert "JKT-02" in {h.sku for h in hits[:3]}
    kitchen = service.search("保温", k=5, category="Kitchen")
    assert kitchen and all(by_sku[h.sku].category_en == "Kitchen" for h in kitchen)
    assert kitchen[0].name.startswith("开尔文")
    with pytest.raises(RecommenderError):
        service.search("   ")


def test_update_folds_new_interests_in_without_retraining(service: Recommender, by_sku) -> None:
    before = service.recommend("fresh", k=5)
    assert all(r.source == "popular" for r in before)
    events = [
        InteractionRecord("fresh", by_sku[s].product_id, "purchase", 1.0, None)
        for s in ("RUN-01", "RACC-03", "RACC-02")
    ]
    service.update("fresh", events)
    after = service.recommend("fresh", k=5, diversity=False)
    assert any(r.source == "personal" for r in after)
    assert sum(by_sku[r.sku].category_path[0] == "Sports" for r in after) >= 3
    assert "RUN-01" not in {r.sku for r in after}  # bought, not consumable
    explained = service.explain("fresh", after[0].product_id)
    assert explained.text.startswith("because you bought")
    with pytest.raises(RecommenderError):
        service.update("fresh", [InteractionRecord("someone-else", by_sku["RUN-01"].product_id, "view", 1.0, None)])


def test_fold_in_replaces_instead_of_adding(service: Recommender, by_sku) -> None:
    events = [InteractionRecord("regular", by_sku[s].product_id, "click", 1.0, None) for s in ("RUN-01", "RACC-03")]
    service.fold_in("regular", events)
    once = [r.sku for r in service.recommend("regular", k=5)]
    service.fold_in("regular", events)
    service.fold_in("regular", events)
    assert [r.sku for r in service.recommend("regular", k=5)] == once
    folded = service._histories["regular"].sum()
    service.update("regular", events)  # update adds to what is there
    assert service._histories["regular"].sum() == pytest.approx(2 * folded)
    assert service.trained_at() is not None


def test_new_products_are_searchable_and_recommendable_before_retraining(service: Recommender, by_sku) -> None:
    new = ProductRecord(
        product_id=5000,
        sku="RUN-NEW",
        name_en="Stride Cloud 2 Cushioned Running Shoes",
        name_zh="Stride 云感2代缓震跑鞋",
        description_en="Second generation cushioned road running shoes for long runs.",
        description_zh="第二代缓震公路跑鞋，适合长距离慢跑。",
        category_en="Running Shoes",
        category_zh="跑步鞋",
        category_path=("Sports", "Running Shoes"),
        brand="Stride",
        price=649.0,
        stock=10,
    )
    service.add_products([new])
    assert "RUN-NEW" in {h.sku for h in service.search("cushioned running shoes for long runs", k=5)}
    similar = {r.sku for r in service.similar(5000, k=5, method="cf")}
    assert sum(s.startswith("RUN-") for s in similar) >= 3  # its content-based vector sits among running shoes
    service.update("runner", [InteractionRecord("runner", 5000, "purchase", 1.0, None)])
    assert service.recommend("runner", k=3)
    with pytest.raises(ValueError):
        service.add_products([new])


def test_bad_arguments(service: Recommender) -> None:
    with pytest.raises(RecommenderError):
        service.recommend("x", k=0)
    with pytest.raises(RecommenderError):
        service.similar("no-such-product")

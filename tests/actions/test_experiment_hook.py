"""The recommendations action's one hook into experiments: the customer's arm decides how the list is
ranked, the exposure is recorded once per customer on every linked channel, guests are left out of
an experiment whose metric cannot see them, and a broken experiment never costs the answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import actions.experiments
import actions.shopping
from actions.base import Reply
from actions.experiments import forget_quiet
from actions.shopping import ActionRecommendProducts
from crm.experiments.assignment import choose
from crm.experiments.definitions import create_experiment, get_experiment, parse_arm, start_experiment
from crm.models import ExperimentExposure
from crm.repository import add_identity, find_customer
from recommender.serving.explain import popular
from recommender.serving.service import RecommenderError
from tests.actions.conftest import ALICE, make_tracker, texts

KEY = "hook-popularity"


@pytest.fixture
def alice(crm) -> int:
    with crm() as session:
        customer = find_customer(session, "rest", ALICE)
        assert customer is not None and customer.personalization_consent
        return customer.id


@pytest.fixture
def popularity_experiment(crm, alice: int) -> Iterator[int]:
    """A running experiment whose salt puts Alice in the popularity arm; deleted afterwards, as the
    action tests share one CRM."""
    with crm() as session:
        created = create_experiment(
            session,
            KEY,
            [parse_arm("control:1"), parse_arm("popular:1:strategy=popularity")],
            metric="rec_click",
            planned_per_arm=100,
        )
        created.salt = next(s for s in (f"hook-{i}" for i in range(64)) if choose(s, f"customer:{alice}", (1, 1)) == 1)
        start_experiment(session, KEY, at=datetime.now(timezone.utc) - timedelta(minutes=1))
        experiment_id = created.id
    forget_quiet()  # an earlier test may have found no recommendations experiment a moment ago
    try:
        yield experiment_id
    finally:
        with crm() as session:
            session.delete(get_experiment(session, KEY))
        forget_quiet()


def exposures(crm, experiment_id: int) -> list[tuple[str, str]]:
    with crm() as session:
        rows = session.scalars(select(ExperimentExposure).where(ExperimentExposure.experiment_id == experiment_id))
        return [(row.unit, row.channel.value) for row in rows]


async def test_the_arm_ranks_the_list_and_the_exposure_is_recorded_once(
    dispatcher, crm, services, alice: int, popularity_experiment: int
) -> None:
    default = services.recommender.recommend(alice, 4)
    assert any(item.source != "popular" for item in default)  # Alice's own list is personal by default

    await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend something", intent="recommend_products", sender=ALICE), {}
    )
    reasons = [line for line in texts(dispatcher).splitlines()[1:] if not line[:1].isdigit()]
    assert len(reasons) == 4 and set(reasons) == {popular("en")}  # the popularity arm: no "because you bought"
    assert exposures(crm, popularity_experiment) == [(f"customer:{alice}", "rest")]

    with crm() as session:
        add_identity(session, alice, "wechat", "wx-openid-alice-hook")
    dispatcher.messages.clear()
    await ActionRecommendProducts().run(
        dispatcher,
        make_tracker("推荐点东西", intent="recommend_products", sender="wx-openid-alice-hook", channel="wechat"),
        {},
    )
    assert texts(dispatcher).count(popular("zh")) == 4  # the same arm on her linked WeChat account
    assert exposures(crm, popularity_experiment) == [(f"customer:{alice}", "rest")]  # still seen once


async def test_guests_are_not_in_a_click_experiment(dispatcher, crm, popularity_experiment: int) -> None:
    await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend", intent="recommend_products", sender="guest-hook-visitor"), {}
    )
    assert len([m for m in dispatcher.messages if m.get("buttons")]) == 4  # the guest still gets the default list
    assert exposures(crm, popularity_experiment) == []


async def test_a_failing_experiment_lookup_still_answers(
    dispatcher, crm, popularity_experiment: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("experiments table unreadable")

    monkeypatch.setattr(actions.experiments, "arm_for", broken)
    await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend something", intent="recommend_products", sender=ALICE), {}
    )
    assert len([m for m in dispatcher.messages if m.get("buttons")]) == 4
    assert exposures(crm, popularity_experiment) == []


def test_the_recommender_refuses_unknown_blend_weights(services, alice: int) -> None:
    with pytest.raises(RecommenderError, match="unknown blend weight"):
        services.recommender.recommend(alice, 4, blend={"colour": 1.0})
    with pytest.raises(RecommenderError, match="negative"):
        services.recommender.recommend(alice, 4, blend={"popularity_weight": -1.0})
    by_sales = services.recommender.recommend(alice, 4, blend={"personal_weight": 0.0, "popularity_weight": 1.0})
    assert {item.source for item in by_sales} == {"popular"}  # her history is left out, explanations included


# --- the explanation style of a recommendations arm ------------------------------------------------------


@pytest.fixture
def explanation_experiment(crm, alice: int) -> Iterator[None]:
    """A running experiment with a `reasons` and a `none` arm; the test puts Alice in one by the salt."""
    with crm() as session:
        create_experiment(
            session,
            "hook-explanation",
            [parse_arm("reasons:1:explanation=reasons"), parse_arm("bare:1:explanation=none")],
            metric="rec_click",
            planned_per_arm=100,
        )
        start_experiment(session, "hook-explanation", at=datetime.now(timezone.utc) - timedelta(minutes=1))
    forget_quiet()
    try:
        yield
    finally:
        with crm() as session:
            session.delete(get_experiment(session, "hook-explanation"))
        forget_quiet()


def put_in(crm, alice: int, arm: int) -> None:
    with crm() as session:
        experiment = get_experiment(session, "hook-explanation")
        experiment.salt = next(
            s for s in (f"expl-{i}" for i in range(64)) if choose(s, f"customer:{alice}", (1, 1)) == arm
        )


@pytest.mark.parametrize(
    ("arm", "language", "said"),
    [
        (0, "en", "recommend something"),
        (0, "zh", "推荐点东西"),
        (1, "en", "recommend something"),
        (1, "zh", "推荐点东西"),
    ],
)
async def test_the_arms_explanation_style_shows_or_leaves_out_the_reasons(
    dispatcher, crm, alice: int, explanation_experiment: None, arm: int, language: str, said: str
) -> None:
    put_in(crm, alice, arm)
    tracker = make_tracker(said, intent="recommend_products", sender=ALICE, slots={"language": language})
    await ActionRecommendProducts().run(dispatcher, tracker, {})
    products = [m["text"] for m in dispatcher.messages if m.get("buttons")]
    assert len(products) == 4 and all(text[:2] == f"{n}." for n, text in enumerate(products, start=1))
    if arm == 0:  # reasons: today's list, each product with its reason in the customer's language
        reasons = [text.split("\n")[1] for text in products]
        assert all(reasons) and all(
            ("因为您" in r or r == popular("zh")) if language == "zh" else r.isascii() for r in reasons
        )
    else:  # none: the name and the price only
        assert all("\n" not in text for text in products)
    marker = "为您精选" if language == "zh" else "Picked for you"
    assert marker in texts(dispatcher)


@pytest.mark.parametrize(("style", "language"), [("reasons", "en"), ("reasons", "zh"), ("none", "en"), ("none", "zh")])
async def test_a_product_card_carries_a_reason_only_in_the_reasons_style(
    dispatcher, services, alice: int, style: str, language: str
) -> None:
    items = services.recommender.recommend(alice, 3, language=language)
    tracker = make_tracker(
        "recommend", intent="recommend_products", sender="web-card-visitor", channel="web", slots={"language": language}
    )
    await actions.shopping.show_items(Reply(dispatcher, tracker), tracker, items, style)
    cards = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert len(cards) == 3 and all(card["type"] == "product" for card in cards)
    if style == "reasons":
        assert [card["reason"] for card in cards] == [item.reason for item in items] and all(
            card["reason"] for card in cards
        )
    else:
        assert all(card["reason"] == "" for card in cards)

"""Staff see the list the customer gets: the console's customer page and the recommendations action
rank by one path (`recommender.serving.personal`), with what the CRM learnt since training folded in
first, each in its own process's copy of the recommender."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from actions.shopping import ActionRecommendProducts
from console.customers import Recommendations
from crm.models import Customer
from crm.repository import add_identity, record_interaction
from recommender.serving.personal import LIST_LENGTH
from recommender.serving.service import Recommender
from tests.actions.conftest import make_tracker

SENDER = "customer-list-shopper"


def shown_skus(events: list[dict]) -> list[str]:
    return next(e["value"] for e in events if e.get("event") == "slot" and e.get("name") == "rec_shown")


async def test_the_console_shows_the_list_the_customer_gets(dispatcher, crm, recommender_dir: Path) -> None:
    untouched = Recommender.load(recommender_dir)  # a process that has folded nothing in yet
    with crm() as session:
        customer_id = next(
            cid
            for cid in session.scalars(
                select(Customer.id)
                .where(Customer.id > 2, Customer.personalization_consent.is_(True), Customer.erased_at.is_(None))
                .order_by(Customer.id)
            )
            if untouched.trained.user_row(cid) is not None  # a customer with a personal list (not Alice or Li)
        )
        add_identity(session, customer_id, "rest", SENDER)
    before = untouched.recommend(customer_id, LIST_LENGTH, language="en")
    catalogue = untouched.catalogue
    bought = next(i for i in before if not catalogue.consumable[catalogue.row(i.product_id)])
    with crm() as session:  # learnt after training: the customer bought one of the products of their list
        record_interaction(session, customer_id, int(bought.product_id), "purchase", channel="web")

    console = Recommendations(recommender_dir)
    console.load()
    with crm() as session:
        staff_see, problem = console.for_customer(session, customer_id, language="en")
    events = await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend something", intent="recommend_products", sender=SENDER), {}
    )

    assert problem is None and len(staff_see) == LIST_LENGTH
    assert [item.sku for item in staff_see] == shown_skus(events)
    assert bought.sku not in shown_skus(events)  # the purchase since training was folded in on both sides
    assert [item.sku for item in before] != shown_skus(events)


def test_without_a_trained_recommender_both_say_so(tmp_path: Path) -> None:
    """The action server apologises (ServiceUnavailable) and the console shows a notice, for the same reason."""
    from actions.runtime import ServiceUnavailable, Services

    with pytest.raises(ServiceUnavailable, match="no trained recommender under"):
        Services(recommender_path=tmp_path).recommender
    console = Recommendations(tmp_path)
    console.load()
    recommendations, problem = console.for_customer(None, 1, language="en")  # type: ignore[arg-type]
    assert recommendations == [] and problem is not None and "no trained recommender under" in problem

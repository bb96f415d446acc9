"""Experiments through the running stack (#17 "Done when"): a recommendations experiment (popularity vs
ALS) and a replies experiment (the wording of the recommendations' heading) are created and started with
`python -m crm experiments`, customers the salted hash puts in either arm ask for recommendations over
REST (and the replies arm's customer again on WeChat), each gets their arm's list or words (in English
and Chinese), each is exposed once with the right arm, and `experiments report KEY --json` shows both
arms with exposures and intervals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.experiments.assignment import choose, customer_unit
from crm.experiments.definitions import get_experiment
from crm.experiments.serving import QUIET_SECONDS
from crm.experiments.variants import STRATEGIES
from crm.export import interactions_of, purchased_product_ids
from crm.models import Customer, ExperimentArm, ExperimentExposure, Identity
from devstack.config import ROOT
from devstack.stack import Stack
from recommender.serving.service import DEFAULT_PATH, Recommender
from tests.e2e.conftest import new_identity
from tests.e2e.test_wechat import WeChatServer

pytestmark = pytest.mark.e2e

HEADING = {"en": "Picked for you:", "zh": "为您精选:"}  # the catalogue's words (actions/messages.py)
WARM = {"en": "Handpicked for you, just now:", "zh": "刚为您挑好的:"}


def experiments(crm_url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "crm", "--database-url", crm_url, "experiments", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def running(crm_url: str, in_crm: Callable) -> Iterator[Callable[..., None]]:
    """`running(KEY, *create args)`: created and started with the CLI, stopped after the test (one
    experiment runs per surface, and the stack is shared with the other tests)."""
    started: list[str] = []

    def start(key: str, *create: str) -> None:
        experiments(crm_url, "create", key, *create)
        experiments(crm_url, "start", key)
        started.append(key)

    yield start
    for key in started:
        experiments(crm_url, "stop", key)


def per_arm(in_crm: Callable, key: str) -> dict[str, list[tuple[int, str]]]:
    """The demo customers (CRM id, REST user id) of each arm, in id order, found by computing the salted
    hash: customers known over REST who agreed to personal recommendations, other than the demo ones other
    tests use (the REST ids are stored encrypted: they are compared once read)."""

    def read(session: Session) -> dict[str, list[tuple[int, str]]]:
        experiment = get_experiment(session, key)
        weights = [arm.weight for arm in experiment.arms]
        known = session.execute(
            select(Identity.customer_id, Identity.external_id)
            .join(Customer, Customer.id == Identity.customer_id)
            .where(
                Identity.channel == "rest",
                Customer.personalization_consent.is_(True),
                Customer.erased_at.is_(None),
            )
            .order_by(Identity.customer_id)
        ).all()
        chosen: dict[str, list[tuple[int, str]]] = {}
        for customer_id, user in known:
            if user.startswith("partner-"):  # not demo-alice or demo-li, whom other tests use
                arm = experiment.arms[choose(experiment.salt, customer_unit(customer_id), weights)].name
                chosen.setdefault(arm, []).append((customer_id, user))
        return chosen

    return in_crm(read)


def one_per_arm(in_crm: Callable, key: str) -> dict[str, tuple[int, str]]:
    return {arm: customers[0] for arm, customers in per_arm(in_crm, key).items()}


def exposures(in_crm: Callable, key: str) -> list[tuple[str, str]]:
    def read(session: Session) -> list[tuple[str, str]]:
        experiment = get_experiment(session, key)
        rows = session.execute(
            select(ExperimentExposure.unit, ExperimentArm.name)
            .join(ExperimentArm, ExperimentArm.id == ExperimentExposure.arm_id)
            .where(ExperimentExposure.experiment_id == experiment.id)
        )
        return sorted((unit, arm) for unit, arm in rows)

    return in_crm(read)


def product_skus(replies: list[dict]) -> list[str]:
    return [
        b["payload"].split('"')[3]
        for r in replies
        for b in r.get("buttons") or []
        if b["payload"].startswith("/product_info")
    ]


def ranking(in_crm: Callable, customer_id: int, strategy: str) -> list[str]:
    """What the recommender ranks first for the customer with the arm's blend, as the action asks it (what
    they bought left out, what the CRM learnt since training folded in), by the trained model."""
    recommender = Recommender.load(DEFAULT_PATH)
    trained_at = recommender.trained_at()
    assert trained_at is not None
    recent, owned = in_crm(
        lambda s: (interactions_of(s, customer_id, trained_at), purchased_product_ids(s, customer_id))
    )
    recommender.fold_in(customer_id, recent)
    found = recommender.recommend(
        str(customer_id), 4, exclude_products=owned, language="en", blend=STRATEGIES[strategy]
    )
    return [item.sku for item in found]


def report(crm_url: str, key: str) -> dict:
    later = (datetime.now(timezone.utc) + timedelta(days=8)).isoformat()  # every window has ended
    return json.loads(experiments(crm_url, "report", key, "--json", "--as-of", later))


def test_each_arm_gets_its_ranking_is_exposed_once_and_reported(stack: Stack, crm, crm_url, in_crm, running) -> None:
    key = "e2e-rec-strategy"
    running(
        key,
        *("--arm", "popularity:50:strategy=popularity", "--arm", "als:50:strategy=als"),
        *("--metric", "rec_click", "--sample-size", "100"),
    )
    started = time.monotonic()
    candidates = per_arm(in_crm, key)
    assert set(candidates) == {"popularity", "als"}
    people, expected_lists = {}, {}
    for arm, customers in candidates.items():
        # the first customer of the arm for whom the two strategies rank differently (for a customer the
        # trained model has not met, ALS alone also falls back to the popular products), computed before
        # the list is shown (its impressions fold in)
        other = "als" if arm == "popularity" else "popularity"
        for customer_id, user in customers[:20]:
            mine = ranking(in_crm, customer_id, arm)
            if mine != ranking(in_crm, customer_id, other):
                people[arm], expected_lists[arm] = (customer_id, user), mine
                break
    assert set(people) == {"popularity", "als"}, "no demo customer whose ALS and popular lists differ"
    # the action server may have found no recommendations experiment a moment before it started (actions.experiments)
    time.sleep(max(0.0, started + QUIET_SECONDS + 1 - time.monotonic()))
    lists = {}
    for arm, (customer_id, user) in people.items():
        expected = expected_lists[arm]
        sender = stack.sign_in(new_identity(crm, user))
        replies = stack.say(sender, "recommend something")
        lists[arm] = product_skus(replies)
        assert lists[arm] == expected, replies
        if arm == "popularity":  # a conversion: the customer presses a recommended product's button
            assert stack.say(sender, f'/product_info{{"product_sku":"{lists[arm][0]}"}}')
        stack.say(sender, "推荐点东西")  # seen again, in Chinese: still one exposure
    assert exposures(in_crm, key) == sorted((customer_unit(people[arm][0]), arm) for arm in people)

    figures = report(crm_url, key)
    arms = {arm["name"]: arm for arm in figures["analysis"]["arms"]}
    assert set(arms) == {"popularity", "als"}
    assert [(a["exposed"], a["analysed"], a["conversions"]) for a in arms.values()] == [(1, 1, 1), (1, 1, 0)]
    for arm in arms.values():
        assert 0 <= arm["rate_low"] <= arm["rate"] <= arm["rate_high"] <= 1 and arm["rate_low"] < arm["rate_high"]
    assert arms["popularity"]["rate"] == 1.0 and arms["als"]["rate"] == 0.0
    assert arms["als"]["p_value"] is not None and not figures["analysis"]["reached"]  # 1 of 100 planned per arm


def test_each_arm_sees_its_wording_in_both_languages(stack: Stack, crm, crm_url, in_crm, running, wechat_api) -> None:
    key = "e2e-rec-heading"
    running(
        key,
        *("--surface", "replies", "--arm", "control:50", "--arm", "warm:50"),
        *(f"--wording=warm:rec_intro_personal:{language}={text}" for language, text in WARM.items()),
        *("--metric", "resolved", "--sample-size", "100"),
    )
    time.sleep(QUIET_SECONDS + 1)  # the action server may have found no replies experiment a moment ago
    people = one_per_arm(in_crm, key)
    assert set(people) == {"control", "warm"}
    for arm, (_, user) in people.items():
        words = WARM if arm == "warm" else HEADING
        for language, ask in (("en", "recommend something"), ("zh", "推荐点东西")):
            replies = stack.say(stack.sign_in(new_identity(crm, user)), ask)
            assert replies and replies[0]["text"] == words[language], replies
            assert len(product_skus(replies)) == 4
    # the same customer on WeChat (an openid linked to them): the same arm, still one exposure
    openid = new_identity(crm, people["warm"][1], "wechat")
    on_wechat = WeChatServer(stack, wechat_api).say_text(openid, "推荐点东西")
    assert on_wechat.startswith(WARM["zh"]) and HEADING["zh"] not in on_wechat, on_wechat
    assert exposures(in_crm, key) == sorted((customer_unit(people[arm][0]), arm) for arm in people)

    figures = report(crm_url, key)
    assert [(arm["name"], arm["exposed"]) for arm in figures["analysis"]["arms"]] == [("control", 1), ("warm", 1)]
    assert figures["surface"] == "replies"

"""Reply wording experiments in the actions (#17 item 2): a message that may vary is said in the words
of the customer's arm (English and Chinese), the control keeps the catalogue's words, the exposure is
written once per customer when the message went out, nothing is asked of the CRM while no replies
experiment runs, and a broken lookup still says the default words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select
from sqlalchemy.orm import Session

import actions.experiments
from actions.experiments import forget_quiet
from actions.handoff import ActionHandoff
from actions.messages import MESSAGES, VARIABLE, tell_worded, worded
from actions.shopping import ActionRecommendProducts
from crm.experiments.assignment import choose, customer_unit
from crm.experiments.definitions import create_experiment, get_experiment, parse_arm, start_experiment, with_wordings
from crm.experiments.variants import REPLY_KEYS
from crm.models import Experiment, ExperimentArm, ExperimentExposure, ExperimentSurface
from crm.repository import find_customer
from tests.actions.conftest import ALICE, LI, make_tracker, texts

KEY = "hook-wording"
WARM = {
    "rec_intro_personal": ("Handpicked for you, just now:", "刚为您挑好的:"),
    "rec_intro_popular": ("Everyone's buying these:", "大家都在买:"),
    "handoff_promise": ("A colleague has your conversation now.", "同事已经接手您的对话。"),
}


@pytest.fixture
def people(crm) -> dict[str, int]:
    with crm() as session:
        return {who: find_customer(session, "rest", who).id for who in (ALICE, LI)}


@pytest.fixture
def wording_experiment(crm, people: dict[str, int]) -> Iterator[int]:
    """A running replies experiment whose salt puts Alice in the `warm` arm and Li in the control."""
    wordings = [f"warm:{key}:{lang}={text}" for key, pair in WARM.items() for lang, text in zip(("en", "zh"), pair)]
    with crm() as session:
        created = create_experiment(
            session,
            KEY,
            with_wordings([parse_arm("control:1"), parse_arm("warm:1")], wordings),
            metric="resolved",
            planned_per_arm=100,
            surface="replies",
        )
        units = (customer_unit(people[ALICE]), customer_unit(people[LI]))
        created.salt = next(
            s for s in (f"w-{i}" for i in range(256)) if [choose(s, u, (1, 1)) for u in units] == [1, 0]
        )
        start_experiment(session, KEY, at=datetime.now(timezone.utc) - timedelta(minutes=1))
        experiment_id = created.id
    forget_quiet()  # an earlier test may have found no replies experiment a moment ago
    try:
        yield experiment_id
    finally:
        with crm() as session:
            session.delete(get_experiment(session, KEY))
        forget_quiet()


def exposures(crm, experiment_id: int) -> list[tuple[str, str, str]]:
    with crm() as session:
        rows = session.execute(
            select(ExperimentExposure.unit, ExperimentArm.name, ExperimentExposure.channel)
            .join(ExperimentArm, ExperimentArm.id == ExperimentExposure.arm_id)
            .where(ExperimentExposure.experiment_id == experiment_id)
        )
        return sorted((unit, arm, channel.value) for unit, arm, channel in rows)


def recommend(text: str, sender: str) -> Tracker:
    return make_tracker(text, intent="recommend_products", sender=sender)


def test_the_catalogue_and_the_crm_agree_on_what_may_vary() -> None:
    assert set(VARIABLE) == set(REPLY_KEYS) and set(VARIABLE) <= set(MESSAGES)


async def test_each_arm_gets_its_words_and_is_exposed_once(
    dispatcher, crm, people: dict[str, int], wording_experiment: int
) -> None:
    await ActionRecommendProducts().run(dispatcher, recommend("recommend something", ALICE), {})
    assert texts(dispatcher).splitlines()[0] == WARM["rec_intro_personal"][0]
    assert exposures(crm, wording_experiment) == [(customer_unit(people[ALICE]), "warm", "rest")]

    dispatcher.messages.clear()
    await ActionRecommendProducts().run(dispatcher, recommend("推荐点东西", ALICE), {})
    assert texts(dispatcher).splitlines()[0] == WARM["rec_intro_personal"][1]
    assert len(exposures(crm, wording_experiment)) == 1  # seen again: still one exposure

    dispatcher.messages.clear()
    await ActionRecommendProducts().run(dispatcher, recommend("recommend something", LI), {})
    with crm() as session:  # another test may have withdrawn Li's consent to personal recommendations
        personal = find_customer(session, "rest", LI).personalization_consent
    heading = MESSAGES["rec_intro_personal" if personal else "rec_intro_popular"][0]
    assert texts(dispatcher).splitlines()[0] == heading  # the control's words
    assert exposures(crm, wording_experiment) == sorted(
        [(customer_unit(people[ALICE]), "warm", "rest"), (customer_unit(people[LI]), "control", "rest")]
    )


async def test_the_handoff_promise_follows_the_arm(dispatcher, crm, wording_experiment: int) -> None:
    await ActionHandoff().run(dispatcher, make_tracker("转人工", intent="human_handoff", sender=ALICE), {})
    said = texts(dispatcher)
    assert said.startswith(WARM["handoff_promise"][1]) and MESSAGES["handoff_promise"][1] not in said
    dispatcher.messages.clear()
    await ActionHandoff().run(dispatcher, make_tracker("a person please", intent="human_handoff", sender=LI), {})
    assert texts(dispatcher).startswith(MESSAGES["handoff_promise"][0] + " ")


async def test_a_message_no_arm_rewords_records_no_exposure(dispatcher, crm, wording_experiment: int) -> None:
    tracker = make_tracker("hi", sender=LI)
    await tell_worded(dispatcher, tracker, "retention_offer", customer_id=None)
    assert texts(dispatcher) == MESSAGES["retention_offer"][0]
    assert exposures(crm, wording_experiment) == []


async def test_no_query_while_no_replies_experiment_runs(monkeypatch: pytest.MonkeyPatch, people) -> None:
    forget_quiet()
    asked: list[str] = []
    real = actions.experiments.running_experiment

    def counting(session: Session, surface: ExperimentSurface | str, now: datetime) -> Experiment | None:
        asked.append(surface)
        return real(session, surface, now)

    monkeypatch.setattr(actions.experiments, "running_experiment", counting)
    tracker = make_tracker("recommend", sender=ALICE)
    for _ in range(3):
        message = await worded(tracker, "rec_intro_personal", people[ALICE])
        assert (message.en, message.zh, message.assignment) == (*MESSAGES["rec_intro_personal"], None)
    assert asked == ["replies"]  # asked once; "nothing runs" is remembered for a while
    await worded(tracker, "ask_email", people[ALICE])  # a message that never varies asks nothing
    assert asked == ["replies"]
    forget_quiet()


async def test_a_failing_lookup_says_the_default_words(
    dispatcher, crm, monkeypatch: pytest.MonkeyPatch, wording_experiment: int
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("experiments table unreadable")

    monkeypatch.setattr(actions.experiments, "arm_for", broken)
    await ActionRecommendProducts().run(dispatcher, recommend("recommend something", ALICE), {})
    assert texts(dispatcher).splitlines()[0] == MESSAGES["rec_intro_personal"][0]
    assert len([m for m in dispatcher.messages if m.get("buttons")]) == 4
    assert exposures(crm, wording_experiment) == []

"""Experiments on the wording of selected replies (#17 item 2): an arm's wordings are checked when the
experiment is created (only messages that may vary, both languages, no stray placeholders), stored with
the arm, and read through the same `arm_for` as recommendations, with one exposure per unit (on SQLite
and PostgreSQL: the surface is a checked column)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.cli import main
from crm.db import make_engine
from crm.errors import InvalidInput
from crm.experiments.assignment import choose, customer_unit
from crm.experiments.definitions import (
    create_experiment,
    get_experiment,
    parse_arm,
    parse_wording,
    start_experiment,
    with_wordings,
)
from crm.experiments.serving import arm_for, record_exposure
from crm.experiments.variants import REPLY_KEYS, describe, reply_parameters
from crm.migrate import upgrade
from crm.models import Customer, Experiment, ExperimentExposure, ExperimentSurface

T0 = datetime(2025, 11, 1, 9, tzinfo=timezone.utc)
WARM = (
    "warm:rec_intro_personal:en=Handpicked for you, just now:",
    "warm:rec_intro_personal:zh=刚为您挑好的:",
    "warm:handoff_promise:en=A colleague has your conversation: they'll answer here.",
    "warm:handoff_promise:zh=同事已接手,会在这里回复您。",
)


def replies_experiment(session: Session, key: str = "wording", wordings: tuple[str, ...] = WARM) -> Experiment:
    arms = with_wordings([parse_arm("control:50"), parse_arm("warm:50")], wordings)
    created = create_experiment(
        session, key, arms, metric="resolved", planned_per_arm=100, surface="replies", now=T0 - timedelta(days=1)
    )
    start_experiment(session, key, at=T0 - timedelta(hours=1))
    return created


def test_a_wording_is_arm_key_language_and_text_which_may_hold_colons_and_commas() -> None:
    assert parse_wording("warm:rec_intro_popular:en=Hot: this week, all of it") == (
        "warm",
        "rec_intro_popular",
        "en",
        "Hot: this week, all of it",
    )
    for bad in ("warm", "warm:rec_intro_popular", "warm:rec_intro_popular:fr=Salut", "warm:rec_intro_popular:en"):
        with pytest.raises(InvalidInput, match="ARM:MESSAGE_KEY"):
            parse_wording(bad)


@pytest.mark.parametrize(
    ("wordings", "complaint"),
    [
        ({"greeting": {"en": "Hi", "zh": "你好"}}, "cannot vary"),
        ({"rec_intro_popular": {"en": "Hot now:"}}, "zh is missing"),
        ({"rec_intro_popular": {"zh": "热卖:"}}, "en is missing"),
        ({"rec_intro_popular": {"en": "  ", "zh": "热卖:"}}, "en is missing"),
        ({"rec_intro_popular": {"en": "Hot now:", "zh": "热卖:", "fr": "Chaud:"}}, "languages are en and zh"),
        ({"rec_intro_popular": {"en": "Hot {name}:", "zh": "热卖:"}}, "placeholder"),
        ({"rec_intro_popular": {"en": "Hot now:", "zh": "热卖 {"}}, "placeholder"),
        ({"retention_offer": {"en": "x" * 301, "zh": "优惠"}}, "at most 300"),
    ],
)
def test_bad_wordings_are_refused(wordings: dict, complaint: str) -> None:
    with pytest.raises(InvalidInput, match=complaint):
        reply_parameters(wordings)


def test_good_wordings_are_stored_trimmed_and_described() -> None:
    stored = reply_parameters({"retention_offer": {"en": " 15% off: code HELLO15 ", "zh": "九五折:HELLO15"}})
    assert stored == {"wording": {"retention_offer": {"en": "15% off: code HELLO15", "zh": "九五折:HELLO15"}}}
    assert describe(stored) == "wording:retention_offer"
    assert reply_parameters({}) == {}
    assert set(REPLY_KEYS) == {"rec_intro_personal", "rec_intro_popular", "retention_offer", "handoff_promise"}


def test_bad_replies_experiments_are_refused_and_nothing_is_written(session: Session) -> None:
    control, warm = parse_arm("control:50"), parse_arm("warm:50")
    cases = [
        (lambda: with_wordings([control, warm], ["cool:rec_intro_popular:en=Hot:"]), "not one of control, warm"),
        (lambda: with_wordings([control, warm], ["warm:rec_intro_popular:en=Hot:"]), "zh is missing"),
        (lambda: with_wordings([control, warm], ["warm:order_status:en=A:", "warm:order_status:zh=甲"]), "cannot vary"),
        (
            lambda: create_experiment(
                session, "w1", [control, warm], metric="resolved", planned_per_arm=9, surface="replies"
            ),
            "needs a wording in at least one arm",
        ),
        (
            lambda: create_experiment(
                session,
                "w2",
                with_wordings([control, parse_arm("warm:50:strategy=als")], WARM),
                metric="resolved",
                planned_per_arm=9,
                surface="replies",
            ),
            "wordings only",
        ),
        (
            lambda: create_experiment(
                session, "w3", with_wordings([control, warm], WARM), metric="rec_click", planned_per_arm=9
            ),
            "wordings are for replies experiments",
        ),
    ]
    for attempt, complaint in cases:
        with pytest.raises(InvalidInput, match=complaint):
            attempt()
    assert session.scalar(select(func.count()).select_from(Experiment)) == 0


def test_each_arm_gets_its_words_through_arm_for_and_is_exposed_once(session: Session) -> None:
    created = replies_experiment(session)
    assert created.surface == ExperimentSurface.REPLIES
    again = get_experiment(session, "wording")
    assert again.arms[1].parameters["wording"]["rec_intro_personal"] == {
        "en": "Handpicked for you, just now:",
        "zh": "刚为您挑好的:",
    }
    assert again.arms[0].parameters == {}
    people = list(session.scalars(select(Customer.id).where(Customer.erased_at.is_(None)).limit(40)))
    by_arm: dict[str, int] = {}
    for someone in people:
        by_arm.setdefault(created.arms[choose(created.salt, customer_unit(someone), (50, 50))].name, someone)
    assert set(by_arm) == {"control", "warm"}

    warm = arm_for(session, "replies", customer_id=by_arm["warm"], now=T0)
    control = arm_for(session, "replies", customer_id=by_arm["control"], now=T0)
    assert warm is not None and control is not None
    assert warm.arm == "warm" and warm.wording("handoff_promise") == {
        "en": "A colleague has your conversation: they'll answer here.",
        "zh": "同事已接手,会在这里回复您。",
    }
    assert control.arm == "control" and control.wording("rec_intro_personal") is None
    assert warm.varied == control.varied == {"rec_intro_personal", "handoff_promise"}
    assert arm_for(session, "recommendations", customer_id=by_arm["warm"], now=T0) is None  # its own surface

    assert record_exposure(session, warm, "rest", now=T0)
    assert not record_exposure(session, warm, "wechat", now=T0 + timedelta(hours=1))
    assert record_exposure(session, control, "web", now=T0)
    rows = session.execute(
        select(ExperimentExposure.unit, ExperimentExposure.arm_id).where(ExperimentExposure.experiment_id == created.id)
    ).all()
    assert sorted(rows) == sorted(
        [(customer_unit(by_arm["warm"]), warm.arm_id), (customer_unit(by_arm["control"]), control.arm_id)]
    )


def test_a_guest_conversation_has_an_arm_when_the_metric_can_see_it(session: Session) -> None:
    replies_experiment(session)  # metric resolved: guests count
    guest = arm_for(session, "replies", conversation_id="guest-wording", channel="web", now=T0)
    assert guest is not None and guest.customer_id is None and guest.unit.startswith("conversation:")
    assert arm_for(session, "replies", conversation_id="guest-wording", channel="web", now=T0).arm == guest.arm


def test_the_command_line_creates_a_replies_experiment_and_refuses_a_bad_wording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'replies.db'}"
    engine = make_engine(url)
    upgrade(engine)
    create = ["--database-url", url, "experiments", "create"]
    arms = ["--surface", "replies", "--arm", "control:50", "--arm", "warm:50", "--metric", "resolved"]
    english = ["--wording", "warm:rec_intro_popular:en=Hot: now"]
    assert main([*create, "half", *arms, "--sample-size", "50", *english]) == 1
    assert "zh is missing" in capsys.readouterr().err
    chinese = ["--wording", "warm:rec_intro_popular:zh=热卖,此刻"]
    assert main([*create, "hot", *arms, "--sample-size", "50", *english, *chinese]) == 0
    with Session(engine) as session:
        stored = get_experiment(session, "hot")
        assert stored.surface == ExperimentSurface.REPLIES and [a.name for a in stored.arms] == ["control", "warm"]
        assert stored.arms[1].parameters == {"wording": {"rec_intro_popular": {"en": "Hot: now", "zh": "热卖,此刻"}}}
        assert session.scalar(select(func.count()).select_from(Experiment)) == 1
    engine.dispose()

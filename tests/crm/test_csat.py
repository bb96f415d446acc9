"""Satisfaction surveys (#16 item 4) and the service figures that do not flatter (#16 item 5), on hand-built
conversations whose every figure is known, on both databases; and `csat` as an experiment metric."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput
from crm.experiments.definitions import create_experiment, parse_arm, start_experiment
from crm.experiments.outcomes import arm_counts
from crm.migrate import upgrade
from crm.models import (
    Channel,
    Conversation,
    ConversationStatus,
    CsatSurvey,
    Customer,
    ExperimentExposure,
    HandoffRequest,
    HandoffStatus,
    Message,
)
from crm.privacy import erase_customer
from crm.repository import record_reason, record_score, start_survey
from crm.repository.conversations import sender_key
from crm.service_metrics import compute_service, read_conversation
from tests.crm.conftest import empty_database

T0 = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)  # a Monday
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[Session]:
    with empty_database(backend, tmp_path) as engine:
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session


def conversation(
    session: Session,
    status: str,
    turns: Sequence[tuple[str, str | None, str]],
    *,
    sender: str | None = None,
    started: datetime = T0,
    customer_id: int | None = None,
) -> Conversation:
    """`turns`: (who, intent or bot action, text), a minute apart."""
    row = Conversation(
        channel=Channel.WEB,
        sender_key=None if sender is None else sender_key("web", sender),
        status=ConversationStatus(status),
        started_at=started,
        customer_id=customer_id,
        language="en",
    )
    session.add(row)
    session.flush()
    for minute, (who, label, text) in enumerate(turns):
        session.add(
            Message(
                conversation_id=row.id,
                sender=who,
                text=text,
                intent=label if who == "customer" else None,
                action=label if who == "bot" else None,
                created_at=started + timedelta(minutes=minute),
            )
        )
    session.flush()
    return row


def handoff(
    session: Session,
    row: Conversation,
    requested: datetime,
    *,
    agent: str | None = None,
    assigned: datetime | None = None,
    closed: datetime | None = None,
) -> HandoffRequest:
    status = HandoffStatus.CLOSED if closed else HandoffStatus.ASSIGNED if assigned else HandoffStatus.WAITING
    request = HandoffRequest(
        conversation_id=row.id,
        reason="customer asked",
        status=status,
        agent=agent,
        requested_at=requested,
        assigned_at=assigned,
        closed_at=closed,
        priority=0,
    )
    session.add(request)
    session.flush()
    return request


# --- the survey's records ----------------------------------------------------------------------------------


def test_a_survey_after_a_hand_off_is_asked_once_and_answered_once(db: Session) -> None:
    served = conversation(db, "resolved_by_agent", [("customer", "get_refund", "refund please")], sender="web-1")
    handoff(db, served, T0, agent="xiaolin", assigned=T0 + timedelta(minutes=2), closed=T0 + timedelta(minutes=9))
    survey = start_survey(db, "web", "web-1", trigger="handoff", intent="get_refund", language="zh", now=T0)
    assert survey is not None and (survey.conversation_id, survey.agent) == (served.id, "xiaolin")
    assert start_survey(db, "web", "web-1", trigger="ended", intent="greet", language="zh", now=T0) is None
    assert start_survey(db, "web", "web-1", trigger="handoff", intent=None, language="zh", now=T0) is None

    with pytest.raises(InvalidInput):
        record_score(db, "web", "web-1", 6)
    assert record_reason(db, "web", "web-1", "the agent was slow") is False  # no rating yet
    assert record_score(db, "web", "web-1", 2, now=T0 + timedelta(minutes=1)).score == 2
    assert record_score(db, "web", "web-1", 5) is None  # pressed twice: the first answer stays
    assert record_reason(db, "web", "web-1", "  the agent\nwas slow  " + "x" * 2000) is True
    assert record_reason(db, "web", "web-1", "again") is False
    row = db.scalars(select(CsatSurvey)).one()
    assert (row.score, row.agent, row.intent, row.trigger.value, row.language.value) == (
        2,
        "xiaolin",
        "get_refund",
        "handoff",
        "zh",
    )
    assert row.reason is not None and row.reason.startswith("the agent was slow") and len(row.reason) == 1000


def test_no_hand_off_survey_without_a_hand_off_and_an_ended_one_needs_no_transcript_yet(db: Session) -> None:
    assert start_survey(db, "wechat", "wx-2", trigger="handoff", intent=None, language="en", now=T0) is None
    survey = start_survey(db, "wechat", "wx-2", trigger="ended", intent="track_order", language="en", now=T0)
    assert survey is not None and survey.agent is None
    assert db.get(Conversation, survey.conversation_id).sender_key == sender_key("wechat", "wx-2")
    assert record_score(db, "web", "wx-2", 5) is None  # the same id on another channel is another sender
    assert record_score(db, "wechat", "wx-2", 5).score == 5
    assert record_reason(db, "wechat", "wx-2", "great") is False  # a reason follows a low score only


def test_erasure_keeps_the_score_and_deletes_the_reason(db: Session) -> None:
    person = Customer(name="erased", created_at=T0 - timedelta(days=30))
    db.add(person)
    db.flush()
    conversation(db, "resolved_by_bot", RESOLVED_TRACKING, sender="web-gone", customer_id=person.id)
    start_survey(db, "web", "web-gone", trigger="ended", intent="track_order", language="en", now=T0)
    record_score(db, "web", "web-gone", 1)
    record_reason(db, "web", "web-gone", "my name is Wang Fang and the parcel never came")
    erase_customer(db, person.id, actor="test")
    db.expire_all()
    row = db.scalars(select(CsatSurvey)).one()
    assert (row.score, row.reason) == (1, None)


# --- containment and fallbacks --------------------------------------------------------------------------------


STUCK_REFUND = [
    ("customer", "get_refund", "I want a refund"),
    ("bot", "action_ask_order_id", "Which order?"),
    ("customer", "thank", "thanks"),
    ("bot", "utter_you_are_welcome", "You're welcome"),
]
RESOLVED_TRACKING = [
    ("customer", "track_order", "where is KL1"),
    ("bot", "action_track_order", "It is on its way"),
    ("customer", "goodbye", "bye"),
    ("bot", "utter_goodbye", "Bye"),
    ("bot", "action_ask_csat", "How did we do?"),
]
REPHRASED_FAQ = [
    ("customer", "nlu_fallback", "can i pay later"),
    ("bot", "action_answer_faq", "We accept Alipay and WeChat Pay."),
    ("customer", "nlu_fallback", "i mean pay in instalments"),
    ("bot", "action_answer_faq", "Huabei instalments are available."),
    ("customer", "thank", "thanks"),
]


def test_a_stuck_refund_is_not_resolved_by_the_bot_and_a_rephrase_is_a_fallback(db: Session) -> None:
    conversation(db, "resolved_by_bot", STUCK_REFUND)
    conversation(db, "resolved_by_bot", RESOLVED_TRACKING)
    conversation(db, "resolved_by_bot", REPHRASED_FAQ)
    conversation(db, "resolved_by_bot", [("customer", "complaint", "this is awful"), ("bot", "action_x", "Sorry")])
    handed = conversation(db, "resolved_by_agent", [("customer", "contact_human_agent", "a person")])
    handoff(db, handed, T0, agent="a", assigned=T0 + timedelta(minutes=1), closed=T0 + timedelta(minutes=5))
    figures = compute_service(db, T0 - timedelta(days=1), T0 + timedelta(days=1), SHANGHAI)
    assert figures.conversations == 5 and figures.contained == 2  # the tracking, and the FAQ accepted at last
    assert figures.containment == pytest.approx(0.4)
    # failed: the first FAQ answer (rephrased right after); the second was accepted ("thanks")
    assert (figures.customer_messages, figures.failed_messages, figures.rejected_faq_answers) == (9, 1, 1)

    reading = read_conversation(
        [
            Message(sender="customer", intent="check_refund_policy", text="refund policy?"),
            Message(sender="bot", action="action_answer_faq", text="30 days."),
            Message(sender="customer", intent="deny", text="that's not what I asked"),
        ]
    )
    assert (reading.failed_messages, reading.last_request_failed) == (1, True)
    same_words = read_conversation(
        [
            Message(sender="customer", intent="delivery_period", text="How long is shipping?"),
            Message(sender="bot", action="action_answer_faq", text="3-5 days."),
            Message(sender="customer", intent="delivery_options", text="how long is  shipping?"),
        ]
    )
    assert same_words.rejected_faq_answers == 1
    unanswered = read_conversation([Message(sender="customer", intent="nlu_fallback", text="asdf")])
    assert (unanswered.failed_messages, unanswered.last_request_failed) == (1, True)


def test_survey_answers_are_not_requests(db: Session) -> None:
    rating = [{"entity": "csat_score", "value": "2", "start": 0, "end": 1}]
    answered = read_conversation(
        [
            Message(sender="customer", intent="nlu_fallback", text="can i pay later"),
            Message(sender="bot", action="action_answer_faq", text="Huabei is available."),
            Message(sender="customer", intent="review", text='/review{"csat_score": "2"}', entities=rating),
            Message(sender="bot", action="action_ask_csat_reason", text="What went wrong?"),
            Message(sender="customer", intent="nlu_fallback", text="slow"),
            Message(sender="bot", action="action_record_csat_reason", text="Thank you for telling us."),
        ]
    )
    # the FAQ answer was not rejected (what followed answered the survey), and the survey's answers are not counted
    assert (answered.customer_messages, answered.survey_replies, answered.failed_messages) == (1, 2, 0)
    assert answered.left_stuck is False

    # a rating pressed after a hand-off closed starts a conversation in the transcript: not one of the figures
    alone = conversation(db, "resolved_by_bot", [("bot", "action_record_csat", "Thank you for your rating!")])
    db.add(
        Message(
            conversation_id=alone.id,
            sender="customer",
            text='/review{"csat_score": "5"}',
            intent="review",
            entities=[{"entity": "csat_score", "value": "5"}],
            created_at=T0 - timedelta(seconds=1),
        )
    )
    conversation(db, "resolved_by_bot", RESOLVED_TRACKING)
    db.flush()
    figures = compute_service(db, T0 - timedelta(days=1), T0 + timedelta(days=1), SHANGHAI)
    assert (figures.conversations, figures.contained, figures.customer_messages) == (1, 1, 2)


def test_a_low_rating_is_not_contained(db: Session) -> None:
    rated = conversation(db, "resolved_by_bot", RESOLVED_TRACKING, sender="web-low")
    start_survey(db, "web", "web-low", trigger="ended", intent="track_order", language="en", now=T0)
    record_score(db, "web", "web-low", 1)
    assert compute_service(db, T0 - timedelta(days=1), T0 + timedelta(days=1), SHANGHAI).contained == 0
    assert rated.id is not None


# --- waits, agents and CSAT --------------------------------------------------------------------------------------


def test_waits_agents_and_csat(db: Session) -> None:
    end = T0 + timedelta(days=2)
    quick = conversation(
        db,
        "resolved_by_agent",
        [
            ("customer", "get_refund", "refund"),
            ("agent", None, "客服小林 已加入对话"),
            ("agent", None, "Hi, let me check"),
            ("agent", None, "客服小林 left the conversation"),
        ],
        sender="web-q",
    )
    handoff(
        db,
        quick,
        T0,
        agent="xiaolin",
        assigned=T0 + timedelta(seconds=30),
        closed=T0 + timedelta(minutes=20),
    )
    slow = conversation(db, "handed_off", [("customer", "complaint", "awful")], sender="web-s")
    handoff(db, slow, T0, agent="wang", assigned=T0 + timedelta(minutes=10))
    forgotten = conversation(db, "handed_off", [("customer", "contact_human_agent", "人工")])
    handoff(db, forgotten, end - timedelta(minutes=1313))
    for minutes in (1, 1, 2):
        waiting_done = conversation(db, "resolved_by_agent", [("customer", "track_order", "where")])
        handoff(
            db,
            waiting_done,
            T0,
            agent="xiaolin",
            assigned=T0 + timedelta(minutes=minutes),
            closed=T0 + timedelta(minutes=minutes + 4),
        )

    start_survey(db, "web", "web-q", trigger="handoff", intent="get_refund", language="en", now=T0 + timedelta(hours=1))
    record_score(db, "web", "web-q", 5)
    ended = conversation(db, "resolved_by_bot", RESOLVED_TRACKING, sender="web-e", started=T0 + timedelta(days=1))
    start_survey(db, "web", "web-e", trigger="ended", intent="track_order", language="en", now=T0 + timedelta(days=1))
    record_score(db, "web", "web-e", 2)
    assert ended.id
    start_survey(db, "web", "web-s", trigger="ended", intent="complaint", language="en", now=T0 + timedelta(days=1))

    figures = compute_service(db, T0 - timedelta(days=7), end, SHANGHAI)
    assert sorted(figures.waits_minutes) == pytest.approx([0.5, 1, 1, 2, 10, 1313])
    assert figures.median_wait == pytest.approx(1.5) and figures.p90_wait == pytest.approx(661.5)
    assert figures.open_waits == 1 and figures.longest_open_wait_minutes == pytest.approx(1313)

    agents = {a.agent: a for a in figures.agents}
    assert set(agents) == {"xiaolin", "wang"}
    assert (agents["xiaolin"].handoffs, agents["xiaolin"].closed) == (4, 4)
    # the joined notice is not a response: the first real message came two minutes after the request
    assert agents["xiaolin"].first_response_minutes == pytest.approx([2.0])
    assert agents["xiaolin"].median_handle == pytest.approx(4.0)  # 19.5, 4, 4, 4
    assert agents["wang"].first_response_minutes == [] and agents["wang"].handle_minutes == []

    total = figures.csat_total
    assert (total.asked, total.answered, total.satisfied) == (3, 2, 1)
    assert total.response_rate == pytest.approx(2 / 3) and total.csat == pytest.approx(0.5)
    assert figures.csat_by_agent["xiaolin"].average == pytest.approx(5.0)
    assert figures.csat_by_agent[""].asked == 2 and figures.csat_by_agent[""].response_rate == pytest.approx(0.5)
    assert figures.csat_by_intent["track_order"].csat == 0
    assert list(figures.csat_by_week) == [date(2026, 11, 2)]


def test_an_empty_window(db: Session) -> None:
    figures = compute_service(db, T0, T0 + timedelta(days=1), SHANGHAI)
    assert (figures.containment, figures.fallback_rate, figures.median_wait, figures.p90_wait) == (None,) * 4
    assert figures.longest_open_wait_minutes is None and figures.agents == []
    assert figures.csat_total.response_rate is None and figures.csat_total.csat is None


# --- csat as an experiment metric -----------------------------------------------------------------------------


def test_csat_converts_a_unit_that_rates_4_or_5_after_its_exposure(db: Session) -> None:
    people = [Customer(name=n, created_at=T0 - timedelta(days=30)) for n in ("a", "b", "c", "d")]
    db.add_all(people)
    db.flush()
    created = create_experiment(
        db,
        "csat-wording",
        [parse_arm("control:50"), parse_arm("als:50:strategy=als")],
        metric="csat",
        planned_per_arm=100,
        target="all",
        now=T0 - timedelta(days=2),
    )
    start_experiment(db, "csat-wording", at=T0 - timedelta(days=1))
    for index, person in enumerate(people):
        db.add(
            ExperimentExposure(
                experiment_id=created.id,
                arm_id=created.arms[index % 2].id,
                unit=f"customer:{person.id}",
                customer_id=person.id,
                channel=Channel.WEB,
                exposed_at=T0,
            )
        )
    a, b, c, d = people
    ratings = ((a, 5, T0 + timedelta(hours=1)), (b, 4, T0 - timedelta(hours=1)), (c, 3, T0 + timedelta(hours=2)))
    for person, score, at in ratings:
        sender = f"web-{person.name}"
        conversation(db, "resolved_by_bot", RESOLVED_TRACKING, sender=sender, customer_id=person.id, started=at)
        start_survey(db, "web", sender, trigger="ended", intent="track_order", language="en", now=at)
        record_score(db, "web", sender, score, now=at + timedelta(minutes=1))
    db.flush()
    counts = arm_counts(db, created, T0 + timedelta(days=60))
    # arm 0: a (5 after the exposure) and c (3): one of two; arm 1: b (4, before the exposure) and d (none)
    assert [(x.analysed, x.conversions) for x in counts] == [(2, 1), (2, 0)]

"""One bad event must not stop the feedback loop (issue #18, part two).

Before: the consumer parsed a whole batch at once and applied it in one transaction, so one broken row
(a REST sender id longer than 128 characters, broken JSON, a text that is a dict...) failed the batch,
the source was called "unavailable" and the same batch was retried every 30 s forever, the position
frozen. After: each event is checked and bounded, applied in a savepoint of its own, and the bad ones
are set aside in `dead_letters` (listed, replayed, dropped by `python -m crm dead-letters`) while the
good ones all arrive, exactly once. Every test here fails on the code before the change.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.consumer import FeedbackWriter, RabbitEventSource, SqlEventSource, consume_once
from crm.db import session_factory
from crm.demo import DemoConfig
from crm.models import AuditEntry, Conversation, DeadLetter, DeadLetterStatus, Message
from crm.repository import list_dead_letters, sender_key
from crm.repository.dead_letters import record_dead_letter
from tests.crm.test_consumer import EventLog, conversation_events, counts, rabbitmq  # noqa: F401 - a fixture
from tests.demo_crm import demo_crm_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_crm_url(
        tmp_path_factory.mktemp("poison"), DemoConfig(customers=40, products=60, interactions=800, seed=5)
    )


@pytest.fixture(scope="module")
def crm(crm_url: str) -> sessionmaker[Session]:
    return session_factory(crm_url)


def user(sender: str, text: Any = "hello", at: float | None = None, **extra: Any) -> dict[str, Any]:
    event = {
        "event": "user",
        "sender_id": sender,
        "timestamp": at or time.time(),
        "text": text,
        "input_channel": "rest",
        "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []},
    }
    event.update(extra)
    return event


def poison(tag: str) -> list[tuple[str, str]]:
    """(payload as the broker holds it, what it is) of every kind of event that cannot be applied."""
    now = time.time()
    s = f"poison-{tag}"
    cases: list[tuple[Any, str]] = [
        (user("x" * 600, at=now), "a sender id longer than any channel gives out"),
        (user(s, {"text": "a dict"}, at=now + 1), "text of the wrong type"),
        (user(s, at=now + 2, parse_data=["not", "an", "object"]), "parse_data of the wrong type"),
        (user(s, at=now + 3, parse_data={"intent": {"name": "greet", "confidence": "high"}}), "confidence a string"),
        (user(s, at=now + 4, parse_data={"intent": {"name": 42}}), "intent name a number"),
        (
            user(s, at=now + 5, parse_data={"entities": [{"entity": "product", "value": {"x": 1}}]}),
            "entity value a dict",
        ),
        ({**user(s), "timestamp": "yesterday"}, "timestamp a string"),
        ({**user(s), "sender_id": ["a", "list"]}, "sender id a list"),
        ({"event": "slot", "sender_id": s, "timestamp": now + 6, "name": "rating", "value": "five"}, "rating a string"),
        ({"event": "drop_tables", "sender_id": s, "timestamp": now + 7}, "an unknown event name"),
        ({"sender_id": s, "timestamp": now + 8, "text": "no event name"}, "the event name missing"),
        ({"event": "bot", "sender_id": s, "text": "no timestamp"}, "the timestamp missing"),
        (user(s, "lone \ud800 surrogate", at=now + 9), "a text the CRM cannot store (it cannot be encrypted)"),
    ]
    payloads = [(json.dumps(event), what) for event, what in cases]
    payloads += [
        ('{"event": "user", "sender_id": "' + s, "broken JSON"),
        ("[1, 2, 3]", "JSON that is no object"),
        ("", "an empty row"),
    ]
    return payloads


def dead_letters(crm: sessionmaker[Session], source: str) -> list[DeadLetter]:
    with crm() as session:
        return list(session.scalars(select(DeadLetter).where(DeadLetter.source == source)))


def publish_rows(log: EventLog, rows: list[tuple[str, str]]) -> None:
    """Rows as they are, broken or not (EventLog.publish takes events only)."""
    from sqlalchemy import text

    with log.engine.begin() as connection:
        for sender, data in rows:
            connection.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"), {"s": sender, "d": data})


def test_poison_in_the_sql_broker_is_set_aside_and_every_good_event_arrives_once(
    crm: sessionmaker[Session], tmp_path: Path
) -> None:
    """Good conversations before, between and after every kind of poison: all of them written once, the
    poison in dead letters (one each, with a reason), the position at the end. Before: the first bad row
    raised out of `consume_once` and nothing after it was ever read."""
    log = EventLog(tmp_path / "events.db")
    good = [f"good-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    bad = poison(uuid.uuid4().hex[:6])
    start = time.time()
    log.publish(conversation_events(good[0], "web", "tea", start))
    publish_rows(log, [(f"poison-{i}", payload) for i, (payload, _) in enumerate(bad[: len(bad) // 2])])
    log.publish(conversation_events(good[1], "wechat", "tea", start + 1))
    publish_rows(log, [(f"poison-{i}", payload) for i, (payload, _) in enumerate(bad[len(bad) // 2 :])])
    log.publish(conversation_events(good[2], "rest", "tea", start + 2))

    source = SqlEventSource(log.url)
    stats = consume_once(crm, source, FeedbackWriter(), batch=7)

    assert source.lag(crm) == 0
    assert stats.dead_letters == len(bad) and stats.messages == 7 * len(good)
    assert [counts(crm, sender) for sender in good] == [(7, 0)] * len(good)
    letters = dead_letters(crm, source.name)
    assert len(letters) == len(bad)
    assert all(letter.status is DeadLetterStatus.PENDING and letter.reason for letter in letters)
    assert {letter.payload for letter in letters} == {payload for payload, _ in bad}
    reasons = " | ".join(letter.reason for letter in letters)
    for expected in (
        "sender_id of 600 characters",
        "text is a dict",
        "unknown event name 'drop_tables'",
        "missing event",
        "missing timestamp",
        "not JSON",
        "UnicodeEncodeError",
    ):
        assert expected in reasons

    again = consume_once(crm, SqlEventSource(log.url, name="a-second-reader"), FeedbackWriter())
    assert again.messages == 0 and again.duplicates == 7 * len(good)
    assert [counts(crm, sender) for sender in good] == [(7, 0)] * len(good)


def test_a_rolled_back_event_leaves_no_trace_and_the_sender_carries_on(
    crm: sessionmaker[Session], tmp_path: Path
) -> None:
    """The first message of a new sender that the CRM cannot store opened a conversation inside its
    savepoint; that conversation goes with the rollback (and the consumer forgets it), so the sender's
    next good message starts a conversation that really exists."""
    log = EventLog(tmp_path / "events.db")
    sender = f"surrogate-{uuid.uuid4().hex[:6]}"
    now = time.time()
    publish_rows(
        log,
        [
            (sender, json.dumps(user(sender, "lone \ud800 here", at=now))),
            (sender, json.dumps(user(sender, "hello again", at=now + 1))),
        ],
    )
    stats = consume_once(crm, SqlEventSource(log.url), FeedbackWriter())
    assert (stats.dead_letters, stats.messages) == (1, 1)
    with crm() as session:
        conversations = session.scalars(
            select(Conversation).where(Conversation.sender_key == sender_key("rest", sender))
        ).all()
        assert len(conversations) == 1
        texts = session.scalars(select(Message.text).where(Message.conversation_id == conversations[0].id)).all()
    assert texts == ["hello again"]


def test_oversized_but_well_typed_fields_are_bounded_not_refused(crm: sessionmaker[Session], tmp_path: Path) -> None:
    """The issue's event: a REST sender id of 200 characters (no identity is that long, so the
    conversation is recorded as anonymous), a 50 000-character text (cut), an intent name of 300
    characters (no intent is called that: none) and a 5 000-character entity value (cut). Before:
    `find_customer` raised InvalidInput on the sender id and the stream stopped."""
    log = EventLog(tmp_path / "events.db")
    long_sender = "r" * 200
    event = user(
        long_sender,
        "y" * 50_000,
        parse_data={
            "intent": {"name": "i" * 300, "confidence": 7},
            "entities": [{"entity": "product", "value": "tea" + "z" * 5000, "start": 0, "end": 3}],
        },
    )
    log.publish([event])
    stats = consume_once(crm, SqlEventSource(log.url), FeedbackWriter())
    assert (stats.dead_letters, stats.messages) == (0, 1)
    with crm() as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.sender_key == sender_key("rest", long_sender))
        ).one()
        message = session.scalars(select(Message).where(Message.conversation_id == conversation.id)).one()
    assert conversation.customer_id is None
    assert len(message.text) == 8000 and message.intent is None and message.confidence == 1.0
    assert message.entities is not None and len(message.entities[0]["value"]) == 200


def test_the_consume_command_moves_past_the_issues_event_and_says_so(
    crm_url: str, crm: sessionmaker[Session], tmp_path: Path
) -> None:
    """`python -m crm consume --once` on a stream with a 129-character REST sender and broken JSON in
    it: exit 0, lag 0, an error logged with the count, the good conversation written. Before: the
    command died on the first of them."""
    log = EventLog(tmp_path / "events.db")
    good = f"after-{uuid.uuid4().hex[:6]}"
    log.publish([user("s" * 129)])
    publish_rows(log, [("broken", "{not json")])
    log.publish(conversation_events(good, "web", "tea", time.time()))
    done = subprocess.run(
        [sys.executable, "-m", "crm", "--database-url", crm_url, "consume", "--events-url", log.url, "--once"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "lag 0" in done.stdout and "1 set aside as dead letters" in done.stdout
    assert "1 event(s) set aside as dead letters in this batch" in done.stderr
    assert counts(crm, good) == (7, 0)
    stats = subprocess.run(
        [sys.executable, "-m", "crm", "--database-url", crm_url, "stats"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert stats.returncode == 0 and "dead letters waiting" in stats.stdout


def test_dead_letters_are_listed_shown_replayed_and_dropped(crm_url: str, crm: sessionmaker[Session]) -> None:
    """The staff's tools: `list_dead_letters` (no payloads), `python -m crm dead-letters` to list, --show
    (audited), --retry (applies a letter whose event is good now; one still bad stays pending with the
    reason) and --drop (payload deleted, audited)."""
    sender = f"replay-{uuid.uuid4().hex[:6]}"
    replayable = json.dumps(user(sender, "my parcel is late"))
    with crm() as session, session.begin():
        good_id = record_dead_letter(session, source="test", payload=replayable, reason="refused by an old version")
        bad_id = record_dead_letter(session, source="test", payload="{broken", reason="not JSON")
        assert good_id is not None and bad_id is not None
        assert record_dead_letter(session, source="test", payload="{broken", reason="again") is None  # redelivered
    with crm() as session:
        listed = {letter.id: letter for letter in list_dead_letters(session, limit=100)}
    assert {good_id, bad_id} <= set(listed) and not hasattr(listed[good_id], "payload")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crm", "--database-url", crm_url, "dead-letters", *args, "--actor", "test:staff"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    listing = cli()
    assert listing.returncode == 0 and "refused by an old version" in listing.stdout and sender not in listing.stdout
    shown = cli("--show", str(good_id))
    assert shown.returncode == 0 and "my parcel is late" in shown.stdout
    assert cli("--retry", str(good_id)).returncode == 0
    assert counts(crm, sender) == (1, 0)
    assert cli("--retry", str(good_id)).returncode == 1  # not pending any more
    refused = cli("--retry", str(bad_id))
    assert refused.returncode == 1 and "not JSON" in refused.stderr
    assert cli("--drop", str(bad_id)).returncode == 0
    with crm() as session:
        letters = {d.id: d for d in session.scalars(select(DeadLetter).where(DeadLetter.id.in_([good_id, bad_id])))}
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "test:staff")))
    assert letters[good_id].status is DeadLetterStatus.RETRIED
    assert letters[bad_id].status is DeadLetterStatus.DROPPED and letters[bad_id].payload is None
    assert letters[bad_id].attempts == 2
    assert {"read_dead_letter", "retry_dead_letter", "drop_dead_letter"} <= actions


# --- RabbitMQ ------------------------------------------------------------------------------------


def test_poison_on_rabbitmq_is_set_aside_acknowledged_and_good_events_arrive_once(
    rabbitmq: str, crm: sessionmaker[Session]
) -> None:  # noqa: F811 - the fixture
    """The same on a queue of the test's own (deleted afterwards), plus a body that is not UTF-8: the
    queue drains, every good event is written once, every bad one is one dead letter. Before: the first
    bad body raised out of the batch and the queue never drained."""
    import pika

    queue = f"kelian-poison-{uuid.uuid4().hex[:8]}"
    good = [f"rabbit-good-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    bad = [payload.encode("utf-8", "surrogatepass") for payload, _ in poison(uuid.uuid4().hex[:6])]
    bad.append(b"\xff\xfe not utf-8")
    start = time.time()
    bodies = [json.dumps(e).encode() for e in conversation_events(good[0], "wechat", "tea", start)]
    bodies += bad[: len(bad) // 2]
    bodies += [json.dumps(e).encode() for e in conversation_events(good[1], "wechat", "tea", start + 1)]
    bodies += bad[len(bad) // 2 :]
    bodies += [json.dumps(e).encode() for e in conversation_events(good[2], "wechat", "tea", start + 2)]
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq))
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)
    try:
        for body in bodies:
            channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
        source = RabbitEventSource(rabbitmq, queue, name=queue)
        stats = consume_once(crm, source, FeedbackWriter(), batch=5)
        assert source.lag(crm) == 0
        assert stats.dead_letters == len(bad) and stats.messages == 7 * len(good)
        assert [counts(crm, sender) for sender in good] == [(7, 0)] * len(good)
        assert len(dead_letters(crm, queue)) == len(bad)
    finally:
        channel.queue_delete(queue)
        connection.close()


def test_erasure_deletes_the_customers_words_from_dead_letters(crm: sessionmaker[Session], tmp_path: Path) -> None:
    """A customer's event that was set aside keeps their words in `dead_letters`; erasing the customer
    deletes that payload too (the letter becomes dropped), and leaves other people's letters alone.
    Before: there were no dead letters; an erasure cannot have reached them."""
    from crm.privacy import erase_customer
    from crm.repository import find_customer

    log = EventLog(tmp_path / "events.db")
    theirs = user("wx-demo-li", {"my address is": "..."}, input_channel="wechat")
    others = user("someone-else", {"not": "li"})
    publish_rows(log, [("wx-demo-li", json.dumps(theirs)), ("someone-else", json.dumps(others))])
    source = SqlEventSource(log.url)
    assert consume_once(crm, source, FeedbackWriter()).dead_letters == 2
    with crm() as session, session.begin():
        report = erase_customer(session, find_customer(session, "wechat", "wx-demo-li").id, actor="test:dpo")
    assert report.dead_letters_blanked == 1
    letters = {letter.payload is None: letter for letter in dead_letters(crm, source.name)}
    kept = letters[False].payload
    assert letters[True].status is DeadLetterStatus.DROPPED and kept is not None and "someone-else" in kept

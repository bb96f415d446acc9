"""Hand-offs: the Rasa sender behind a queued conversation, taking one, and erasure of the sender id."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from crm.db import transaction
from crm.errors import NotAllowed
from crm.models import HandoffRequest, HandoffStatus, StaffRole
from crm.privacy import erase_customer
from crm.repository import create_customer, open_conversation, record_message, request_handoff
from console import handoffs
from console.accounts import StaffUserView
from console.rasa import live_messages

T0 = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def staff(name: str, role: str = "agent") -> StaffUserView:
    return StaffUserView(1, name, StaffRole(role), False, False, None, 0, T0, None)


def test_the_sender_id_is_stored_encrypted_and_resolved_first(empty: sessionmaker[Session]) -> None:
    with transaction(empty) as session:
        conversation = open_conversation(session, "web", "guest-abc123")
        handoff_id = request_handoff(session, conversation, reason="customer asked", sender_id=" guest-abc123 ")
        assert handoffs.case(session, handoff_id).sender_id == "guest-abc123"
        # Asking again while it waits changes nothing (idempotent).
        assert request_handoff(session, conversation, reason="again", sender_id="other") == handoff_id
    with empty() as session:
        stored = session.execute(
            text("SELECT sender_id FROM handoff_requests WHERE id = :id"), {"id": handoff_id}
        ).scalar_one()
        assert b"guest-abc123" not in bytes(stored)


def test_the_sender_from_the_summary_or_the_customers_identity(empty: sessionmaker[Session]) -> None:
    with transaction(empty) as session:
        first = open_conversation(session, "web", "guest-1")
        from_summary = request_handoff(session, first, reason="x", summary="sender: guest-1\ncustomer: help")
        alice = create_customer(
            session, name="Alice", language="en", identities=[("rest", "shop-user-7"), ("web", "shop-user-7-web")]
        )
        second = open_conversation(session, "rest", "shop-user-7", customer_id=alice.id)
        from_identity = request_handoff(session, second, reason="x")
        third = open_conversation(session, "web", "guest-2")
        unknown = request_handoff(session, third, reason="x", summary="customer: help")
        assert handoffs.case(session, from_summary).sender_id == "guest-1"
        assert handoffs.case(session, from_identity).sender_id == "shop-user-7"
        assert handoffs.case(session, unknown).sender_id is None


def test_taking_serving_and_handing_back(empty: sessionmaker[Session]) -> None:
    with transaction(empty) as session:
        conversation = open_conversation(session, "rest", "s-1")
        handoff_id = request_handoff(session, conversation, reason="x", sender_id="s-1")
        handoffs.take(session, handoff_id, staff("mei"))
        handoffs.take(session, handoff_id, staff("mei"))  # taking one's own again is fine
        with pytest.raises(NotAllowed, match="mei has already taken"):
            handoffs.take(session, handoff_id, staff("li"))
        with pytest.raises(NotAllowed):
            handoffs.finish(session, handoff_id, staff("li"))
        assert handoffs.may_serve(handoffs.case(session, handoff_id).handoff, staff("boss", "supervisor"))
        handoffs.finish(session, handoff_id, staff("mei"))
        assert session.get(HandoffRequest, handoff_id).status == HandoffStatus.CLOSED
        with pytest.raises(NotAllowed, match="handed back"):
            handoffs.take(session, handoff_id, staff("mei"))


def test_the_inbox_serves_priority_then_the_longest_wait(empty: sessionmaker[Session]) -> None:
    with transaction(empty) as session:
        ids = []
        for index, priority in enumerate((0, 10, 0)):
            conversation = open_conversation(session, "web", f"guest-{index}")
            ids.append(
                request_handoff(
                    session,
                    conversation,
                    reason="x",
                    priority=priority,
                    now=datetime(2026, 3, 1, 9, index, tzinfo=timezone.utc),
                )
            )
        waiting, serving = handoffs.inbox(session, now=datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc))
    assert [item.handoff.id for item in waiting] == [ids[1], ids[0], ids[2]] and serving == []
    assert [item.waited_minutes for item in waiting] == [29, 30, 28]


def test_erasure_forgets_the_sender_id(empty: sessionmaker[Session]) -> None:
    with transaction(empty) as session:
        customer = create_customer(session, name="Erin", identities=[("web", "erin-1")])
        conversation = open_conversation(session, "web", "erin-1", customer_id=customer.id)
        record_message(session, conversation, "customer", "human please")
        handoff_id = request_handoff(session, conversation, reason="x", sender_id="erin-1")
        erase_customer(session, customer.id, actor="test")
        assert session.get(HandoffRequest, handoff_id).sender_id is None


def test_the_live_exchange_comes_from_the_current_session() -> None:
    tracker = {
        "events": [
            {"event": "user", "text": "old session"},
            {"event": "session_started"},
            {
                "event": "user",
                "text": "help",
                "timestamp": 1.0,
                "parse_data": {"intent": {"name": "greet", "confidence": 0.9}},
            },
            {"event": "action", "name": "utter_greet"},
            {"event": "bot", "text": "Hi!", "timestamp": 2.0},
            {"event": "action", "name": "action_agent_message"},
            {"event": "bot", "text": "This is Mei.", "timestamp": 3.0},
            {"event": "user", "text": "  "},
        ]
    }
    assert [(m["who"], m["text"]) for m in live_messages(tracker)] == [
        ("customer", "help"),
        ("bot", "Hi!"),
        ("agent", "This is Mei."),
    ]

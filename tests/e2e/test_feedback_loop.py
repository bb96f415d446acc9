"""The feedback loop with the whole stack running: what a customer says over REST reaches the CRM
through Rasa's event broker and the feedback consumer that `make run` starts."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Conversation, CustomerInterest, Message
from crm.repository import find_customer, sender_key

pytestmark = pytest.mark.e2e


def test_a_conversation_shows_up_in_the_crm_with_its_intents(stack, alice, in_crm):
    stack.say(alice, "can you check where my parcel is")
    stack.say(alice, "KL20250104")

    def transcript(session: Session) -> tuple[int | None, list[tuple[str, str | None, str | None, str]]]:
        conversation = session.scalar(select(Conversation).where(Conversation.sender_key == sender_key("rest", alice)))
        if conversation is None:
            return None, []
        messages = session.scalars(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
        ).all()
        return conversation.customer_id, [(m.sender.value, m.intent, m.action, m.text) for m in messages]

    deadline = time.monotonic() + 120
    customer_id, messages = in_crm(transcript)
    while sum(1 for m in messages if m[0] == "customer") < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        customer_id, messages = in_crm(transcript)
    alice_id = in_crm(lambda s: find_customer(s, "rest", "demo-alice").id)
    assert customer_id == alice_id
    customer_turns = [m for m in messages if m[0] == "customer"]
    assert [m[3] for m in customer_turns] == ["can you check where my parcel is", "KL20250104"]
    assert customer_turns[0][1] == "track_order"
    assert any(m[0] == "bot" and m[2] == "action_track_order" and "KL20250104" in m[3] for m in messages)
    tags = in_crm(
        lambda s: set(s.scalars(select(CustomerInterest.tag).where(CustomerInterest.customer_id == alice_id)))
    )
    assert "topic:orders" in tags

"""A pressed button reads as its title for the agent (#13), with the whole stack running: the handoff
summary the action server writes and the transcript the feedback consumer stores, in both languages."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Conversation, HandoffRequest, Message
from crm.repository import sender_key
from tests.e2e.test_dialogue_digressions import texts

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "complaint, title",
    [
        ("快递员态度很恶劣,我要投诉他", "好的,转人工"),
        ("i want to file a complaint, the box arrived crushed", "Yes, a person please"),
    ],
)
def test_the_agent_reads_the_title_of_the_button_the_customer_pressed(stack, customer, in_crm, complaint, title):
    replies = stack.say(customer, complaint)
    assert {b["title"]: b["payload"] for r in replies for b in r.get("buttons") or []}[title] == "/contact_human_agent"
    reply = texts(stack.say(customer, "/contact_human_agent"))
    assert "人工客服" in reply or "colleague" in reply
    key = sender_key("rest", stack.conversation_id(customer))

    def written(session: Session) -> tuple[str | None, list[str]]:
        conversation = session.scalar(select(Conversation.id).where(Conversation.sender_key == key))
        summary = session.scalar(select(HandoffRequest.summary).where(HandoffRequest.conversation_id == conversation))
        said = session.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation, Message.sender == "customer")
            .order_by(Message.id)
        ).all()
        return summary, list(said)

    deadline = time.monotonic() + 120
    summary, said = in_crm(written)
    while len(said) < 2 and time.monotonic() < deadline:  # the consumer reads the event broker every second
        time.sleep(0.5)
        summary, said = in_crm(written)
    assert summary is not None and f"]: {title}" in summary and "/contact_human_agent" not in summary
    assert said == [complaint, title]

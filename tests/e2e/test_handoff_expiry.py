"""A request for a person that nobody takes expires into a ticket (#16 item 3), against the whole stack: a
signed-in REST customer asks for a person, in English or in Chinese; no agent takes it; the console's
periodic pass (`console.queue.run_pass`, the work the console's loop does every 30 s) runs with an expiry
of one minute at a clock one minute past the request — no sleeping for the expiry — against the stack's
CRM and Rasa server. The customer is told, in their language and in Rasa's tracker (where a REST customer's
messages are), that ticket TK… holds their request; the CRM holds that ticket; and the conversation is the
assistant's again: the next message is answered by the bot.

The stack's own console runs with no expiry (the default), so only the pass of the test expires anything."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.hours import QueueSettings
from crm.models import HandoffRequest, HandoffStatus, Ticket, TicketStatus
from crm.repository import find_customer
from crm.repository.queue import Expired
from console.queue import EXPIRED, run_pass
from console.rasa import RasaClient
from console.web import Database
from devstack.stack import Stack
from tests.e2e.conftest import new_identity
from tests.e2e.test_console import _handoff_of, eventually, texts

pytestmark = pytest.mark.e2e

EXPIRY = QueueSettings(auto_assign=False, expiry_minutes=1)


def expire_now(stack: Stack, crm: sessionmaker[Session], handoff_id: int) -> list[Expired]:
    """The console's pass, at a clock just past the request's expiry."""
    with crm() as session:
        handoff = session.get(HandoffRequest, handoff_id)
        assert handoff is not None
        requested = handoff.requested_at

    async def run() -> list[Expired]:
        rasa = RasaClient(stack.config.rasa_url, stack.token, timeout=60)
        try:
            return await run_pass(Database(crm), rasa, EXPIRY, now=requested + timedelta(minutes=1, seconds=5))
        finally:
            await rasa.close()

    # In a thread of its own: the browser tests that ran before in this process leave Playwright's event loop
    # running in the main thread, where asyncio.run refuses to start another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=120)


@pytest.mark.parametrize(
    ("who", "lang", "ask", "queued"),
    [
        ("demo-alice", "en", "i want to talk to a real person", "expected wait"),
        ("demo-li", "zh", "我要转人工", "已为您转接人工客服"),
    ],
    ids=["en", "zh"],
)
def test_a_request_nobody_takes_expires_into_a_ticket_and_the_assistant_answers_again(
    stack: Stack, crm: sessionmaker[Session], who: str, lang: str, ask: str, queued: str
) -> None:
    sender = stack.sign_in(new_identity(crm, who))
    assert queued in texts(stack.say(sender, ask))
    assert stack.tracker(sender)["paused"]
    handoff_id = eventually(lambda: _handoff_of(crm, "rest", stack.conversation_id(sender)), "the hand-off")

    expired = [item for item in expire_now(stack, crm, handoff_id) if item.handoff_id == handoff_id]
    assert len(expired) == 1 and expired[0].language == lang
    number = expired[0].ticket_number
    assert number is not None and number.startswith("TK")

    # the customer is told on their channel, in their language, with the ticket's number
    words = EXPIRED["ticket"][1 if lang == "zh" else 0].format(ticket=number)
    told = [e.get("text") for e in stack.tracker(sender)["events"] if e.get("event") == "bot"]
    assert told[-1] == words and number in told[-1]
    assert ("工单" if lang == "zh" else "ticket") in told[-1]

    # the CRM holds the ticket, the customer's, linked to the hand-off, which is closed
    with crm() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        handoff = session.get(HandoffRequest, handoff_id)
        assert ticket is not None and handoff is not None
        assert ticket.customer_id == find_customer(session, "rest", who).id
        assert ticket.status == TicketStatus.OPEN and ticket.language == lang
        assert ticket.sender_id == stack.conversation_id(sender) and ticket.channel == "rest"
        assert handoff.status == HandoffStatus.CLOSED and handoff.ticket_id == ticket.id
        assert handoff.expired_at is not None

    # back with the assistant: not paused, and the next message is answered by the bot
    assert not stack.tracker(sender)["paused"]
    answer = texts(stack.say(sender, "你好" if lang == "zh" else "hello"))
    assert ("客连" if lang == "zh" else "Kelian") in answer  # the assistant's greeting, in the customer's language

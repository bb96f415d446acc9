"""Queue operations on the bot's side (#16 item 3): outside business hours a customer who asks for a person
is told when people are back and gets a ticket instead of a place in the queue; inside them, the wait they
are told comes from the real queue (their place, the agents online, the recent median handle time), and
"nobody is online" instead of a made-up figure. The request is routed round-robin when it is queued.

Every ticket the assistant opens carries one promise, its type's (`ticket_promise`, #16 item 7), and a
customer has one open ticket of a type (`crm.repository.support.file_ticket`): a complaint's hand-off that
comes outside business hours (or expires) goes to the complaint's ticket."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from crm.hours import QueueSettings, opening_words
from crm.models import Language as CrmLanguage
from crm.models import TicketCategory, TicketPriority
from crm.privacy import utcnow
from crm.repository import open_conversation
from crm.repository.queue import QueueWait, queue_wait, route
from crm.repository.support import FiledTicket, file_ticket
from actions.base import Reply
from actions.identity import crm_channel, identified_customer
from actions.knowledge import fact
from actions.messages import MESSAGES
from actions.runtime import in_crm

log = logging.getLogger(__name__)


# The fact of data/knowledge/policies.yml each type of ticket promises (normal, high or urgent priority); a
# type not named here promises the complaint's figures.
PROMISES: dict[TicketCategory, tuple[str, str]] = {
    TicketCategory.COMPLAINT: ("ticket_reply", "urgent_ticket_reply"),
    TicketCategory.OTHER: ("request_ticket_reply", "request_ticket_reply"),
}


def ticket_promise(category: TicketCategory, priority: TicketPriority, language: CrmLanguage) -> str:
    """The reply time a ticket of `category` and `priority` promises, in `language` ("4 hours", "1 个工作日"):
    one figure per type and priority, from the shop's policy, so that a ticket says the same thing in every
    message and two tickets of a type never promise two things."""
    normal, urgent = PROMISES.get(category, PROMISES[TicketCategory.COMPLAINT])
    name = urgent if priority in (TicketPriority.HIGH, TicketPriority.URGENT) else normal
    return fact(name, "zh" if language == CrmLanguage.ZH else "en")


def settings() -> QueueSettings:
    return QueueSettings.from_environment()


@dataclass(frozen=True)
class Words:
    en: str
    zh: str


def _message(key: str, **values: object) -> Words:
    en, zh = MESSAGES[key]
    return Words(en.format(**values), zh.format(**values))


def wait_words(wait: QueueWait) -> Words:
    """What follows "I've passed our conversation to a colleague": the place, then the estimate or, with
    nobody online, that there is none."""
    ahead = wait.position - 1
    if ahead <= 0:
        place = _message("queue_next")
    elif ahead == 1:
        place = _message("queue_ahead_one")
    else:
        place = _message("queue_ahead", n=ahead)
    if wait.minutes is None:
        estimate = _message("queue_nobody_online")
    elif wait.minutes == 1:
        estimate = _message("queue_estimate_one")
    else:
        estimate = _message("queue_estimate", minutes=wait.minutes)
    return Words(place.en + estimate.en, place.zh + estimate.zh)


def place_in_queue(session: Session, handoff_id: int, now: datetime | None = None) -> QueueWait:
    """Route the new request (round-robin, when on) and tell where it stands."""
    config = settings()
    now = now or utcnow()
    route(session, handoff_id, config, now=now)
    return queue_wait(session, handoff_id, config, now=now)


async def answered_after_hours(reply: Reply, tracker: Tracker, reason: str) -> bool:
    """Outside business hours: say when people are back and give a known customer a ticket with its promise
    (their open ticket of the request's type if they have one: a complaint's for a complaint) (True); inside
    them, False and nothing said."""
    config, now = settings(), utcnow()
    if config.hours.is_open(now):
        return False
    opening = config.hours.next_opening(now)
    when_en = "soon" if opening is None else opening_words(opening, now, "en")
    when_zh = "稍后" if opening is None else opening_words(opening, now, "zh")

    def ticket(session: Session) -> FiledTicket | None:
        customer = identified_customer(session, tracker)
        if customer is None:
            return None
        channel = crm_channel(tracker)
        conversation = open_conversation(
            session, channel, tracker.sender_id, customer_id=customer.id, language=reply.language, now=now
        )
        return file_ticket(
            session,
            customer.id,
            category=TicketCategory.COMPLAINT if reason == "complaint" else TicketCategory.OTHER,
            subject=f"Asked for a person outside business hours ({reason})",
            channel=channel,
            conversation_id=conversation,
            sender_id=tracker.sender_id,  # the console tells the customer here when the ticket closes
            language=reply.language,
            promise=ticket_promise,
            now=now,
        )

    try:
        filed = await in_crm(ticket)
    except Exception:
        log.exception("after-hours ticket failed in conversation %s", tracker.sender_id)
        filed = None
    if filed is None:
        en, zh = MESSAGES["queue_closed_visitor"]
        reply.say(en.format(when=when_en), zh.format(when=when_zh))
        return True
    number, category, priority = filed.ticket.number, filed.ticket.category, filed.ticket.priority
    en, zh = MESSAGES["queue_closed_ticket_added" if filed.added else "queue_closed_ticket"]
    reply.say(
        en.format(when=when_en, ticket=number, promise=ticket_promise(category, priority, CrmLanguage.EN)),
        zh.format(when=when_zh, ticket=number, promise=ticket_promise(category, priority, CrmLanguage.ZH)),
    )
    return True

"""Tickets in the console (#16 item 7): what a ticket's page shows (masked like a transcript) and telling the
customer on their own channel, in their language, that their ticket closed.

The customer is told the way queue expiry tells them (console/queue.py): through Rasa (`RasaClient.say_as_agent`
with no agent name, so it reads as the assistant's message on the web page and on WeChat). The ticket is
marked told before the message goes (`claim_telling`), so two people closing it at once tell the customer
once; a message Rasa did not take is given back, and closing the closed ticket again tries again."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import StaffUser
from crm.privacy import audit
from crm.repository.support import TicketDetail, claim_telling, record_told, release_telling, ticket_detail

from console.customers import personal_data_of
from console.i18n import translate
from console.masking import Masker
from console.rasa import RasaClient, RasaUnavailable
from console.web import Database

log = logging.getLogger(__name__)
TOLD_KEY = "tickets.customer_closed"  # the customer's message, in the catalogue in both languages


@dataclass(frozen=True)
class TicketPage:
    ticket: TicketDetail
    subject: str | None  # masked
    resolution: str | None  # masked
    comments: dict[int, str]  # event index -> masked text
    staff: list[str]  # whom a supervisor may assign it to


def closed_words(language: str, number: str) -> str:
    return translate("en" if language == "en" else "zh", TOLD_KEY, ticket=number)


def assignable(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(StaffUser.username).where(StaffUser.disabled.is_(False)).order_by(StaffUser.username).limit(500)
        )
    )


def page(session: Session, number: str) -> TicketPage:
    """The ticket and its history; the customer's names and ids are masked in every text on it, since a
    comment or the complaint itself may repeat them."""
    ticket = ticket_detail(session, number)
    masker = Masker(*personal_data_of(session, ticket.customer_id))
    return TicketPage(
        ticket,
        None if ticket.subject is None else masker.text(ticket.subject),
        None if ticket.resolution is None else masker.text(ticket.resolution),
        {i: masker.text(e.text) for i, e in enumerate(ticket.events) if e.text},
        assignable(session),
    )


async def tell_closed(db: Database, rasa: RasaClient, number: str, *, actor: str) -> bool | None:
    """Tell the customer their ticket closed. True: told now; None: nothing to tell (told before, not closed,
    or no conversation of theirs known); False: Rasa did not take it (the ticket stays untold)."""
    claimed = await db.run(lambda s: claim_telling(s, number))
    if claimed is None:
        return None
    try:
        await rasa.say_as_agent(claimed.sender_id, closed_words(claimed.language, number), agent="")
    except RasaUnavailable as error:
        log.warning("could not tell the customer that ticket %s closed: %s", number, error)
        await db.run(lambda s: release_telling(s, number))
        return False

    def told(session: Session) -> None:
        record_told(session, number, actor=actor)
        audit(session, actor=actor, action="ticket_told", customer_id=claimed.customer_id, ticket=number)

    await db.run(told)
    return True

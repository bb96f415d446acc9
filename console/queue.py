"""Queue operations in the console process (#16 item 3): the periodic pass that routes waiting requests to
agents online (round-robin) and turns requests that waited too long into tickets, telling each customer on
their own channel (through Rasa, in their language) what happened and what comes next.

The pass runs every PASS_SECONDS in the console's event loop (`worker`, registered in console/app.py), its
database work in a worker thread like every other console call; `run_pass` is the same work for a test."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.orm import Session

from crm.hours import QueueSettings
from crm.privacy import utcnow
from crm.repository.queue import Expired, expire_waiting, route_waiting

from console.rasa import RasaClient, RasaUnavailable
from console.web import Database

log = logging.getLogger(__name__)
PASS_SECONDS = 30.0

# What the customer is told when their request expired (in their language; a plain message of the assistant).
EXPIRED: dict[str, tuple[str, str]] = {
    "ticket": (
        "Sorry for the long wait: no colleague could take your request in time. I've opened ticket {ticket} "
        "with it; a colleague will reply to you on it. Meanwhile I'm here again for anything else.",
        "抱歉让您久等了,暂时没有客服能及时接待您。已为您创建工单 {ticket},客服会通过工单回复您。"
        "其间如有其他问题,仍可以问我。",
    ),
    "visitor": (
        "Sorry for the long wait: no colleague could take your request in time. Please write to us again "
        "later, or sign in so we can open a ticket for you. Meanwhile I'm here again for anything else.",
        "抱歉让您久等了,暂时没有客服能及时接待您。请稍后再联系我们,或登录后由我们为您创建工单。"
        "其间如有其他问题,仍可以问我。",
    ),
}


def expired_words(expired: Expired) -> str:
    en, zh = EXPIRED["visitor" if expired.ticket_number is None else "ticket"]
    return (zh if expired.language == "zh" else en).format(ticket=expired.ticket_number)


Routed = list[tuple[int, str]]  # (hand-off id, agent it went to)


def _work(settings: QueueSettings, now: datetime) -> Callable[[Session], tuple[Routed, list[Expired]]]:
    def work(session: Session) -> tuple[Routed, list[Expired]]:
        expired = expire_waiting(session, settings, now=now)
        return route_waiting(session, settings, now=now), expired

    return work


async def tell_expired(rasa: RasaClient, expired: list[Expired]) -> int:
    """Tell each customer and give the conversation back to the assistant; how many were told."""
    told = 0
    for item in expired:
        if item.sender_id is None:
            continue
        try:
            await rasa.say_as_agent(item.sender_id, expired_words(item), agent="")
            await rasa.hand_back(item.sender_id)
            told += 1
        except RasaUnavailable as error:
            log.warning("could not tell the customer of expired hand-off %s: %s", item.handoff_id, error)
    return told


async def run_pass(
    db: Database, rasa: RasaClient, settings: QueueSettings, *, now: datetime | None = None
) -> list[Expired]:
    routed, expired = await db.run(_work(settings, now or utcnow()))
    for handoff_id, agent in routed:
        log.info("hand-off %s routed to %s", handoff_id, agent)
    await tell_expired(rasa, expired)
    return expired


def worker(
    db_key: web.AppKey[Database], rasa_key: web.AppKey[RasaClient]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The periodic pass as an aiohttp cleanup context (started with the app, cancelled when it stops)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = QueueSettings.from_environment()  # a wrong setting stops the console at start, loudly

        async def loop() -> None:
            while True:
                try:
                    await run_pass(app[db_key], app[rasa_key], settings)
                except Exception:  # one failed pass (a locked database, say) must not end the loop
                    log.exception("queue pass failed")
                await asyncio.sleep(PASS_SECONDS)

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    return context

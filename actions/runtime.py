"""The services the actions call — the CRM store, the recommender, the FAQ index — created once per
action-server process and shared by every conversation.

`python -m actions` warms them up before the server accepts its first request, so no customer waits
for a model to load. Tests and `rasa_sdk`'s own entry point get them lazily on first use.
Every call leaves the event loop (a worker thread) and has a deadline, so one slow query cannot stall
the other conversations the server is answering.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction, session_factory
from retrieval.faq_index import FaqIndex, load_entries
from recommender.serving.loader import RecommenderUnavailable, ServedRecommender
from recommender.serving.service import DEFAULT_PATH as RECOMMENDER_PATH
from recommender.serving.service import Recommender

from actions.knowledge import KNOWLEDGE_DIR

log = logging.getLogger(__name__)
T = TypeVar("T")

CALL_TIMEOUT = float(os.environ.get("KELIAN_ACTION_TIMEOUT", "8"))


class ServiceUnavailable(RuntimeError):
    """A dependency of the action server (database, model) cannot answer; the customer hears an apology."""


class Services:
    def __init__(
        self,
        crm_url: str | None = None,
        recommender_path: Path = RECOMMENDER_PATH,
        faq_path: Path = KNOWLEDGE_DIR / "faq.yml",
    ) -> None:
        self._crm_url = crm_url
        self._recommender_path = Path(recommender_path)
        self._faq_path = Path(faq_path)
        self._lock = threading.Lock()
        self._crm: sessionmaker[Session] | None = None
        self._recommender = ServedRecommender(self._recommender_path)
        self._faq: FaqIndex | None = None

    @property
    def crm(self) -> sessionmaker[Session]:
        with self._lock:
            if self._crm is None:
                self._crm = session_factory(self._crm_url)
            return self._crm

    @property
    def recommender(self) -> Recommender:
        """Loaded as the console loads it (`recommender.serving.loader`); a newer trained version is swapped in."""
        try:
            return self._recommender.get()
        except RecommenderUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from exc

    @property
    def faq(self) -> FaqIndex:
        with self._lock:
            if self._faq is None:
                self._faq = FaqIndex.build(load_entries(self._faq_path))
                log.info("FAQ index built: %d entries", len(self._faq))
            return self._faq

    def warm_up(self) -> None:
        """Load everything now; a missing recommender is logged, not fatal (its answers apologise)."""
        self.crm
        self.faq
        try:
            self.recommender
        except ServiceUnavailable:
            log.exception("the action server starts without recommendations")


_services: Services | None = None
_services_lock = threading.Lock()


def services() -> Services:
    global _services
    with _services_lock:
        if _services is None:
            _services = Services(os.environ.get("CRM_DATABASE_URL"))
        return _services


def use_services(replacement: Services | None) -> None:
    """Point the actions at other services (tests with their own database); None resets."""
    global _services
    with _services_lock:
        _services = replacement


async def off_loop(work: Callable[[], T], timeout: float = CALL_TIMEOUT) -> T:
    """Run blocking work in a thread, giving up after `timeout` seconds."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(work), timeout)
    except asyncio.TimeoutError as exc:
        raise ServiceUnavailable(f"no answer within {timeout:.0f} s") from exc


async def in_crm(work: Callable[[Session], T], timeout: float = CALL_TIMEOUT) -> T:
    """`work(session)` in one CRM transaction: committed when it returns, rolled back when it raises."""
    factory = services().crm

    return await off_loop(lambda: run_transaction(factory, work), timeout)


async def with_recommender(work: Callable[[Recommender], T], timeout: float = CALL_TIMEOUT) -> T:
    return await off_loop(lambda: work(services().recommender), timeout)


async def in_crm_with_recommender(work: Callable[[Session, Recommender], T], timeout: float = CALL_TIMEOUT) -> T:
    """`work(session, recommender)` in one CRM transaction: a catch-up reads the CRM and folds into the
    recommender (`recommender.serving.personal`)."""
    factory = services().crm

    return await off_loop(
        lambda: run_transaction(factory, lambda session: work(session, services().recommender)), timeout
    )

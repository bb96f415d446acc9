"""The actions' one way to ask which variant a customer gets: `arm`, and `exposed` once they saw it — for
every surface (the ranking of recommendations in actions/shopping.py, reply wordings in actions/messages.py).

Both go through `crm.experiments.serving` (arm_for, record_exposure). While no experiment runs on a
surface, the answer "none" is kept for `QUIET_SECONDS`, so a message that could vary costs no CRM query
per turn when nothing is being tested; an experiment started meanwhile reaches customers that much later.
An experiment never costs the customer their answer: any failure means the default.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from crm.experiments.serving import QUIET_SECONDS, Assignment, arm_for, record_exposure, running_experiment
from actions.identity import crm_channel
from actions.runtime import in_crm

log = logging.getLogger(__name__)

_quiet_until: dict[str, float] = {}  # surface -> time.monotonic() until which no experiment is assumed


def forget_quiet() -> None:
    """Drops what is known about quiet surfaces (tests; the next question asks the CRM)."""
    _quiet_until.clear()


async def arm(tracker: Tracker, surface: str, customer_id: int | None) -> Assignment | None:
    """The arm of the experiment running on `surface` for this customer, or this guest conversation."""
    if time.monotonic() < _quiet_until.get(surface, 0.0):
        return None
    channel = crm_channel(tracker)

    def ask(session: Session) -> tuple[bool, Assignment | None]:
        if running_experiment(session, surface, datetime.now(timezone.utc)) is None:
            return False, None
        return True, arm_for(
            session, surface, customer_id=customer_id, conversation_id=tracker.sender_id, channel=channel
        )

    try:
        running, assignment = await in_crm(ask)
    except Exception:
        log.exception("no %s experiment arm for conversation %s; the default is used", surface, tracker.sender_id)
        return None
    if not running:
        _quiet_until[surface] = time.monotonic() + QUIET_SECONDS
    return assignment


async def exposed(tracker: Tracker, assignment: Assignment | None) -> None:
    """Records that the unit saw its arm (the CRM keeps the first time only)."""
    if assignment is None:
        return
    try:
        await in_crm(lambda s: record_exposure(s, assignment, crm_channel(tracker)))
    except Exception:
        log.exception(
            "could not record the exposure to %s in conversation %s", assignment.experiment_key, tracker.sender_id
        )

"""After an agent hands a conversation back, the customer is asked to rate the help they got (CSAT, #16 item 4):
Rasa runs `action_ask_csat` on the customer's own channel, which asks in their language with five buttons
(numbered options on WeChat) and asks nothing when this conversation was surveyed before (actions/survey.py).
The hand-back is done by then: a Rasa that cannot be told costs the survey only (logged)."""

from __future__ import annotations

import logging

from console.rasa import RasaClient, RasaUnavailable

log = logging.getLogger(__name__)


async def ask_rating(rasa: RasaClient, sender: str | None, handoff_id: int) -> bool:
    if sender is None:
        return False
    try:
        await rasa.ask_survey(sender)
    except RasaUnavailable as error:
        log.warning("no satisfaction survey after hand-off %s: %s", handoff_id, error)
        return False
    return True

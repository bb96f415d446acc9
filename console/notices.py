"""What the customer is told about the people serving them: the agent's display name, and "客服小林 joined /
left the conversation" when an agent takes a hand-off or hands it back (said through Rasa on the customer's
own channel, in the customer's language: kelian.agent_voice words it, actions/handoff.py says it).

The name is the one the staff member chose on their account page (`staff_users.display_name`, "客服小林"); until
they choose one, a staff number in the way Chinese shops name their agents ("客服7号"). Never the sign-in
name: it is half of a credential and stays inside the console."""

from __future__ import annotations

import logging

from kelian.agent_voice import AgentEvent

from console.accounts import StaffUserView
from console.rasa import RasaClient, RasaUnavailable

log = logging.getLogger(__name__)


def display_name(user: StaffUserView) -> str:
    """The name a customer sees for this staff member, the same in both languages and on every channel."""
    return user.display_name or f"客服{user.id}号"


async def announce(rasa: RasaClient, sender: str | None, event: AgentEvent, user: StaffUserView) -> bool:
    """Tell the customer `user` joined or left; False (logged) when Rasa could not be told: the hand-off goes
    on, the agent's messages still carry their name."""
    if sender is None:
        return False
    try:
        await rasa.announce(sender, event, agent=display_name(user))
    except RasaUnavailable as error:
        log.warning("could not tell conversation %s that %s %s: %s", sender, user.username, event, error)
        return False
    return True

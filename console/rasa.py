"""The Rasa server's HTTP API, as the console uses it for a live hand-off.

An agent's reply reaches the customer on their own channel: the console puts the text in the slot
`agent_message` (`POST /conversations/<sender>/tracker/events`) and runs `action_agent_message` with
`POST /conversations/<sender>/execute?output_channel=latest`, so Rasa sends it through the output of the
channel the customer last wrote on (the web page's socket, WeChat's customer-service API) and records it as
a bot message in the tracker. Handing back appends `resume` + `action_listen`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from crm.rasa_events import PressedButtons

log = logging.getLogger(__name__)

AGENT_MESSAGE_SLOT = "agent_message"
AGENT_MESSAGE_ACTION = "action_agent_message"
HAND_BACK_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer as expected; the message says what to tell the agent."""


class RasaClient:
    def __init__(self, base_url: str, token: str | None, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _url(self, sender: str, tail: str) -> str:
        return f"{self.base_url}/conversations/{quote(sender, safe='')}/{tail}"

    async def _call(self, method: str, url: str, *, params: dict[str, str] | None = None, body: Any = None) -> Any:
        if not self.token:
            raise RasaUnavailable("the console has no Rasa API token (KELIAN_RASA_TOKEN or var/rasa-token)")
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        query = {"token": self.token, **(params or {})}
        try:
            async with self._http.request(method, url, params=query, json=body) as response:
                if response.status >= 400:
                    detail = (await response.text())[:300]
                    log.warning("Rasa answered %s to %s %s: %s", response.status, method, url, detail)
                    raise RasaUnavailable(f"the Rasa server refused the request (HTTP {response.status})")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("Rasa unreachable for %s %s: %s", method, url, error)
            raise RasaUnavailable(f"the Rasa server at {self.base_url} does not answer") from error

    async def tracker(self, sender: str) -> dict[str, Any]:
        return await self._call("GET", self._url(sender, "tracker"), params={"include_events": "AFTER_RESTART"})

    async def say_as_agent(self, sender: str, text: str) -> None:
        """Deliver an agent's message through the customer's channel (see the module's docstring)."""
        await self._call(
            "POST",
            self._url(sender, "tracker/events"),
            body=[{"event": "slot", "name": AGENT_MESSAGE_SLOT, "value": text}],
        )
        await self._call(
            "POST",
            self._url(sender, "execute"),
            params={"output_channel": "latest"},
            body={"name": AGENT_MESSAGE_ACTION},
        )

    async def hand_back(self, sender: str) -> None:
        await self._call("POST", self._url(sender, "tracker/events"), body=HAND_BACK_EVENTS)


def live_messages(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages of the conversation's current session, in order: the customer's (a pressed button as
    its title), the bot's, and the agents' (said by `action_agent_message`)."""
    events = tracker.get("events") or []
    start = 0
    for index, event in enumerate(events):
        if event.get("event") == "session_started":
            start = index
    messages = []
    last_action = None
    buttons = PressedButtons()
    for event in events[start:]:
        kind = event.get("event")
        said = buttons.read(event)
        if kind == "action":
            last_action = event.get("name")
        elif kind == "user" and (said or "").strip():
            intent = (event.get("parse_data") or {}).get("intent") or {}
            messages.append(
                {
                    "who": "customer",
                    "text": said,
                    "at": event.get("timestamp"),
                    "intent": intent.get("name"),
                    "confidence": intent.get("confidence"),
                }
            )
        elif kind == "bot" and (event.get("text") or "").strip():
            # Rasa logs an action before the messages it says.
            who = "agent" if last_action == AGENT_MESSAGE_ACTION else "bot"
            messages.append({"who": who, "text": event["text"], "at": event.get("timestamp")})
    return messages

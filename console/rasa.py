"""The Rasa server's HTTP API, as the console uses it for a live hand-off.

An agent's reply reaches the customer on their own channel: the console puts the text with the agent's name
in the slot `agent_message` (kelian.agent_voice's envelope, `POST /conversations/<sender>/tracker/events`)
and runs `action_agent_message` with
`POST /conversations/<sender>/execute?output_channel=latest`, so Rasa sends it through the output of the
channel the customer last wrote on (the web page's socket, WeChat's customer-service API) and records it as
a bot message in the tracker. "Agent joined / left" notices go the same way; handing back appends `resume` +
`action_listen`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from kelian.attachments import METADATA_KEY
from kelian.agent_voice import IMAGE_SCHEME, AgentEvent, agent_of, attachment_id, encode

from crm.rasa_events import PressedButtons

log = logging.getLogger(__name__)

AGENT_MESSAGE_SLOT = "agent_message"
AGENT_MESSAGE_ACTION = "action_agent_message"
HAND_BACK_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
SURVEY_ACTION = "action_ask_csat"
LISTEN_EVENTS = [{"event": "action", "name": "action_listen"}]


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

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        if not self.token:
            raise RasaUnavailable("the console has no Rasa API token (KELIAN_RASA_TOKEN or var/rasa-token)")
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        query = {"token": self.token, **(params or {})}
        try:
            limit = None if timeout is None else aiohttp.ClientTimeout(total=timeout)
            async with self._http.request(method, url, params=query, json=body, timeout=limit) as response:
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

    async def say_as_agent(self, sender: str, text: str, *, agent: str) -> None:
        """Deliver an agent's message, under their display name, through the customer's channel (see the
        module's docstring)."""
        await self._agent_says(sender, encode("message", agent, text))

    async def send_image_as_agent(self, sender: str, file_id: str, *, agent: str) -> None:
        """Deliver an image an agent sent (an attachment already stored), under their display name."""
        await self._agent_says(sender, encode("message", agent, image=file_id))

    async def announce(self, sender: str, event: AgentEvent, *, agent: str) -> None:
        """Tell the customer that `agent` joined or left the conversation, in the customer's language."""
        await self._agent_says(sender, encode(event, agent))

    async def _agent_says(self, sender: str, envelope: str) -> None:
        await self._call(
            "POST",
            self._url(sender, "tracker/events"),
            body=[{"event": "slot", "name": AGENT_MESSAGE_SLOT, "value": envelope}],
        )
        await self._call(
            "POST",
            self._url(sender, "execute"),
            params={"output_channel": "latest"},
            body={"name": AGENT_MESSAGE_ACTION},
        )

    async def load_model(self, model_file: str, *, timeout: float = 600.0) -> None:
        """Make the Rasa server load a model file from its own disk (`PUT /model`; it answers once the model is
        loaded, which takes a minute or more)."""
        await self._call("PUT", f"{self.base_url}/model", body={"model_file": model_file}, timeout=timeout)

    async def hand_back(self, sender: str) -> None:
        await self._call("POST", self._url(sender, "tracker/events"), body=HAND_BACK_EVENTS)

    async def ask_survey(self, sender: str) -> None:
        """After a hand-back: the bot asks the customer for a satisfaction rating on their channel, in their
        language (actions/survey.py; it asks nothing when this conversation was asked before). Then the bot
        listens, as after any answer: the rules read the customer's reply as following `action_listen`."""
        await self._call(
            "POST", self._url(sender, "execute"), params={"output_channel": "latest"}, body={"name": SURVEY_ACTION}
        )
        await self._call("POST", self._url(sender, "tracker/events"), body=LISTEN_EVENTS)


def live_messages(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages of the conversation's current session, in order: the customer's (a pressed button as
    its title), the bot's, the agents' (said by `action_agent_message`) and its notices (an agent joined or
    left). A message with an image (attachments) has its attachment id as `image`."""
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
            image = customer_image(event.get("metadata"))
            messages.append(
                {
                    "who": "customer",
                    "text": "" if image else said,
                    "at": event.get("timestamp"),
                    "intent": None if image else intent.get("name"),
                    "confidence": None if image else intent.get("confidence"),
                    "image": image,
                }
            )
        elif kind == "bot" and ((event.get("text") or "").strip() or _bot_image(event)):
            # Rasa logs an action before the messages it says; an agent's "joined" / "left" is a notice.
            who = "agent" if last_action == AGENT_MESSAGE_ACTION else "bot"
            agent = agent_of(event.get("metadata"))
            if who == "agent" and agent is not None and agent[1] != "message":
                who = "notice"
            messages.append(
                {"who": who, "text": event.get("text") or "", "at": event.get("timestamp"), "image": _bot_image(event)}
            )
    return messages


def customer_image(metadata: Any) -> str | None:
    """The attachment id of a customer's image message (user event metadata set by the channel), or None."""
    value = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return attachment_id(IMAGE_SCHEME + value) if isinstance(value, str) else None


def _bot_image(event: dict[str, Any]) -> str | None:
    data = event.get("data")
    return attachment_id(data.get("image")) if isinstance(data, dict) else None

"""A stand-in for the Rasa server's HTTP API, as far as the console uses it: it keeps each conversation's
events, records every request, and runs `action_agent_message` by saying what the slot holds as a bot message
(an agent's text or a joined / left notice, with the agent's name as metadata: kelian.agent_voice, as the real
action does; in the conversation's `language` slot, English without one)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from kelian.agent_voice import image_url, utterance

TOKEN = "test-token"


class FakeRasa:
    def __init__(self) -> None:
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        app = web.Application()
        app.router.add_get("/conversations/{sender}/tracker", self.tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self.append)
        app.router.add_post("/conversations/{sender}/execute", self.execute)
        self.server = TestServer(app)

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def _check(self, request: web.Request) -> None:
        if request.query.get("token") != TOKEN:
            raise web.HTTPUnauthorized()

    async def tracker(self, request: web.Request) -> web.Response:
        self._check(request)
        sender = request.match_info["sender"]
        self.requests.append(("GET", sender, dict(request.query), None))
        if sender not in self.events:
            raise web.HTTPNotFound()
        return web.json_response({"sender_id": sender, "events": self.events[sender]})

    async def append(self, request: web.Request) -> web.Response:
        self._check(request)
        sender, body = request.match_info["sender"], await request.json()
        self.requests.append(("events", sender, dict(request.query), body))
        self.events.setdefault(sender, []).extend(body)
        return web.json_response({"sender_id": sender})

    async def execute(self, request: web.Request) -> web.Response:
        self._check(request)
        sender, body = request.match_info["sender"], await request.json()
        self.requests.append(("execute", sender, dict(request.query), body))
        events = self.events.setdefault(sender, [])
        slot = next(
            (e["value"] for e in reversed(events) if e.get("event") == "slot" and e.get("name") == "agent_message"),
            None,
        )
        language = next(
            (e["value"] for e in reversed(events) if e.get("event") == "slot" and e.get("name") == "language"), "en"
        )
        events.append({"event": "action", "name": body["name"], "timestamp": 1767000000.0})
        said = utterance(slot, "zh" if language == "zh" else "en") if body["name"] == "action_agent_message" else None
        if said is not None:
            image = image_url(slot)  # attachments: an agent's image goes as the bot's image
            event = {"event": "bot", "text": said[0] or None, "metadata": said[1], "timestamp": 1767000001.0}
            events.append({**event, "data": {"image": image}} if image else event)
            events.append({"event": "slot", "name": "agent_message", "value": None})
        return web.json_response({"tracker": {"sender_id": sender}})

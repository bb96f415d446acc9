"""Tracker fixtures for the action server's unit tests."""
from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(text: str = "", intent: str = "greet", slots: dict[str, Any] | None = None,
                 ranking: list[dict[str, Any]] | None = None, active_loop: str | None = None,
                 new_slots: dict[str, Any] | None = None) -> Tracker:
    """A tracker whose latest user message is `text`; `new_slots` were set by that message (the
    slots a validation action validates), `slots` earlier."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}], "entities": []}
    events = [{"event": "user", "text": text, "parse_data": latest}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in (new_slots or {}).items()]
    return Tracker(sender_id="test", slots={**(slots or {}), **(new_slots or {})}, latest_message=latest, events=events,
                   paused=False, followup_action=None, active_loop={"name": active_loop} if active_loop else {},
                   latest_action_name="action_listen")


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def tracker():
    return make_tracker

"""Fixtures of the action server's unit tests: trackers, and the real services behind the actions —
a small demo CRM on SQLite built by the demo generator, a recommender trained from it, and the FAQ
index of data/knowledge — built once per test session. No mocks of the CRM."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from crm.crypto import generate_key

os.environ.setdefault("KELIAN_CRM_KEY", generate_key())
os.environ.setdefault("KELIAN_ACTION_TOKEN", "action-token-of-the-unit-tests")

from crm.db import transaction  # noqa: E402
from crm.demo import DemoConfig  # noqa: E402
from recommender.__main__ import main as recommender_cli  # noqa: E402

from actions.runtime import Services, use_services  # noqa: E402
from tests.demo_crm import demo_crm_url  # noqa: E402

ALICE, LI = "demo-alice", "demo-li"


def make_tracker(
    text: str = "",
    intent: str = "greet",
    slots: dict[str, Any] | None = None,
    ranking: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    new_slots: dict[str, Any] | None = None,
    sender: str = "test",
    channel: str = "rest",
    entities: list[dict[str, Any]] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest user message is `text` from `sender` on `channel`; `new_slots` were set by
    that message (the slots a validation action validates), `slots` earlier; `history` are earlier events."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
        "entities": entities or [],
    }
    events = list(history or [])
    events.append({"event": "user", "text": text, "parse_data": latest, "input_channel": channel})
    events += [{"event": "slot", "name": name, "value": value} for name, value in (new_slots or {}).items()]
    return Tracker(
        sender_id=sender,
        slots={**(slots or {}), **(new_slots or {})},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def user_event(text: str, intent: str) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.9}},
        "input_channel": "rest",
    }


@pytest.fixture(scope="session")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_crm_url(
        tmp_path_factory.mktemp("crm"), DemoConfig(customers=80, products=120, interactions=4000, seed=5)
    )


@pytest.fixture(scope="session")
def recommender_dir(crm_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("recommender")
    assert recommender_cli(["train", "--crm-url", crm_url, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session", autouse=True)
def services(crm_url: str, recommender_dir: Path) -> Iterator[Services]:
    shared = Services(crm_url, recommender_dir)
    shared.warm_up()  # as the action server does at start: no test pays for loading a model
    use_services(shared)
    yield shared
    use_services(None)


CrmOpener = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def crm(services: Services) -> CrmOpener:
    """A CRM session for checking what an action wrote (committed when the test's block ends)."""

    def open_session() -> AbstractContextManager[Session]:
        return transaction(services.crm)

    return open_session


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def tracker():
    return make_tracker


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


__all__ = ["make_tracker", "user_event", "texts", "ALICE", "LI"]

"""A new session keeps who the customer is and drops what they were doing (actions/session.py), checked
against the real domain: every form's slots, whatever forms are added later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from actions.identity import proven_customer_id, sealed_proof
from actions.session import ActionSessionStart
from tests.actions.conftest import make_tracker

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"


def real_domain() -> dict[str, Any]:
    """bot/domain's files merged the way Rasa merges them (each section's keys together)."""
    domain: dict[str, Any] = {"forms": {}, "slots": {}}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8"))
        domain["forms"].update(part.get("forms") or {})
        domain["slots"].update(part.get("slots") or {})
        if "session_config" in part:
            domain["session_config"] = part["session_config"]
    return domain


def left_in_a_form(sender: str = "demo-li", language: str = "zh") -> Tracker:
    """A conversation left in the middle of the address form, with an order number, a pending confirmation,
    a recommendation being refined and an order proven along the way."""
    domain = real_domain()
    form_slots = {slot: f"stale {slot}" for form in domain["forms"].values() for slot in form["required_slots"]}
    slots = {
        **form_slots,
        "requested_slot": "new_address",
        "confirmation": "yes",
        "order_proof": "verified",
        "proof_attempts": 2.0,
        "misunderstandings": 1.0,
        "rec_query": "yoga mat",
        "rec_max_price": 200.0,
        "language": language,
        "customer_id": sealed_proof(7, sender),
        "link_notice": "2026-12-01T08:00:00+00:00",
        "session_started_metadata": {"source": "app"},
    }
    return make_tracker("在吗", slots=slots, sender=sender, active_loop="address_form")


async def session_events(tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
    return await ActionSessionStart().run(None, tracker, domain)


async def test_a_new_session_keeps_the_customer_and_drops_the_form():
    events = await session_events(left_in_a_form(), real_domain())
    assert events[0] == SessionStarted() and events[-1] == ActionExecuted("action_listen")
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried == {
        "language": "zh",
        "customer_id": sealed_proof(7, "demo-li"),
        "link_notice": "2026-12-01T08:00:00+00:00",
        "session_started_metadata": {"source": "app"},
    }


async def test_no_forms_slot_survives_the_new_session():
    domain = real_domain()
    carried = {e["name"] for e in await session_events(left_in_a_form(language="en"), domain) if e["event"] == "slot"}
    form_slots = {slot for form in domain["forms"].values() for slot in form["required_slots"]}
    assert form_slots >= {"order_id", "new_address", "email", "rating", "link_code"}
    assert not carried & (form_slots | {"requested_slot", "confirmation", "order_proof", "proof_attempts"})


async def test_the_order_proof_still_proves_the_customer_in_the_new_session():
    events = await session_events(left_in_a_form(sender="rest-visitor"), real_domain())
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert proven_customer_id(make_tracker("hi", slots=slots, sender="rest-visitor")) == 7


async def test_unset_slots_are_not_written_and_carrying_over_can_be_switched_off():
    fresh = make_tracker("hello", slots={"language": "en", "customer_id": None})
    assert await session_events(fresh, real_domain()) == [
        SessionStarted(),
        SlotSet("language", "en"),
        ActionExecuted("action_listen"),
    ]
    off = {**real_domain(), "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": False}}
    assert await session_events(left_in_a_form(), off) == [SessionStarted(), ActionExecuted("action_listen")]


def test_the_domain_expires_sessions_and_names_the_action():
    domain = real_domain()
    assert domain["session_config"]["session_expiration_time"] > 0
    actions = [
        a
        for path in DOMAIN_DIR.glob("*.yml")
        for a in yaml.safe_load(path.read_text(encoding="utf-8")).get("actions") or []
    ]
    assert "action_session_start" in actions

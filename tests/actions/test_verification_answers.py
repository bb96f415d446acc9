"""Answers to "prove the order is yours" in a sentence (#13): "its alice@example.com", "my email is …",
"是 …", "尾号 1234", "手机尾号是1234" verify like the bare value, against the demo CRM; two values in one
message are one failed attempt, not two guesses."""

from __future__ import annotations

import uuid

import pytest
from rasa_sdk.events import ActionExecutionRejected, SlotSet

from actions.forms.account_email import ValidateAccountEmailForm
from actions.forms.answers import proof_in
from actions.forms.order_number import ValidateTrackOrderForm
from actions.forms.slot_mappings import ValidateSlotMappings
from actions.identity import VERIFIED_SLOT
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {
        "track_order_form": {"required_slots": ["order_id"]},
        "account_email_form": {"required_slots": ["email"]},
    },
    "slots": {"order_id": {"type": "text", "mappings": [{"type": "from_entity", "entity": "order_id"}]}},
}
# demo-alice: alice@example.com, phone +86 138 0013 8000; demo-li: li.wei@example.cn, 13912345678.
ALICE_ORDER, LI_ORDER = "KL20250102", "KL20251103"


def at_the_proof_step(text: str, order: str, intent: str = "nlu_fallback", language: str = "en"):
    return make_tracker(
        text,
        intent=intent,
        sender=f"visitor-{uuid.uuid4().hex[:8]}",
        active_loop="track_order_form",
        slots={"requested_slot": "order_proof", "order_id": order, "language": language},
        history=[{"event": "active_loop", "name": "track_order_form"}],
    )  # the form asked


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    ("text", "proof"),
    [
        ("its alice@example.com", "alice@example.com"),
        ("my email is Alice@Example.com", "alice@example.com"),
        ("是 alice@example.com", "alice@example.com"),
        ("尾号 1234", "1234"),
        ("手机尾号是1234", "1234"),
        ("the last four are １２３４.", "1234"),
        ("13812341234", "1234"),
        ("alice1234@example.com", "alice1234@example.com"),
    ],
)
def test_the_proof_is_read_out_of_the_sentence(text, proof):
    assert proof_in(text) == proof


@pytest.mark.parametrize("text", ["1234 or 5678", "alice@example.com / 8000", "KL20250104", "no idea", ""])
def test_no_proof_or_two_of_them_is_none(text):
    assert proof_in(text) is None


@pytest.mark.parametrize(
    ("text", "order", "language"),
    [
        ("its alice@example.com", ALICE_ORDER, "en"),
        ("my email is alice@example.com", ALICE_ORDER, "en"),
        ("是 alice@example.com", ALICE_ORDER, "zh"),
        ("my number ends in 8000", ALICE_ORDER, "en"),
        ("尾号 5678", LI_ORDER, "zh"),
        ("手机尾号是5678", LI_ORDER, "zh"),
        ("邮箱是 li.wei@example.cn", LI_ORDER, "zh"),
    ],
)
async def test_an_answer_in_a_sentence_verifies_like_the_bare_value(dispatcher, text, order, language):
    events = await ValidateTrackOrderForm().run(dispatcher, at_the_proof_step(text, order, language=language), DOMAIN)
    slots = slots_of(events)
    assert slots.get("order_proof") == "verified" and slots.get(VERIFIED_SLOT), (text, events, dispatcher.messages)
    assert not any(m.get("text") for m in dispatcher.messages)  # no "doesn't match"


async def test_an_answer_the_nlu_reads_as_another_request_is_still_the_answer(dispatcher):
    """ "my email is …" can look like an account request; at the proof step the address is the answer."""
    tracker = at_the_proof_step("my email is alice@example.com", ALICE_ORDER, intent="recover_password")
    events = await ValidateTrackOrderForm().run(dispatcher, tracker, DOMAIN)
    assert slots_of(events).get("order_proof") == "verified"
    assert not any(isinstance(e, dict) and e.get("event") == "action_execution_rejected" for e in events)


async def test_a_person_asked_for_with_a_tail_is_still_a_handoff(dispatcher):
    tracker = at_the_proof_step("get me a human, my number ends in 8000", ALICE_ORDER, intent="contact_human_agent")
    events = await ValidateTrackOrderForm().run(dispatcher, tracker, DOMAIN)
    assert ActionExecutionRejected("track_order_form") in events and "order_proof" not in slots_of(events)


async def test_the_wrong_address_in_a_sentence_does_not_match(dispatcher):
    tracker = at_the_proof_step("its bob@example.com", ALICE_ORDER)
    events = await ValidateTrackOrderForm().run(dispatcher, tracker, DOMAIN)
    assert slots_of(events)["order_proof"] is None and "doesn't match" in dispatcher.messages[0]["text"]


async def test_two_tails_in_one_message_are_one_failed_attempt(dispatcher):
    tracker = at_the_proof_step("8000 or 1234", ALICE_ORDER)
    events = await ValidateTrackOrderForm().run(dispatcher, tracker, DOMAIN)
    assert slots_of(events)["order_proof"] is None and slots_of(events)["proof_attempts"] == 1.0


@pytest.mark.parametrize("text", ["my email is Anna.Smith@Example.com", "邮箱是 anna.smith@example.com"])
async def test_the_account_email_is_read_out_of_the_sentence(dispatcher, text):
    tracker = make_tracker(text, slots={"requested_slot": "email"}, active_loop="account_email_form")
    events = await ValidateAccountEmailForm().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("email", "anna.smith@example.com") in events and not dispatcher.messages


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [("是 li.wei@example.cn", "en", "zh"), ("its alice@example.com", "zh", "en"), ("alice@example.com", "zh", None)],
)
async def test_an_email_address_says_nothing_of_the_language(dispatcher, text, before, after):
    domain = {"slots": {"language": {"type": "categorical", "mappings": [{"type": "custom"}]}}}
    events = await ValidateSlotMappings().run(dispatcher, make_tracker(text, slots={"language": before}), domain)
    assert [e["value"] for e in events if e.get("name") == "language"] == ([after] if after else [])

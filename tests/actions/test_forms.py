from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.forms.account_email import ValidateAccountEmailForm
from actions.forms.address import ValidateAddressForm, looks_like_address
from actions.forms.order_number import ValidateTrackOrderForm
from actions.forms.review import ValidateReviewForm, parse_rating
from actions.forms.slot_mappings import ValidateSlotMappings
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {
        "track_order_form": {"required_slots": ["order_id"]},
        "address_form": {"required_slots": ["new_address"]},
        "account_email_form": {"required_slots": ["email"]},
        "review_form": {"required_slots": ["rating"]},
    },
    "slots": {
        "language": {"type": "categorical", "mappings": [{"type": "custom"}]},
        "order_id": {"type": "text", "mappings": [{"type": "from_entity", "entity": "order_id"}]},
    },
}


async def run_form(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, DOMAIN)


async def test_language_slot_follows_each_message(dispatcher):
    events = await ValidateSlotMappings().run(dispatcher, make_tracker("我的快递到哪了"), DOMAIN)
    assert SlotSet("language", "zh") in events
    events = await ValidateSlotMappings().run(dispatcher, make_tracker("KL20251107", slots={"language": "zh"}), DOMAIN)
    assert not [e for e in events if e["name"] == "language"]


async def test_well_formed_order_number_is_normalised(dispatcher):
    tracker = make_tracker("it's kl20251107", slots={"requested_slot": "order_id"}, active_loop="track_order_form")
    events = await run_form(ValidateTrackOrderForm(), dispatcher, tracker)
    assert SlotSet("order_id", "KL20251107") in events
    assert not dispatcher.messages


async def test_malformed_order_number_is_explained_and_rejected(dispatcher):
    tracker = make_tracker(
        "订单号是KL1234", slots={"requested_slot": "order_id", "language": "zh"}, active_loop="track_order_form"
    )
    events = await run_form(ValidateTrackOrderForm(), dispatcher, tracker)
    assert SlotSet("order_id", None) in events
    assert "KL" in dispatcher.messages[0]["text"] and "格式" in dispatcher.messages[0]["text"]


async def test_a_question_in_the_form_is_left_to_the_policies(dispatcher):
    tracker = make_tracker(
        "how long does shipping take?", slots={"requested_slot": "order_id"}, active_loop="track_order_form"
    )
    events = await run_form(ValidateTrackOrderForm(), dispatcher, tracker)
    assert not [e for e in events if e.get("name") == "order_id"]


@pytest.mark.parametrize(
    "text, ok",
    [
        ("12 Park Lane, Springfield 62704", True),
        ("上海市浦东新区张江路88号", True),
        ("广州市䶮路88号", True),  # a rare character (CJK extension A) counts like any other (kelian.language)
        ("Springfield", False),
        ("上海", False),
        ("No 5", False),
    ],
)
def test_address_plausibility(text, ok):
    assert looks_like_address(text) is ok


async def test_address_is_cleaned_and_kept(dispatcher):
    tracker = make_tracker(
        slots={"requested_slot": "new_address"},
        new_slots={"new_address": "  12  Park Lane,\nSpringfield 62704 "},
        active_loop="address_form",
    )
    events = await run_form(ValidateAddressForm(), dispatcher, tracker)
    assert SlotSet("new_address", "12 Park Lane, Springfield 62704") in events


async def test_bad_email_is_asked_again(dispatcher):
    tracker = make_tracker("anna@example", slots={"requested_slot": "email"}, active_loop="account_email_form")
    events = await run_form(ValidateAccountEmailForm(), dispatcher, tracker)
    assert SlotSet("email", None) in events
    assert dispatcher.messages


async def test_email_is_lower_cased(dispatcher):
    tracker = make_tracker(
        "Anna.Smith@Example.com",
        slots={"requested_slot": "email"},
        new_slots={"email": "Anna.Smith@Example.com"},
        active_loop="account_email_form",
    )
    events = await run_form(ValidateAccountEmailForm(), dispatcher, tracker)
    assert SlotSet("email", "anna.smith@example.com") in events


@pytest.mark.parametrize(
    "text, rating",
    [("5", 5), ("4 stars", 4), ("给3分吧", 3), ("四星", 4), ("⭐⭐", 2), ("great, 10/10", None), ("meh", None)],
)
def test_rating_parsing(text, rating):
    assert parse_rating(text) == rating


async def test_review_rating_slot(dispatcher):
    tracker = make_tracker(
        "5", slots={"requested_slot": "rating"}, new_slots={"rating": "5"}, active_loop="review_form"
    )
    events = await run_form(ValidateReviewForm(), dispatcher, tracker)
    assert SlotSet("rating", 5.0) in events


async def test_a_restarted_form_gives_a_guesser_no_fresh_tries(dispatcher):
    """Five wrong proofs for one order, each from a form that started afresh (`proof_attempts` empty) in a
    new conversation, lock the order in the CRM: the sixth answer, even the right one, is refused and the
    customer is told politely, in their language, that the order is locked for now. Before: every new
    form allowed three more guesses, and the right answer after any number of wrong ones verified."""
    order = "KL20251105"

    def answer(proof: str, sender: str, language: str = "en"):
        return make_tracker(
            proof,
            sender=sender,
            active_loop="track_order_form",
            new_slots={"order_proof": proof},
            slots={"requested_slot": "order_proof", "order_id": order, "language": language},
        )

    for i in range(5):
        events = await run_form(ValidateTrackOrderForm(), dispatcher, answer(f"{1000 + i}", f"guess-{i}"))
        assert SlotSet("order_proof", None) in events
    dispatcher.messages.clear()
    events = await run_form(ValidateTrackOrderForm(), dispatcher, answer("5678", "guess-5"))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["order_id"] is None and not slots.get("customer_id")
    assert "too many wrong answers" in dispatcher.messages[0]["text"] and "minutes" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["buttons"]  # a person can help now
    dispatcher.messages.clear()
    await run_form(ValidateTrackOrderForm(), dispatcher, answer("5678", "guess-6", language="zh"))
    assert "错误次数过多" in dispatcher.messages[0]["text"]

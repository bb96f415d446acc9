"""The pieces behind the digressions that need no running stack: the generated rules are the committed
ones, a change of mind is told from a repeated request, and an order form gives back what is no answer."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.address import ActionAskNewAddress
from actions.forms.confirmation import changed_mind
from actions.forms.order_number import ValidateCancelOrderForm, ValidateTrackOrderForm
from actions.messages import MESSAGES
from actions.questions import question_key
from devstack import dialogue_rules


def tracker(text: str, intent: str, active_loop: str | None, requested_slot: str | None = "order_id") -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events: list[dict[str, Any]] = [{"event": "active_loop", "name": active_loop}] if active_loop else []
    events.append({"event": "user", "text": text, "parse_data": message})
    return Tracker(
        "test",
        {"requested_slot": requested_slot},
        message,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def activating(text: str, intent: str, form: str) -> Tracker:
    """The tracker a form's validation sees as the form starts: the form is active only after the message."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": message}, {"event": "active_loop", "name": form}]
    return Tracker("test", {"requested_slot": None}, message, events, False, None, {"name": form}, "action_listen")


def test_interruption_rules_are_the_generated_ones():
    assert dialogue_rules.RULES_FILE.read_text(encoding="utf-8") == dialogue_rules.rules(), (
        "run `python -m devstack.dialogue_rules`"
    )


def test_every_form_has_an_exit_for_goodbye_no_and_a_person():
    text = dialogue_rules.rules()
    for form in dialogue_rules.FORMS:
        for why in ("customer gives up", "customer says goodbye", "customer wants a human"):
            assert f"- rule: '{form}: {why}'" in text


def test_a_change_of_mind_is_told_from_the_request_repeated():
    for words in (
        "我再想想,先不取消了",
        "那就不取消了",
        "算了不取消",
        "别取消了",
        "no wait, keep it",
        "don't cancel it",
        "不查了",
        "我不想改了",
        "wait",
        "wait, no",
    ):
        assert changed_mind(words), words
    for words in (
        "取消吧",
        "帮我取消",
        "确定取消",
        "yes cancel it",
        "cancel it please",
        "等不了了 我要退款",
        "wait first, how long does it take?",
    ):
        assert not changed_mind(words), words


async def test_another_task_with_an_order_number_is_given_back_to_the_rules():
    events = await ValidateTrackOrderForm().run(
        CollectingDispatcher(), tracker("不查了,订单KL20251105直接取消", "cancel_order", "track_order_form"), {}
    )
    assert events == [SlotSet("confirmation", None), ActionExecutionRejected("track_order_form")]


async def test_a_request_taken_back_in_a_form_stops_it():
    for text, intent, form in (
        ("不查了", "track_order", ValidateTrackOrderForm()),
        ("cancel", "cancel_order", ValidateTrackOrderForm()),
        ("取消吧", "cancel_order", ValidateTrackOrderForm()),
        ("我不想改了", "nlu_fallback", ValidateTrackOrderForm()),
        ("no, i don't want to cancel anything", "cancel_order", ValidateCancelOrderForm()),
    ):
        events = await form.run(CollectingDispatcher(), tracker(text, intent, form.form_name()), {})
        assert events[0] == SlotSet("confirmation", "no"), text


async def test_a_bare_cancel_in_the_cancellation_form_is_the_request_again():
    form = ValidateCancelOrderForm()
    events = await form.run(CollectingDispatcher(), tracker("cancel", "cancel_order", "cancel_order_form"), {})
    assert events == [SlotSet("confirmation", None), ActionExecutionRejected("cancel_order_form")]


async def test_the_forms_own_request_and_its_activation_are_not_given_back():
    form = ValidateCancelOrderForm()
    assert not form.is_no_answer(tracker("cancel KL20251105", "cancel_order", "cancel_order_form"))
    assert not form.is_no_answer(tracker("cancel KL20251105", "cancel_order", None))
    assert not form.is_no_answer(tracker("track it first", "track_order", None))
    assert not form.is_no_answer(activating("i want to cancel an order", "cancel_order", "cancel_order_form"))
    assert not form.is_no_answer(activating("cancel", "cancel_order", "cancel_order_form"))
    assert not ValidateTrackOrderForm().is_no_answer(activating("KL20250104", "affirm", "track_order_form"))


def test_at_the_proof_step_words_without_digits_are_no_answer():
    form = ValidateTrackOrderForm()
    assert form.is_no_answer(tracker("bye", "goodbye", "track_order_form", "order_proof"))
    assert form.is_no_answer(tracker("算了", "deny", "track_order_form", "order_proof"))
    assert not form.is_no_answer(tracker("8000", "goodbye", "track_order_form", "order_proof"))
    assert not form.is_no_answer(tracker("alice@example.com", "greet", "track_order_form", "order_proof"))


def test_a_form_that_reads_free_text_never_takes_a_question_as_its_answer():
    """address_form fills its slot from any text: every question with a one-turn answer (and every request
    that starts another form or leaves) must be ignored, or it is read as an address and the digression
    rule never runs. Off-topic and fallback stay readable: an address the NLU cannot place is one."""
    domain = yaml.safe_load((dialogue_rules.ROOT / "bot" / "domain" / "shipping.yml").read_text(encoding="utf-8"))
    ignored = set(domain["forms"]["address_form"]["ignored_intents"])
    answers = set(dialogue_rules.ANSWERS) - {"out_of_scope", "nlu_fallback"}
    starters = {i for form, starters in dialogue_rules.FORMS.items() if form != "address_form" for i in starters}
    missing = (answers | starters | set(dialogue_rules.EXITS)) - ignored
    assert not missing, sorted(missing)


def resumed(intent: str, rejected_form: str, active_loop: str = "track_order_form") -> Tracker:
    """The tracker an ask action sees when `rejected_form` gave the customer's message back to the rules."""
    message = {"text": "…", "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [
        {"event": "active_loop", "name": "track_order_form"},
        {"event": "user", "text": "…", "parse_data": message},
        {"event": "action_execution_rejected", "name": rejected_form},
        {"event": "action", "name": "utter_x"},
    ]
    if active_loop != rejected_form:
        events.append({"event": "active_loop", "name": active_loop})
    return Tracker(
        "test", {"requested_slot": "order_id"}, message, events, False, None, {"name": active_loop}, "utter_x"
    )


def test_after_a_greeting_in_a_form_the_question_is_not_asked_again_and_after_a_question_only_briefly():
    def said(tracker: Tracker) -> list[str]:
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionAskNewAddress().run(dispatcher, tracker, {}))
        return [m["text"] for m in dispatcher.messages]

    assert question_key(resumed("greet", "track_order_form"), "ask_order_id") is None
    assert question_key(resumed("thank", "track_order_form"), "ask_order_id") is None
    assert question_key(resumed("delivery_options", "track_order_form"), "ask_order_id") == "remind_order_id"
    # another form took the message over: its question is new to the customer
    assert question_key(resumed("greet", "track_order_form", "cancel_order_form"), "ask_order_id") == "ask_order_id"
    assert question_key(tracker("KL20250101", "greet", "track_order_form"), "ask_order_id") == "ask_order_id"
    assert said(resumed("greet", "track_order_form")) == []
    assert said(resumed("delivery_options", "track_order_form")) == [MESSAGES["remind_new_address"][0]]
    assert said(tracker("hello", "greet", "address_form")) == [MESSAGES["ask_new_address"][0]]
    for key in MESSAGES:
        if key.startswith("ask_"):
            assert "remind_" + key.removeprefix("ask_") in MESSAGES, key

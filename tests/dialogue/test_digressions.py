"""The pieces behind the digressions that need no running stack: the generated rules are the committed
ones, a change of mind is told from a repeated request, and an order form gives back what is no answer."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateCancelOrderForm, ValidateTrackOrderForm
from actions.questions import changed_mind
from devstack import dialogue_rules


def tracker(text: str, intent: str, active_loop: str | None, requested_slot: str | None = "order_id") -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [{"event": "active_loop", "name": active_loop}] if active_loop else []
    events.append({"event": "user", "text": text, "parse_data": message})
    return Tracker("test", {"requested_slot": requested_slot}, message, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def activating(text: str, intent: str, form: str) -> Tracker:
    """The tracker a form's validation sees as the form starts: the form is active only after the message."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": message}, {"event": "active_loop", "name": form}]
    return Tracker("test", {"requested_slot": None}, message, events, False, None, {"name": form}, "action_listen")


def test_interruption_rules_are_the_generated_ones():
    assert dialogue_rules.RULES_FILE.read_text(encoding="utf-8") == dialogue_rules.rules(), \
        "run `python -m devstack.dialogue_rules`"


def test_every_form_has_an_exit_for_goodbye_no_and_a_person():
    text = dialogue_rules.rules()
    for form in dialogue_rules.FORMS:
        for why in ("customer gives up", "customer says goodbye", "customer wants a human"):
            assert f"- rule: '{form}: {why}'" in text


def test_a_change_of_mind_is_told_from_the_request_repeated():
    for words in ("我再想想,先不取消了", "那就不取消了", "算了不取消", "别取消了", "no wait, keep it", "don't cancel it", "不查了", "我不想改了"):
        assert changed_mind(words), words
    for words in ("取消吧", "帮我取消", "确定取消", "yes cancel it", "cancel it please", "等不了了 我要退款"):
        assert not changed_mind(words), words


async def test_another_task_with_an_order_number_is_given_back_to_the_rules():
    events = await ValidateTrackOrderForm().run(CollectingDispatcher(), tracker("不查了,订单KL20251105直接取消", "cancel_order",
                                                                                "track_order_form"), {})
    assert events == [SlotSet("confirmation", None), ActionExecutionRejected("track_order_form")]


async def test_a_request_taken_back_in_a_form_stops_it():
    for text, intent, form in (("不查了", "track_order", ValidateTrackOrderForm()), ("cancel", "cancel_order", ValidateTrackOrderForm()),
                               ("取消吧", "cancel_order", ValidateTrackOrderForm()), ("我不想改了", "nlu_fallback", ValidateTrackOrderForm()),
                               ("no, i don't want to cancel anything", "cancel_order", ValidateCancelOrderForm())):
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

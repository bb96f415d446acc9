from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor

from actions.faq import ActionAnswerFaq
from actions.knowledge import policies
from actions.policies import ActionAccountHelp, ActionPaymentMethods
from kelian.refusal import EVIDENCE_KEY, NEARER_TO_REFUSAL
from tests.actions.conftest import make_tracker

DOMAIN: dict = {}


def test_every_policy_has_both_languages():
    for topic, texts in policies().items():
        assert texts["en"].strip() and texts["zh"].strip(), topic


async def test_policy_answer_in_the_customers_language(dispatcher):
    await ActionPaymentMethods().run(dispatcher, make_tracker("能用什么付款", slots={"language": "zh"}), DOMAIN)
    assert "支付宝" in dispatcher.messages[0]["text"]


async def test_account_help_follows_the_intent(dispatcher):
    await ActionAccountHelp().run(dispatcher, make_tracker("switch accounts", intent="switch_account"), DOMAIN)
    assert "Switch account" in dispatcher.messages[0]["text"]


async def test_a_faq_question_gets_the_faq_answer(dispatcher):
    events = await ActionAnswerFaq().run(
        dispatcher, make_tracker("how long is the warranty on headphones?", intent="nlu_fallback"), DOMAIN
    )
    assert "warrant" in dispatcher.messages[0]["text"].lower()
    assert SlotSet("misunderstandings", 0.0) in events


async def test_not_understood_twice_offers_a_person(dispatcher):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "get_refund", "confidence": 0.25},
        {"name": "track_refund", "confidence": 0.2},
        {"name": "out_of_scope", "confidence": 0.1},
    ]
    tracker = make_tracker("钱呢 那个 嗯", intent="nlu_fallback", slots={"language": "zh"}, ranking=ranking)
    events = await ActionAnswerFaq().run(dispatcher, tracker, DOMAIN)
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/get_refund", "/track_refund"]
    assert dispatcher.messages[0]["buttons"][0]["title"] == "申请退款"
    assert SlotSet("misunderstandings", 1.0) in events
    dispatcher.messages.clear()
    tracker = make_tracker(
        "钱呢 那个 嗯", intent="nlu_fallback", slots={"language": "zh", "misunderstandings": 1.0}, ranking=ranking
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/contact_human_agent"
    assert SlotSet("human_offered", True) in events


async def test_every_other_answer_says_no_person_was_offered(dispatcher):
    """The rule for a typed yes reads human_offered right after this action: it must never be stale."""
    for text, intent in [
        ("how long is the warranty on headphones?", "nlu_fallback"),
        ("write me a poem about the sea", "out_of_scope"),
        ("钱呢 那个 嗯", "nlu_fallback"),
    ]:
        events = await ActionAnswerFaq().run(
            dispatcher, make_tracker(text, intent=intent, slots={"human_offered": True}), DOMAIN
        )
        assert SlotSet("human_offered", False) in events, text


async def test_out_of_scope_without_a_faq_says_what_the_bot_does(dispatcher):
    await ActionAnswerFaq().run(
        dispatcher, make_tracker("write me a poem about the sea", intent="out_of_scope"), DOMAIN
    )
    assert "outside what I can help with" in dispatcher.messages[0]["text"]


async def test_an_off_topic_message_nearer_to_a_refusal_gets_the_refusal_not_a_lookalike_policy(dispatcher):
    """The FAQ's charged-twice entry clears the ordinary off-topic bar for a phone carrier's roaming
    charge; when the NLU says the message is nearer to what the shop declines, the bar is higher."""
    text = "my phone carrier charged me twice for roaming this month"
    await ActionAnswerFaq().run(dispatcher, make_tracker(text, intent="out_of_scope"), DOMAIN)
    assert "outside what I can help with" not in dispatcher.messages[0]["text"]
    dispatcher.messages.clear()
    tracker = make_tracker(text, intent="out_of_scope")
    tracker.latest_message[EVIDENCE_KEY] = {
        "rule": NEARER_TO_REFUSAL,
        "nearest_in_scope": 0.84,
        "nearest_refusal": 0.87,
    }
    await ActionAnswerFaq().run(dispatcher, tracker, DOMAIN)
    assert "outside what I can help with" in dispatcher.messages[0]["text"]


def test_every_domain_action_is_served_by_the_action_server():
    import yaml
    from pathlib import Path

    executor = ActionExecutor()
    executor.register_package("actions")
    declared = set()
    for path in (Path(__file__).resolve().parents[2] / "bot" / "domain").glob("*.yml"):
        declared |= set(yaml.safe_load(path.read_text()).get("actions", []))
    assert declared == set(executor.actions)

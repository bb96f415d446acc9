from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from actions.fallback import ActionDefaultAskAffirmation
from actions.knowledge import policies
from actions.policies import ActionAccountHelp, ActionDeliveryOptions
from tests.actions.conftest import make_tracker

DOMAIN: dict = {}


def test_every_policy_has_both_languages():
    for topic, texts in policies().items():
        assert texts["en"].strip() and texts["zh"].strip(), topic


async def test_policy_answer_in_the_customers_language(dispatcher):
    await ActionDeliveryOptions().run(dispatcher, make_tracker("有哪些快递", slots={"language": "zh"}), DOMAIN)
    assert "配送" in dispatcher.messages[0]["text"]


async def test_account_help_follows_the_intent(dispatcher):
    await ActionAccountHelp().run(dispatcher, make_tracker("switch accounts", intent="switch_account"), DOMAIN)
    assert "Switch account" in dispatcher.messages[0]["text"]


async def test_affirmation_offers_the_two_likeliest_intents(dispatcher):
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "get_refund", "confidence": 0.25},
               {"name": "track_refund", "confidence": 0.2}, {"name": "out_of_scope", "confidence": 0.1}]
    await ActionDefaultAskAffirmation().run(dispatcher, make_tracker("钱呢", slots={"language": "zh"}, ranking=ranking), DOMAIN)
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/get_refund", "/track_refund", "/deny"]
    assert buttons[0]["title"] == "申请退款"


def test_every_domain_action_is_served_by_the_action_server():
    import yaml
    from pathlib import Path

    executor = ActionExecutor()
    executor.register_package("actions")
    declared = set()
    for path in (Path(__file__).resolve().parents[2] / "bot" / "domain").glob("*.yml"):
        declared |= set(yaml.safe_load(path.read_text()).get("actions", []))
    assert declared == set(executor.actions)

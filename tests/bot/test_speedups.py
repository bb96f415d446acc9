"""bot/speedups.py replaces two functions of Rasa's: the replacements keep their contracts on the
installed Rasa (the same rule states; every action response still validated, Rasa's error on a bad one)."""

from __future__ import annotations

import json

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.utils.endpoints import EndpointConfig

from bot import speedups

RULE_KEY = json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}])


@pytest.fixture(scope="module", autouse=True)
def applied() -> None:
    speedups.apply()
    speedups.apply()  # twice is once


def test_rule_keys_decode_as_rasa_decodes_them_and_every_key_stays_cached():
    assert RulePolicy._rule_key_to_state(RULE_KEY) == json.loads(RULE_KEY)
    speedups.rule_key_to_state.cache_clear()
    keys = [json.dumps([{"user": {"intent": f"intent_{i}"}}]) for i in range(3000)]  # more than Rasa's 1,000
    for _ in range(2):
        for key in keys:
            RulePolicy._rule_key_to_state(key)
    info = speedups.rule_key_to_state.cache_info()
    assert info.currsize == 3000 and info.hits == 3000 and info.misses == 3000


def test_a_policy_instance_uses_the_cache():
    policy = RulePolicy.__new__(RulePolicy)  # the method is looked up on the class, as Rasa calls it
    assert policy._rule_key_to_state(RULE_KEY) is RulePolicy._rule_key_to_state(RULE_KEY)


@pytest.mark.parametrize(
    "response",
    [
        {"events": [{"event": "slot", "name": "language", "value": "zh"}], "responses": [{"text": "你好"}]},
        {"events": [], "responses": []},
    ],
)
def test_a_valid_action_response_passes(response):
    action = RemoteAction("action_validate_slot_mappings", EndpointConfig("http://127.0.0.1:1"))
    assert action._validate_action_result(response) is True


@pytest.mark.parametrize(
    "response",
    [
        {"events": [{"name": "language"}], "responses": []},  # an event without its type
        {"events": "not a list", "responses": []},
        {"events": [{"event": 5}], "responses": []},  # an event type that is no string
    ],
)
def test_an_invalid_action_response_is_refused_with_rasas_message(response):
    action = RemoteAction("action_validate_slot_mappings", EndpointConfig("http://127.0.0.1:1"))
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(response)

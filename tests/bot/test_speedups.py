"""bot/speedups.py replaces four functions of Rasa's: the replacements keep their contracts on the
installed Rasa (the same rule states; every action response still validated, Rasa's error on a bad one;
the intent classifier's same input rows and the same probabilities)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import ACTION_TEXT, FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import EndpointConfig
from scipy.sparse import coo_matrix
from sklearn.linear_model import LogisticRegression

from bot import speedups

# Rasa's own, read when this module is imported (before the fixture below installs the replacements)
RASA_CREATE_X = LogisticRegressionClassifier._create_X

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


def featurised_message(seed: int, sparse: bool = True) -> Message:
    """A message with features of every kind a pipeline adds; only the sentence ones of TEXT count."""
    rng = np.random.default_rng(seed)
    message = Message(data={TEXT: f"message {seed}"})

    def counts(width: int) -> coo_matrix:
        columns = rng.integers(0, width, size=6)  # repeated columns: duplicates, as count vectors may hold
        return coo_matrix((rng.random(6), (np.zeros(6, dtype=int), columns)), shape=(1, width))

    if sparse:
        message.add_features(Features(counts(50), FEATURE_TYPE_SENTENCE, TEXT, "CountVectorsFeaturizer"))
        message.add_features(Features(counts(7), FEATURE_TYPE_SEQUENCE, TEXT, "LexicalSyntacticFeaturizer"))
        message.add_features(Features(counts(30), FEATURE_TYPE_SENTENCE, TEXT, "chars"))
        message.add_features(Features(counts(9), FEATURE_TYPE_SENTENCE, ACTION_TEXT, "CountVectorsFeaturizer"))
    dense = rng.standard_normal((1, 16)).astype(np.float32)
    dense[0, 3] = 0.0
    message.add_features(Features(dense, FEATURE_TYPE_SENTENCE, TEXT, "e5"))
    message.add_features(Features(rng.standard_normal((2, 16)), FEATURE_TYPE_SEQUENCE, TEXT, "e5"))
    return message


@pytest.mark.parametrize("sparse", [True, False])
def test_the_classifier_gets_the_rows_rasa_builds(sparse):
    messages = [featurised_message(seed, sparse) for seed in range(4)]
    component = LogisticRegressionClassifier.__new__(LogisticRegressionClassifier)
    expected, got = RASA_CREATE_X(component, messages), component._create_X(messages)
    assert RASA_CREATE_X is not speedups.create_x and got.format == "csr"
    assert got.shape == expected.shape == (4, (80 if sparse else 0) + 16)
    assert np.array_equal(got.toarray(), expected.toarray())


def test_a_loaded_classifier_predicts_the_same_from_column_major_coefficients(monkeypatch):
    rng = np.random.default_rng(0)
    clf = LogisticRegression(max_iter=200).fit(rng.random((60, 40)), rng.integers(0, 3, 60))
    rows = rng.random((5, 40))
    expected = clf.predict_proba(rows)
    monkeypatch.setattr(speedups, "_RASA_LOGISTIC_REGRESSION_LOAD", lambda cls, *a, **k: SimpleNamespace(clf=clf))
    loaded = LogisticRegressionClassifier.load({}, None, None, None)
    assert loaded.clf.coef_.flags["F_CONTIGUOUS"]
    assert np.allclose(loaded.clf.predict_proba(rows), expected, rtol=0, atol=1e-12)

"""bot/speedups.py replaces functions of Rasa's: the replacements keep their contracts on the
installed Rasa (the same rule states and the same applicable rules; memory and TED silent only where
the ensemble would not pick them, the rules asked once; action calls on one kept connection with the
same JSON; every action response still validated, Rasa's error on a bad one; the intent classifier's
same input rows and the same probabilities)."""

from __future__ import annotations

import asyncio
import copy
import json
import random
import weakref
from types import SimpleNamespace

import numpy as np
import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_TEXT, FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import EndpointConfig
from scipy.sparse import coo_matrix
from sklearn.linear_model import LogisticRegression

from bot import speedups

# Rasa's own, read when this module is imported (before the fixture below installs the replacements)
RASA_CREATE_X = LogisticRegressionClassifier._create_X
RASA_POSSIBLE_KEYS = RulePolicy._get_possible_keys

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


SHOULD_NOT_BE_SET = "should_not_be_set"
ACTIONS = ["action_listen", "utter_greet", "action_answer_faq", "order_form", SHOULD_NOT_BE_SET]


def random_state(rng: random.Random, starter: bool = False) -> dict:
    """A rule or conversation state of the shapes RulePolicy stores: previous action (by name, by text,
    or none at a conversation's start), user intent or text, slots, active loop."""
    state: dict = {}
    if not starter:
        kind = rng.random()
        if kind < 0.85:
            state["prev_action"] = {"action_name": rng.choice(ACTIONS)}
        elif kind < 0.95:
            state["prev_action"] = {"action_text": rng.choice(["hi", "ok"])}
    if rng.random() < 0.6:
        state["user"] = {"intent": rng.choice(["greet", "goodbye", "track_order", SHOULD_NOT_BE_SET])}
    elif rng.random() < 0.3:
        state["user"] = {"text": "hello"}
    if rng.random() < 0.5:
        state["slots"] = {rng.choice(["language", "order_number"]): rng.choice([(1.0,), (0.0,), SHOULD_NOT_BE_SET])}
    if rng.random() < 0.4:
        state["active_loop"] = {"name": rng.choice(["order_form", SHOULD_NOT_BE_SET])}
    return state


def random_states(rng: random.Random, length: int) -> list:
    return [random_state(rng, starter=(i == 0 and rng.random() < 0.3)) for i in range(length)]


def rule_table(seed: int, size: int) -> dict:
    rng = random.Random(seed)
    table = {json.dumps(random_states(rng, rng.randint(1, 4))): rng.choice(ACTIONS[:-1]) for _ in range(size)}
    table[json.dumps([])] = "action_listen"  # a key without states applies everywhere
    return table


@pytest.mark.parametrize("seed", range(6))
def test_the_applicable_rules_are_the_ones_rasa_finds(seed):
    rng = random.Random(1000 + seed)
    table = rule_table(seed, 2500)
    policy = RulePolicy.__new__(RulePolicy)
    found = 0
    for _ in range(300):
        states = random_states(rng, rng.randint(0, 6))
        if rng.random() < 0.5:  # a state some rule holds: rules that do apply, not only rules that do not
            states = json.loads(rng.choice(list(table)))
        expected = RASA_POSSIBLE_KEYS(policy, table, states)
        assert policy._get_possible_keys(table, states) == expected
        found += len(expected) > 1
    assert found > 100


def test_a_rule_table_changed_by_training_is_indexed_again():
    policy = RulePolicy.__new__(RulePolicy)
    table = {RULE_KEY: "utter_greet", **rule_table(7, 200)}
    states = json.loads(RULE_KEY)
    assert RULE_KEY in policy._get_possible_keys(table, states)
    table[json.dumps([{"prev_action": {"action_name": "utter_greet"}}])] = table.pop(RULE_KEY)  # same size
    got = policy._get_possible_keys(table, states)
    assert RULE_KEY not in got and got == RASA_POSSIBLE_KEYS(policy, table, states)


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


# TED skipped where a rule has decided: the ensemble's choice is the same with TED's answer or without it.

ACTIONS_OF_DOMAIN = ["utter_greet", "action_answer_faq", "order_form"]
DOMAIN = Domain.from_dict(
    {"intents": ["greet"], "actions": ACTIONS_OF_DOMAIN[1:], "responses": {"utter_greet": [{"text": "hi"}]}}
)


def conversation(*extra) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), UserUttered("hello", {"name": "greet", "confidence": 1.0}), *extra]
    return DialogueStateTracker.from_events("someone", events)


def rule_prediction(action: str, confidence: float = 1.0, **flags) -> PolicyPrediction:
    probabilities = [0.0] * DOMAIN.num_actions
    probabilities[DOMAIN.index_for_action(action)] = confidence
    return PolicyPrediction(probabilities, "RulePolicy", 6, **flags)


def ted_prediction(rng: np.random.Generator) -> PolicyPrediction:
    scores = rng.random(DOMAIN.num_actions) ** 8
    return PolicyPrediction(list(scores / scores.sum()), "TEDPolicy", 1)


def winner(predictions: list, tracker: DialogueStateTracker) -> tuple:
    best = DefaultPolicyPredictionEnsemble().combine_predictions(copy.deepcopy(predictions), tracker, DOMAIN)
    return best.policy_name, best.max_confidence_index, best.max_confidence, best.events


@pytest.mark.parametrize(
    "rule",
    [
        rule_prediction("utter_greet"),
        rule_prediction("order_form", 0.0, is_no_user_prediction=True),  # a loop's happy path
        rule_prediction("action_answer_faq", 0.9, is_end_to_end_prediction=True),
    ],
)
def test_where_a_rule_decides_the_ensemble_ignores_memory_and_ted(rule):
    tracker, rng = conversation(), np.random.default_rng(3)
    assert speedups.rule_decides(rule, tracker)
    silent_memo = PolicyPrediction([0.0] * DOMAIN.num_actions, "MemoizationPolicy", 3)
    silent_ted = PolicyPrediction([0.0] * DOMAIN.num_actions, "TEDPolicy", 1)
    for _ in range(50):
        remembered = rule_prediction(str(rng.choice(ACTIONS_OF_DOMAIN)))  # a memorised story: confidence 1.0
        memo = PolicyPrediction(remembered.probabilities, "MemoizationPolicy", 3)
        expected = winner([memo, rule, ted_prediction(rng)], tracker)
        assert expected == winner([silent_memo, rule, silent_ted], tracker) and expected[0] == "RulePolicy"


def test_the_core_fallback_and_a_rejected_action_leave_ted_its_say():
    fallback = rule_prediction("action_answer_faq", 0.3)  # RulePolicy's core fallback: TED may win
    assert not speedups.rule_decides(fallback, conversation())
    rejected = conversation(ActionExecuted("utter_greet"), ActionExecutionRejected("order_form"))
    assert not speedups.rule_decides(rule_prediction("utter_greet"), rejected)


@pytest.fixture
def policies(monkeypatch):
    """A RulePolicy answering `rule.prediction`, and a TED whose network is counted."""
    rule = SimpleNamespace(prediction=rule_prediction("utter_greet"), policy=RulePolicy.__new__(RulePolicy))
    ted = TEDPolicy.__new__(TEDPolicy)
    ted.fake_features = {"intent": [], "prev_action": []}
    ted.priority = 1
    ran = []
    monkeypatch.setattr(speedups, "_RASA_RULE_PREDICT", lambda self, tracker, domain, *a, **k: rule.prediction)
    monkeypatch.setattr(
        speedups, "_RASA_TED_PREDICT", lambda self, tracker, domain, *a, **k: ran.append(tracker) or "network"
    )
    monkeypatch.setattr(speedups, "_decided", None)
    monkeypatch.setattr(speedups, "_early", None)
    return rule, ted, ran


def test_ted_gives_no_opinion_on_the_tracker_a_rule_decided(policies):
    rule, ted, ran = policies
    tracker = conversation()
    assert rule.policy.predict_action_probabilities(tracker, DOMAIN) is rule.prediction
    skipped = ted.predict_action_probabilities(tracker, DOMAIN)
    assert not ran and skipped.policy_name == "TEDPolicy" and skipped.probabilities == [0.0] * DOMAIN.num_actions
    assert ted.predict_action_probabilities(conversation(), DOMAIN) == "network"  # another conversation
    tracker.update(ActionExecuted("utter_greet"))  # the same conversation, one action later
    assert ted.predict_action_probabilities(tracker, DOMAIN) == "network"


def test_ted_runs_after_an_undecided_rule_and_when_it_may_predict_from_text(policies):
    rule, ted, ran = policies
    tracker = conversation()
    rule.prediction = rule_prediction("action_answer_faq", 0.3)
    rule.policy.predict_action_probabilities(tracker, DOMAIN)
    assert ted.predict_action_probabilities(tracker, DOMAIN) == "network"
    rule.prediction = rule_prediction("utter_greet")
    rule.policy.predict_action_probabilities(tracker, DOMAIN)
    ted.fake_features = {"intent": [], "text": []}  # trained on story text: its end-to-end answer overrules rules
    assert ted.predict_action_probabilities(tracker, DOMAIN) == "network"
    assert len(ran) == 2


# Action calls: one kept connection, the same JSON.


async def call_an_endpoint_five_times(payloads: list) -> tuple[list, set, list]:
    received, peers, headers = [], set(), []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.json())
        peers.add(request.transport.get_extra_info("peername"))
        headers.append(request.headers.get("X-Kelian-Action-Token"))
        return web.json_response({"events": [], "responses": [{"text": "好的"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Kelian-Action-Token": "secret"})
    try:
        answers = [await endpoint.request(json=payload, method="post") for payload in payloads]
        assert all(a == {"events": [], "responses": [{"text": "好的"}]} for a in answers)
    finally:
        await speedups.close_sessions()
        await runner.cleanup()
    assert not speedups._SESSIONS
    return received, peers, headers


def test_action_calls_share_one_connection_and_send_what_rasa_sends():
    payloads = [
        {"next_action": "action_track_order", "tracker": {"events": [{"text": "到哪了", "confidence": 0.93}], "n": i}}
        for i in range(4)
    ] + [{1: "a key that is no string", "big": 2**70}]  # what orjson refuses: the standard library's encoding
    received, peers, headers = asyncio.run(call_an_endpoint_five_times(payloads))
    assert received == [json.loads(json.dumps(p)) for p in payloads]
    assert len(peers) == 1 and headers == ["secret"] * 5  # one TCP connection, the endpoint's headers each time


def test_request_bodies_encode_as_the_standard_library_decodes_them(monkeypatch):
    value = {
        "text": '亲 在吗 \u2028 "quoted"',
        "score": 0.1 + 0.2,
        "intent": {"confidence": np.float64(0.8712345678901234)},  # what the classifier leaves in a parse
        "none": None,
        "list": [1, 2.5, True],
        3: "an int key",
    }
    expected = json.loads(json.dumps(value))
    monkeypatch.setattr(speedups.json, "dumps", None)  # orjson alone: no fallback for a tracker's contents
    assert json.loads(speedups.dumps(value)) == expected


class Storage:
    """A model's storage, as the policies of one loaded model share it."""


def memory_beside(rule_policy: RulePolicy, monkeypatch) -> tuple[MemoizationPolicy, list]:
    """A MemoizationPolicy loaded from the same storage as `rule_policy` (noted as RulePolicy's
    constructor notes it), whose own recall is counted."""
    storage = Storage()
    rule_policy._model_storage = storage
    speedups._RULES_BESIDE[storage] = weakref.ref(rule_policy)
    memo = MemoizationPolicy.__new__(MemoizationPolicy)
    memo._model_storage, memo.priority = storage, 3
    recalled = []
    monkeypatch.setattr(
        speedups, "_RASA_MEMO_PREDICT", lambda self, tracker, *a, **k: recalled.append(tracker) or "recall"
    )
    return memo, recalled


def test_memory_asks_its_models_rules_first_and_the_rule_node_gets_their_prediction(policies, monkeypatch):
    rule, ted, ran = policies
    memo, recalled = memory_beside(rule.policy, monkeypatch)
    asked = []
    monkeypatch.setattr(
        speedups, "_RASA_RULE_PREDICT", lambda self, tracker, domain, *a, **k: asked.append(self) or rule.prediction
    )
    tracker = conversation()
    silent = memo.predict_action_probabilities(tracker, DOMAIN, None)  # the graph's order: memory, rules, TED
    assert silent.policy_name == "MemoizationPolicy" and silent.probabilities == [0.0] * DOMAIN.num_actions
    assert rule.policy.predict_action_probabilities(tracker, DOMAIN) is rule.prediction
    assert ted.predict_action_probabilities(tracker, DOMAIN).probabilities == [0.0] * DOMAIN.num_actions
    assert asked == [rule.policy] and not recalled and not ran  # the rules asked once, nothing else ran
    tracker.update(ActionExecuted("utter_greet"))
    assert rule.policy.predict_action_probabilities(tracker, DOMAIN) is rule.prediction and len(asked) == 2


def test_memory_recalls_where_the_rules_do_not_decide_or_belong_to_another_model(policies, monkeypatch):
    rule, ted, ran = policies
    memo, recalled = memory_beside(rule.policy, monkeypatch)
    rule.prediction = rule_prediction("action_answer_faq", 0.3)  # the core fallback: memory may win
    tracker = conversation()
    assert memo.predict_action_probabilities(tracker, DOMAIN, None) == "recall"
    assert rule.policy.predict_action_probabilities(tracker, DOMAIN) is rule.prediction
    assert ted.predict_action_probabilities(tracker, DOMAIN) == "network"
    rule.prediction = rule_prediction("utter_greet")
    memo._model_storage = Storage()  # another model's memory: its rules are not these
    assert memo.predict_action_probabilities(conversation(), DOMAIN, None) == "recall" and len(recalled) == 2


def test_a_loaded_rule_policy_is_noted_beside_its_storage():
    storage = Storage()
    policy = RulePolicy(RulePolicy.get_default_config(), storage, None, SimpleNamespace(is_finetuning=False))
    assert speedups._RULES_BESIDE[storage]() is policy


@pytest.mark.parametrize(
    "policy, rasas",
    [
        (RulePolicy, "_RASA_RULE_PREDICT"),
        (MemoizationPolicy, "_RASA_MEMO_PREDICT"),
        (TEDPolicy, "_RASA_TED_PREDICT"),
    ],
)
def test_rasas_graph_validation_asks_the_same_inputs_of_a_replaced_prediction(policy, rasas, monkeypatch):
    """`rasa train` validates each graph node's run function from its annotations: a replacement must
    require no input Rasa's own does not (an annotated `self` would be one)."""
    from rasa.engine import validation

    def required(fn) -> set:
        monkeypatch.setattr(policy, "predict_action_probabilities", fn)
        params, returns = validation._get_parameter_information(policy, "predict_action_probabilities")
        return validation._required_args(params)

    replaced = getattr(policy, "predict_action_probabilities")
    assert replaced is not getattr(speedups, rasas)
    assert required(replaced) == required(getattr(speedups, rasas)) == {"tracker", "domain"}

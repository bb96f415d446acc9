"""The nearest-example fallback: trained on real e5 vectors, saved and loaded through Rasa's storage."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.e5_featurizer import E5SentenceFeaturizer
from bot.nlu.novelty import NearestExampleFallback
from kelian.refusal import EVIDENCE_KEY, FAR_FROM_EXAMPLES, NEARER_TO_REFUSAL, rule_of

TRAINING = [
    ("where is my parcel", "track_order"),
    ("has my order shipped yet", "track_order"),
    ("I want my money back for these shoes", "get_refund"),
    ("我的快递到哪了", "track_order"),
    ("这双鞋我想退货", "get_refund"),
    ("what's the capital of France", "out_of_scope"),
]
CONTEXT = ExecutionContext(GraphSchema({}), "novelty")


@pytest.fixture(scope="module")
def e5() -> E5SentenceFeaturizer:
    return E5SentenceFeaturizer.create({"cache_dir": None}, None, None, ExecutionContext(GraphSchema({}), "e5"))


def featurized(e5: E5SentenceFeaturizer, text: str, intent: str, confidence: float = 0.9) -> Message:
    message = Message(data={TEXT: text})
    e5.process([message])
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    return message


def train(e5, path, config: dict, training: list[tuple[str, str]]) -> tuple[LocalModelStorage, Resource, dict]:
    storage = LocalModelStorage(path)
    resource = Resource("novelty")
    examples = [Message(data={TEXT: text, INTENT: intent}) for text, intent in training]
    e5.process_training_data(TrainingData(examples))
    NearestExampleFallback.create(config, storage, resource, CONTEXT).train(TrainingData(examples))
    return storage, resource, config


@pytest.fixture()
def trained(e5, tmp_path) -> tuple[LocalModelStorage, Resource, dict]:
    return train(e5, tmp_path, {"thresholds": {"en": 0.85, "zh": 0.89}}, TRAINING)


# Taught refusals next to in-scope requests that share their words ("broken", "坏了"); thresholds low
# enough that every message below passes the far-from-everything check, so only the nearest-refusal
# rule can reject it.
REFUSALS = [
    ("my order arrived broken", "complaint"),
    ("the screen of my phone cracked, where do I get it fixed under warranty", "out_of_scope"),
    ("保修期内坏了去哪修", "out_of_scope"),
]
LOW_THRESHOLDS = {"en": 0.8, "zh": 0.8}


def loaded(trained) -> NearestExampleFallback:
    storage, resource, config = trained
    return NearestExampleFallback.load(config, storage, resource, CONTEXT)


def test_a_question_far_from_every_in_scope_example_becomes_out_of_scope(e5, trained):
    message = featurized(e5, "which cryptocurrency should I buy this year", "track_order")
    loaded(trained).process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "out_of_scope"
    assert message.get(INTENT_RANKING_KEY)[1]["name"] == "track_order"
    evidence = message.as_dict(only_output_properties=True)[EVIDENCE_KEY]  # in the parse data the actions read
    assert evidence["rule"] == FAR_FROM_EXAMPLES and evidence["nearest_refusal"] is None
    assert evidence["nearest_in_scope"] < 0.85
    assert message.get(INTENT)["confidence"] == pytest.approx(1 - evidence["nearest_in_scope"], abs=1e-4)


@pytest.mark.parametrize("text", ["where's my package, it hasn't arrived", "我的包裹怎么还没到"])
def test_a_paraphrase_of_a_taught_request_keeps_its_intent(e5, trained, text):
    message = featurized(e5, text, "track_order")
    loaded(trained).process([message])
    assert message.get(INTENT)["name"] == "track_order"
    assert message.get(EVIDENCE_KEY) is None


def test_out_of_scope_examples_are_not_in_scope_neighbours(e5, trained):
    """The trained capital-of-France example must not shelter a near copy of itself."""
    gate = loaded(trained)
    assert gate.nearest_similarity(featurized(e5, "what is the capital of France", "get_refund")) < 0.85


@pytest.mark.parametrize("text", ["KL20251107", "12345", "👍", "/affirm"])
def test_messages_without_a_language_are_left_to_the_dialogue(e5, trained, text):
    message = featurized(e5, text, "affirm")
    loaded(trained).process([message])
    assert message.get(INTENT)["name"] == "affirm"


def test_a_rejection_is_not_judged_again(e5, trained):
    message = featurized(e5, "tell me a joke about penguins", "out_of_scope", 0.7)
    loaded(trained).process([message])
    assert message.get(INTENT) == {"name": "out_of_scope", "confidence": 0.7}
    assert len(message.get(INTENT_RANKING_KEY)) == 1


def test_without_trained_vectors_it_rejects_nothing(e5, tmp_path):
    gate = NearestExampleFallback.load({}, LocalModelStorage(tmp_path), Resource("missing"), CONTEXT)
    message = featurized(e5, "which cryptocurrency should I buy this year", "track_order")
    gate.process([message])
    assert message.get(INTENT)["name"] == "track_order"


def test_training_without_sentence_vectors_is_refused(tmp_path):
    gate = NearestExampleFallback.create({}, LocalModelStorage(tmp_path), Resource("novelty"), CONTEXT)
    with pytest.raises(InvalidConfigException):
        gate.train(TrainingData([Message(data={TEXT: "where is my parcel", INTENT: "track_order"})]))


@pytest.mark.parametrize(
    ("text", "predicted"),
    [
        ("my phone screen broke, can the warranty center repair it", "complaint"),
        ("充电器坏了 还在保修期吗", "get_refund"),
    ],
)
def test_a_message_nearer_to_a_taught_refusal_than_to_any_request_becomes_out_of_scope(e5, tmp_path, text, predicted):
    gate = loaded(train(e5, tmp_path, {"thresholds": LOW_THRESHOLDS}, TRAINING + REFUSALS))
    message = featurized(e5, text, predicted)
    assert gate.nearest_similarity(message) >= 0.8
    gate.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(INTENT_RANKING_KEY)[1]["name"] == predicted
    assert rule_of(message.as_dict(only_output_properties=True)) == NEARER_TO_REFUSAL
    evidence = message.get(EVIDENCE_KEY)
    assert evidence["nearest_refusal"] > evidence["nearest_in_scope"] >= 0.8


@pytest.mark.parametrize(
    ("text", "intent"), [("the parcel I ordered came damaged", "complaint"), ("我买的鞋子坏了 能退吗", "get_refund")]
)
def test_a_request_nearer_to_its_own_examples_than_to_a_refusal_keeps_its_intent(e5, tmp_path, text, intent):
    gate = loaded(train(e5, tmp_path, {"thresholds": LOW_THRESHOLDS}, TRAINING + REFUSALS))
    message = featurized(e5, text, intent)
    gate.process([message])
    assert message.get(INTENT)["name"] == intent


def test_without_a_margin_only_the_distance_rule_rejects(e5, tmp_path):
    gate = loaded(train(e5, tmp_path, {"thresholds": LOW_THRESHOLDS, "margin": None}, TRAINING + REFUSALS))
    message = featurized(e5, "my phone screen broke, can the warranty center repair it", "complaint")
    gate.process([message])
    assert message.get(INTENT)["name"] == "complaint"


def test_a_model_trained_without_refusal_examples_still_loads_and_judges_distance(e5, tmp_path):
    gate = loaded(train(e5, tmp_path, {"thresholds": {"en": 0.85, "zh": 0.89}}, TRAINING[:-1]))
    message = featurized(e5, "which cryptocurrency should I buy this year", "track_order")
    gate.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"


@pytest.mark.parametrize("config", [{"margin": 2.0}, {"margin": -1.5}])
def test_a_bad_margin_is_refused(tmp_path, config):
    with pytest.raises(InvalidConfigException):
        NearestExampleFallback.create(config, LocalModelStorage(tmp_path), Resource("n"), CONTEXT)


@pytest.mark.parametrize("thresholds", [{"fr": 0.8}, {"en": 1.5}])
def test_bad_thresholds_are_refused(tmp_path, thresholds):
    with pytest.raises(InvalidConfigException):
        NearestExampleFallback.create({"thresholds": thresholds}, LocalModelStorage(tmp_path), Resource("n"), CONTEXT)

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


@pytest.fixture()
def trained(e5, tmp_path) -> tuple[LocalModelStorage, Resource, dict]:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("novelty")
    examples = [Message(data={TEXT: text, INTENT: intent}) for text, intent in TRAINING]
    e5.process_training_data(TrainingData(examples))
    config = {"thresholds": {"en": 0.85, "zh": 0.89}}
    NearestExampleFallback.create(config, storage, resource, CONTEXT).train(TrainingData(examples))
    return storage, resource, config


def loaded(trained) -> NearestExampleFallback:
    storage, resource, config = trained
    return NearestExampleFallback.load(config, storage, resource, CONTEXT)


def test_a_question_far_from_every_in_scope_example_becomes_out_of_scope(e5, trained):
    message = featurized(e5, "which cryptocurrency should I buy this year", "track_order")
    loaded(trained).process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "out_of_scope"
    assert message.get(INTENT_RANKING_KEY)[1]["name"] == "track_order"


@pytest.mark.parametrize("text", ["where's my package, it hasn't arrived", "我的包裹怎么还没到"])
def test_a_paraphrase_of_a_taught_request_keeps_its_intent(e5, trained, text):
    message = featurized(e5, text, "track_order")
    loaded(trained).process([message])
    assert message.get(INTENT)["name"] == "track_order"


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


@pytest.mark.parametrize("thresholds", [{"fr": 0.8}, {"en": 1.5}])
def test_bad_thresholds_are_refused(tmp_path, thresholds):
    with pytest.raises(InvalidConfigException):
        NearestExampleFallback.create({"thresholds": thresholds}, LocalModelStorage(tmp_path), Resource("n"), CONTEXT)

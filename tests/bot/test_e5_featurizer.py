"""The e5 sentence featurizer: one scaled vector per message, meaning across languages, a cache
that spares re-encoding (runs in .venv-bot)."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.e5_featurizer import DIMENSION, E5SentenceFeaturizer


def featurizer(**config) -> E5SentenceFeaturizer:
    return E5SentenceFeaturizer.create(config, None, None, ExecutionContext(GraphSchema({}), "e5"))


@pytest.fixture(scope="module")
def uncached() -> E5SentenceFeaturizer:
    return featurizer(cache_dir=None)


def sentence_vector(message: Message) -> np.ndarray:
    _, sentence = message.get_dense_features(TEXT)
    return sentence.features


def test_each_message_gets_one_scaled_sentence_vector():
    messages = featurizer(cache_dir=None, scale=10.0).process([Message(data={TEXT: "where is my parcel"})])
    vector = sentence_vector(messages[0])
    assert vector.shape == (1, DIMENSION)
    assert np.linalg.norm(vector) == pytest.approx(10.0, rel=1e-3)
    sequence, _ = messages[0].get_dense_features(TEXT)
    assert sequence is None


def test_messages_without_text_are_left_alone(uncached):
    message = Message(data={"intent": "greet"})
    uncached.process([message])
    assert message.get_dense_features(TEXT) == (None, None)


def test_a_chinese_paraphrase_is_closer_than_an_unrelated_english_request(uncached):
    parcel, chinese_parcel, joke = uncached.encode(["where is my parcel", "我的快递到哪了", "tell me a joke"])
    assert parcel @ chinese_parcel > parcel @ joke


def test_training_data_is_encoded_once_and_then_read_from_the_cache(tmp_path, monkeypatch):
    texts = ["cancel my order please", "退款多久到账"]
    first = featurizer(cache_dir=str(tmp_path))
    first.process_training_data(TrainingData([Message(data={TEXT: t}) for t in texts]))
    second = featurizer(cache_dir=str(tmp_path))
    monkeypatch.setattr(second, "_encoder", lambda: pytest.fail("a cached text was encoded again"))
    again = second.encode(texts)
    assert np.allclose(again, first.encode(texts))


def test_training_and_run_time_give_the_same_vector(tmp_path):
    component = featurizer(cache_dir=str(tmp_path))
    data = TrainingData([Message(data={TEXT: "do you ship to hong kong"})])
    component.process_training_data(data)
    live = component.process([Message(data={TEXT: "do you ship to hong kong"})])[0]
    assert np.allclose(sentence_vector(data.training_examples[0]), sentence_vector(live), atol=1e-5)


@pytest.mark.parametrize("config", [{"scale": 0}, {"batch_size": 0}, {"variant": "enpt"}])
def test_bad_configuration_is_refused(config):
    with pytest.raises(InvalidConfigException):
        featurizer(**config)

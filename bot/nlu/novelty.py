"""Reject a message that is far from everything the assistant was taught, whatever the classifier says.

A softmax classifier always spreads its confidence over the intents it knows, so a question about
crypto or a phone bug can still win "recommend_products" at 0.9. The e5 sentence vector says how
far the message is from the nearest in-scope training example; when even the nearest one is not
close, the message is off-topic and becomes `out_of_scope`: the FAQ may still answer it, with the
stricter threshold it applies to off-topic messages, and otherwise the customer gets the polite
out-of-scope answer, never a policy that merely shares a few words. The thresholds are per language because e5 places
Chinese sentences
closer together than English ones; they were calibrated on the real-message dev sets
(docs/nlu-evaluation.md). A message without language (an order number, digits, an emoji, a button
payload) is never judged here: those belong to the dialogue.

Placed after FallbackClassifier; it reads the dense sentence features (only the e5 featurizer
produces any in this pipeline) and keeps the in-scope training vectors (float16, ~3 MB).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kelian.language import LANGUAGES, detect_language

logger = logging.getLogger(__name__)

VECTORS_FILE = "in_scope_vectors.npy"
# Intents that already mean "not for me": their examples are not in-scope neighbours, and a message
# already predicted as one of them needs no second opinion.
OUT_OF_SCOPE = "out_of_scope"
REJECTIONS = frozenset({OUT_OF_SCOPE, DEFAULT_NLU_FALLBACK_INTENT_NAME})


def sentence_vector(message: Message) -> Optional[np.ndarray]:
    """The message's dense sentence feature as a unit vector, or None when it has none."""
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        return None
    vector = np.asarray(sentence.features, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NearestExampleFallback(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[Type]:
        # At training time Rasa's graph gives a classifier only the featurizers as ancestors; at
        # run time the pipeline order puts it after the classifiers (config.yml).
        return [DenseFeaturizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Cosine similarity to the nearest in-scope training example below which a message is rejected.
        return {"thresholds": {"en": 0.85, "zh": 0.89}}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectors: Optional[np.ndarray] = None,
    ) -> None:
        thresholds = config.get("thresholds") or {}
        if set(thresholds) - set(LANGUAGES) or not all(0.0 <= float(v) <= 1.0 for v in thresholds.values()):
            raise InvalidConfigException(f"NearestExampleFallback: thresholds are per language {LANGUAGES}, in [0, 1]")
        self._thresholds = {language: float(value) for language, value in thresholds.items()}
        self._storage = model_storage
        self._resource = resource
        self._vectors = vectors

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NearestExampleFallback":
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        vectors = [
            v
            for m in training_data.intent_examples
            if m.get(INTENT) not in REJECTIONS and (v := sentence_vector(m)) is not None
        ]
        if not vectors:
            raise InvalidConfigException(
                "NearestExampleFallback needs a dense sentence featurizer before it "
                "(bot.nlu.e5_featurizer.E5SentenceFeaturizer)"
            )
        self._vectors = np.stack(vectors).astype(np.float16)
        with self._storage.write_to(self._resource) as directory:
            np.save(directory / VECTORS_FILE, self._vectors, allow_pickle=False)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "NearestExampleFallback":
        try:
            with model_storage.read_from(resource) as directory:
                vectors = np.load(directory / VECTORS_FILE, allow_pickle=False).astype(np.float32)
        except (ValueError, OSError) as error:
            logger.warning("NearestExampleFallback: no trained vectors (%s); it will reject nothing", error)
            vectors = None
        return cls({**cls.get_default_config(), **config}, model_storage, resource, vectors)

    def nearest_similarity(self, message: Message) -> Optional[float]:
        vector = sentence_vector(message)
        if vector is None or self._vectors is None or vector.shape[0] != self._vectors.shape[1]:
            return None
        return float(np.max(self._vectors @ vector))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) in REJECTIONS:
                continue
            threshold = self._thresholds.get(detect_language(message.get(TEXT)) or "")
            if threshold is None:
                continue
            similarity = self.nearest_similarity(message)
            if similarity is None or similarity >= threshold:
                continue
            logger.debug(
                "nearest in-scope example at %.3f < %.2f: '%s' becomes %s",
                similarity,
                threshold,
                intent.get(INTENT_NAME_KEY),
                OUT_OF_SCOPE,
            )
            fallback = {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: 1.0 - similarity}
            message.set(INTENT, fallback, add_to_output=True)
            message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, fallback)
        return messages

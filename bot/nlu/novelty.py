"""Reject a message that is far from everything the assistant was taught, or nearer to what it was
taught to refuse, whatever the classifier says.

A softmax classifier always spreads its confidence over the intents it knows, so a question about
crypto or a phone bug can still win "recommend_products" at 0.9. The e5 sentence vector gives two
second opinions, both answered with `out_of_scope`:

- **Far from everything.** When even the nearest in-scope training example is not close (below a
  per-language threshold: e5 places Chinese sentences closer together than English ones), the
  message is off-topic.
- **Nearer to a refusal.** When the nearest `out_of_scope` training example is closer than the
  nearest in-scope one (by more than `margin`, 0 by default: a plain nearest-neighbour vote), the
  message is about something the assistant was taught to decline: a warranty repair, a coupon, a
  phone update, a train ticket. The linear classifier draws one boundary through thousands of
  features and lets such a message fall on the side of an intent it shares words with; its nearest
  neighbour does not.

The FAQ may still answer an `out_of_scope` message, with the stricter threshold it applies to
off-topic messages (stricter still for one nearer to a refusal: the rule and the similarities go into
the parse data, kelian/refusal.py), and otherwise the customer gets the polite out-of-scope answer, never a policy
that merely shares a few words. Thresholds and margin were calibrated on the real-message dev sets
(docs/nlu-evaluation.md). A message without language (an order number, digits, an emoji, a button
payload) is never judged here: those belong to the dialogue.

Placed after FallbackClassifier; it reads the dense sentence features (only the e5 featurizer
produces any in this pipeline) and keeps the training vectors (float16, ~6 MB).
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
from kelian.refusal import EVIDENCE_KEY, FAR_FROM_EXAMPLES, NEARER_TO_REFUSAL

logger = logging.getLogger(__name__)

VECTORS_FILE = "in_scope_vectors.npy"
REFUSAL_VECTORS_FILE = "out_of_scope_vectors.npy"
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
        # Cosine similarity to the nearest in-scope training example below which a message is rejected;
        # and how much nearer than that the nearest out_of_scope example must be to reject it (None: never).
        return {"thresholds": {"en": 0.85, "zh": 0.89}, "margin": 0.0}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectors: Optional[np.ndarray] = None,
        refusals: Optional[np.ndarray] = None,
    ) -> None:
        thresholds = config.get("thresholds") or {}
        if set(thresholds) - set(LANGUAGES) or not all(0.0 <= float(v) <= 1.0 for v in thresholds.values()):
            raise InvalidConfigException(f"NearestExampleFallback: thresholds are per language {LANGUAGES}, in [0, 1]")
        self._thresholds = {language: float(value) for language, value in thresholds.items()}
        margin = config.get("margin")
        if margin is not None and not -1.0 <= float(margin) <= 1.0:
            raise InvalidConfigException("NearestExampleFallback: margin is a cosine difference in [-1, 1], or null")
        self._margin = None if margin is None else float(margin)
        self._storage = model_storage
        self._resource = resource
        self._vectors = vectors
        self._refusals = refusals

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
        in_scope: List[np.ndarray] = []
        refusals: List[np.ndarray] = []
        for m in training_data.intent_examples:
            if (v := sentence_vector(m)) is not None:
                (in_scope if m.get(INTENT) not in REJECTIONS else refusals).append(v)
        if not in_scope:
            raise InvalidConfigException(
                "NearestExampleFallback needs a dense sentence featurizer before it "
                "(bot.nlu.e5_featurizer.E5SentenceFeaturizer)"
            )
        self._vectors = np.stack(in_scope).astype(np.float16)
        self._refusals = np.stack(refusals).astype(np.float16) if refusals else None
        with self._storage.write_to(self._resource) as directory:
            np.save(directory / VECTORS_FILE, self._vectors, allow_pickle=False)
            if self._refusals is not None:
                np.save(directory / REFUSAL_VECTORS_FILE, self._refusals, allow_pickle=False)
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
        vectors = refusals = None
        try:
            with model_storage.read_from(resource) as directory:
                vectors = np.load(directory / VECTORS_FILE, allow_pickle=False).astype(np.float32)
                if (directory / REFUSAL_VECTORS_FILE).is_file():
                    refusals = np.load(directory / REFUSAL_VECTORS_FILE, allow_pickle=False).astype(np.float32)
        except (ValueError, OSError) as error:
            logger.warning("NearestExampleFallback: no trained vectors (%s); it will reject nothing", error)
        return cls({**cls.get_default_config(), **config}, model_storage, resource, vectors, refusals)

    @staticmethod
    def _nearest(examples: Optional[np.ndarray], vector: np.ndarray) -> Optional[float]:
        if examples is None or not len(examples) or vector.shape[0] != examples.shape[1]:
            return None
        return float(np.max(examples @ vector))

    def nearest_similarity(self, message: Message) -> Optional[float]:
        """Cosine similarity of the message to its nearest in-scope training example."""
        vector = sentence_vector(message)
        return None if vector is None else self._nearest(self._vectors, vector)

    def _refusal(self, vector: np.ndarray, nearest: float, threshold: float) -> Optional[Dict[str, Any]]:
        """Why a message whose nearest in-scope example is at `nearest` is out of scope (kelian/refusal.py:
        the rule and the similarities it saw), or None when it is not."""
        if nearest < threshold:
            return {"rule": FAR_FROM_EXAMPLES, "nearest_in_scope": round(nearest, 4), "nearest_refusal": None}
        refusal = self._nearest(self._refusals, vector) if self._margin is not None else None
        if refusal is not None and refusal > nearest + self._margin:
            return {
                "rule": NEARER_TO_REFUSAL,
                "nearest_in_scope": round(nearest, 4),
                "nearest_refusal": round(refusal, 4),
            }
        return None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) in REJECTIONS:
                continue
            threshold = self._thresholds.get(detect_language(message.get(TEXT)) or "")
            vector = sentence_vector(message) if threshold is not None else None
            nearest = self._nearest(self._vectors, vector) if vector is not None else None
            if threshold is None or vector is None or nearest is None:
                continue
            evidence = self._refusal(vector, nearest, threshold)
            if evidence is None:
                continue
            logger.debug("%s: '%s' becomes %s", evidence, intent.get(INTENT_NAME_KEY), OUT_OF_SCOPE)
            fallback = {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: 1.0 - nearest}
            message.set(INTENT, fallback, add_to_output=True)
            message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, fallback)
            # the FAQ asks more of its match for a message nearer to a taught refusal (retrieval/faq_index.py)
            message.set(EVIDENCE_KEY, evidence, add_to_output=True)
        return messages

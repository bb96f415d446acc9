"""The recommender one process serves, loaded the same way by the action server and the console: on
first use (or at start-up), swapped for the version `current` points at when a newer one is trained,
and, while none can be loaded, tried again at most every `retry_seconds`."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from recommender.artifacts import ArtifactError
from recommender.serving.service import Recommender

log = logging.getLogger(__name__)


class RecommenderUnavailable(RuntimeError):
    """No trained recommender can be loaded (none trained yet, a damaged version); says why."""


class ServedRecommender:
    def __init__(self, path: Path, retry_seconds: float = 0.0) -> None:
        self.path = Path(path)
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._recommender: Recommender | None = None
        self._problem: str | None = None
        self._tried_at = 0.0

    def get(self) -> Recommender:
        """The served recommender, the newest trained version; RecommenderUnavailable when none loads."""
        with self._lock:
            if self._recommender is None:
                if self._problem is not None and time.monotonic() - self._tried_at < self.retry_seconds:
                    raise RecommenderUnavailable(self._problem)
                self._tried_at = time.monotonic()
                try:
                    self._recommender = Recommender.load(self.path)
                except (ArtifactError, OSError, ValueError) as error:
                    self._problem = f"no trained recommender under {self.path} ({error})"
                    raise RecommenderUnavailable(self._problem) from error
                self._problem = None
                log.info("recommender %s loaded", self._recommender.version)
            elif self._recommender.reload_if_newer():
                log.info("recommender switched to %s", self._recommender.version)
            return self._recommender

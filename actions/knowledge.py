"""The shop's standing policies (data/knowledge/policies.yml), loaded once."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml

from actions.i18n import Language

KNOWLEDGE_DIR = Path(os.environ.get("KELIAN_KNOWLEDGE_DIR", Path(__file__).resolve().parent.parent / "data" / "knowledge"))


@lru_cache(maxsize=1)
def policies() -> dict[str, dict[str, str]]:
    with open(KNOWLEDGE_DIR / "policies.yml", encoding="utf-8") as f:
        return {entry["topic"]: {"en": entry["en"], "zh": entry["zh"]} for entry in yaml.safe_load(f)}


def policy(topic: str, language: Language) -> str:
    """The answer on `topic` in `language`; KeyError for a topic the file does not have."""
    return policies()[topic][language]

"""Training examples that are near-copies of the real-message dev sets (../shared/eval).

`../shared/tools/contamination-check` finds exact copies (after normalisation) of 8+ Chinese or 14+
other characters. The evaluation rules forbid more: a dev message with a word swapped, a particle
added or its punctuation changed is still a copy, and it inflates the very figures that are meant
to say how the assistant does on messages nobody here wrote. This check compares every training
example with every dev message by normalised edit similarity (rapidfuzz's Indel ratio) and lists
the pairs at or above `THRESHOLD`.

Very short dev messages are exempt (a greeting, "yes", "好的", "人工"): every assistant must be taught
those few words, and there is no other way to write them.

`python -m devstack near-copies` prints the pairs (`--remove` deletes those training lines);
tests/nlu/test_near_copies.py keeps the list empty.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from devstack.config import ROOT
from kelian.language import has_chinese
from devstack.nlu_dev import eval_files

TRAINING_DIR = ROOT / "data" / "rasa" / "nlu"
THRESHOLD = 80.0
# Dev messages shorter than this (normalised characters) are not compared.
MIN_CHARACTERS = {"zh": 4, "other": 10}
_ENTITY = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class NearCopy:
    similarity: float
    training: str
    training_file: str
    dev: str
    dev_set: str


def normalise(text: str) -> str:
    """As contamination-check: entity markup resolved, lower case, letters and digits only."""
    return _NOT_WORD.sub("", _ENTITY.sub(lambda m: m.group(1) or m.group(2) or "", text).lower())


def examples(path: Path) -> list[str]:
    """The example lines of a Rasa NLU YAML file (intents, synonyms and lookups alike)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lines = []
    for block in data.get("nlu") or []:
        text = block.get("examples") if isinstance(block, dict) else None
        if isinstance(text, str):
            lines += [line.strip()[2:].strip() for line in text.splitlines() if line.strip().startswith("- ")]
    return lines


def comparable(dev_text: str) -> bool:
    normalised = normalise(dev_text)
    minimum = MIN_CHARACTERS["zh" if has_chinese(normalised) else "other"]
    return len(normalised) >= minimum


def near_copies(
    training_dir: Path = TRAINING_DIR, dev_files: list[Path] | None = None, threshold: float = THRESHOLD
) -> list[NearCopy]:
    training = [
        (normalise(text), text, str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path))
        for path in sorted(training_dir.rglob("*.yml"))
        for text in examples(path)
    ]
    training = [row for row in training if row[0]]
    dev = [
        (normalise(text), text, path.stem)
        for path in (dev_files or eval_files())
        for text in examples(path)
        if comparable(text)
    ]
    if not training or not dev:
        return []
    scores = process.cdist(
        [d[0] for d in dev], [t[0] for t in training], scorer=fuzz.ratio, score_cutoff=threshold, workers=1
    )
    found = []
    for i, j in zip(*scores.nonzero()):
        found.append(NearCopy(float(scores[i, j]), training[j][1], training[j][2], dev[i][1], dev[i][2]))
    return sorted(found, key=lambda c: (-c.similarity, c.training_file, c.training))


def remove(copies: list[NearCopy]) -> int:
    """Deletes the example lines of `copies` from their training files; returns how many went."""
    removed = 0
    by_file: dict[str, set[str]] = {}
    for copy in copies:
        by_file.setdefault(copy.training_file, set()).add(copy.training)
    for name, texts in by_file.items():
        path = ROOT / name if not Path(name).is_absolute() else Path(name)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not (line.strip().startswith("- ") and line.strip()[2:].strip() in texts)]
        removed += len(lines) - len(kept)
        path.write_text("".join(kept), encoding="utf-8")
    return removed


def report(args: argparse.Namespace) -> int:
    copies = near_copies(threshold=args.threshold)
    for copy in copies:
        print(f"{copy.similarity:5.1f}  {copy.training_file}: {copy.training!r}  ~  {copy.dev_set}: {copy.dev!r}")
    if args.remove and copies:
        print(f"removed {remove(copies)} training lines")
        return 0
    return 1 if copies else 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("near-copies", help="training examples that nearly copy a dev-set message (must be none)")
    p.add_argument("--threshold", type=float, default=THRESHOLD)
    p.add_argument(
        "--remove", action="store_true", help="delete those training lines (then write new examples of your own)"
    )
    p.set_defaults(func=report)

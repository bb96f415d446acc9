"""The models the Rasa server loads (models/), their dev-set figures, and a retrained candidate's activation.

The active model is the one Rasa itself picks from models/ at start: the newest file by modification time
(`rasa.model.get_latest_model`). Its figures are those recorded when it was activated from the console
(var/training/figures/<model>.json), or the accepted baseline's (docs/nlu-dev-baseline.json) when the
baseline names it; a model trained elsewhere has none until measured (`make test-rasa`).

Activating moves the candidate into models/ and touches it, so it is the newest there: the running Rasa
server is then asked to load it (`PUT /model`, console/rasa.py), and a Rasa server started later picks it
by itself. The move happens first: if Rasa does not answer, the model is active from its next start.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from console.config import ROOT
from console.training import TrainingSettings

BASELINE = ROOT / "docs" / "nlu-dev-baseline.json"
FIGURES = ("accuracy", "macro_f1", "off_topic_rejected", "in_scope_rejected")
_STAMP = re.compile(r"^(\d{8}-\d{6})")


class CannotActivate(RuntimeError):
    """Nothing to activate, or a model of that name is in models/ already; the key says which."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class ModelInfo:
    name: str
    trained_at: datetime  # from Rasa's file name (its local time when trained), else the file's time
    size_bytes: int
    figures: dict[str, dict[str, float]] | None  # set -> figure -> percent


def latest_model(models_dir: Path) -> Path | None:
    """Rasa's own choice from a folder of models: the newest by modification time."""
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def read_baseline(path: Path = BASELINE) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _figures_dir(settings: TrainingSettings) -> Path:
    return settings.work_dir / "figures"


def recorded_figures(settings: TrainingSettings, name: str, baseline: dict[str, Any]) -> dict[str, Any] | None:
    record = _figures_dir(settings) / f"{name}.json"
    if record.is_file():
        try:
            return json.loads(record.read_text()).get("sets")
        except ValueError:
            return None
    return baseline.get("sets") if baseline.get("model") == name else None


def model_info(path: Path, figures: dict[str, Any] | None) -> ModelInfo:
    stat = path.stat()
    found = _STAMP.match(path.name)
    when = (
        datetime.strptime(found.group(1), "%Y%m%d-%H%M%S")
        if found
        else datetime.fromtimestamp(stat.st_mtime, timezone.utc).replace(tzinfo=None)
    )
    return ModelInfo(path.name, when, stat.st_size, figures)


def active_model(settings: TrainingSettings, baseline: dict[str, Any]) -> ModelInfo | None:
    path = latest_model(settings.models_dir)
    return None if path is None else model_info(path, recorded_figures(settings, path.name, baseline))


@dataclass(frozen=True)
class FigureRow:
    dev_set: str
    figure: str
    baseline: float | None
    active: float | None
    candidate: float | None
    below_gate: bool  # the candidate's figure is one the gate reports as a regression


def comparison(
    baseline: dict[str, Any], active: dict[str, Any] | None, candidate: dict[str, Any] | None
) -> list[FigureRow]:
    """One row per dev set and figure that any of the three has, in the gate's order."""
    accepted = baseline.get("sets") or {}
    measured = (candidate or {}).get("sets") or {}
    regressions = [str(r) for r in (candidate or {}).get("regressions") or []]
    sets = list(dict.fromkeys([*accepted, *(active or {}), *measured]))
    rows = []
    for name in sets:
        for figure in FIGURES:
            was, now, new = ((source or {}).get(name, {}).get(figure) for source in (accepted, active, measured))
            if was is None and now is None and new is None:
                continue
            worse = any(r.startswith(f"{name}: {figure} ") for r in regressions)
            rows.append(FigureRow(name, figure, was, now, new, worse))
    return rows


def activate(settings: TrainingSettings, candidate_name: str, figures: dict[str, Any]) -> Path:
    """Move the candidate into models/ as the newest model and record its figures; the new path."""
    source = settings.candidate_dir / Path(candidate_name).name
    if not source.is_file():
        raise CannotActivate("training.activate.missing")
    target = settings.models_dir / source.name
    if target.exists():
        raise CannotActivate("training.activate.exists")
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    _figures_dir(settings).mkdir(parents=True, exist_ok=True)
    (_figures_dir(settings) / f"{source.name}.json").write_text(json.dumps(figures, ensure_ascii=False))
    newest = latest_model(settings.models_dir)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)  # candidate and models/ may lie on different file systems
    # The newest by modification time, even when a model there has a time ahead of the clock.
    stamp = max(time.time(), newest.stat().st_mtime + 1 if newest else 0.0)
    os.utime(partial, (stamp, stamp))
    partial.replace(target)  # Rasa only ever sees the whole file (it globs *.tar.gz)
    source.unlink()
    return target

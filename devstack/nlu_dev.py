"""Scores on the development sets of real customer messages (../shared/eval), and their gate.

The sets are measured, never trained on. Following their README, `out_of_scope` and `nlu_fallback`
count as one "rejected" answer, macro F1 only averages intents with at least six messages, and
every set reports how many in-scope messages were wrongly rejected. `make test` fails when a figure
drops more than `TOLERANCE` below the accepted one in docs/nlu-dev-baseline.json, or more than one
message's worth where a figure counts fewer than 50 messages (the off-topic messages of en-real and
zh-real: one message there is 2.4-2.6 points, and retraining can move one borderline message).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from devstack.config import ROOT, StackConfig
from devstack.stack import VENV_BOT
from kelian.refusal import rule_of
from retrieval.faq_index import FaqIndex, load_entries, margin_for

EVAL_DIR = ROOT.parent / "shared" / "eval"
DEV_SETS = ("en-support-dev", "en-real-dev", "zh-real-dev", "oos-dev")
BASELINE = ROOT / "docs" / "nlu-dev-baseline.json"
PREDICTIONS = ROOT / "results" / "dev" / "predictions.json"
REJECTED = "rejected"
REJECTIONS = frozenset({"out_of_scope", "nlu_fallback"})
MIN_SUPPORT_FOR_F1 = 6
# A figure may fall this far (in points) below the accepted one before the gate fails.
TOLERANCE = 2.0


class MissingEvalSets(RuntimeError):
    """../shared/eval is not next to the repository."""


@dataclass(frozen=True)
class DevScores:
    messages: int
    accuracy: float
    macro_f1: float | None
    off_topic_rejected: float | None
    in_scope_rejected: float | None
    off_topic_messages: int = 0
    in_scope_messages: int = 0

    def figures(self) -> dict[str, float]:
        """The gated figures in percent (None: the set has no such messages)."""
        counts = {"messages", "off_topic_messages", "in_scope_messages"}
        return {k: round(100 * v, 1) for k, v in asdict(self).items() if k not in counts and v is not None}

    def tolerance(self, figure: str) -> float:
        """Points `figure` may fall: TOLERANCE, or one message of the figure's own denominator."""
        denominator = {"off_topic_rejected": self.off_topic_messages, "in_scope_rejected": self.in_scope_messages}.get(
            figure, self.messages
        )
        return max(TOLERANCE, 100 / denominator + 0.05) if denominator else TOLERANCE


def label(intent: str | None) -> str:
    return REJECTED if intent in REJECTIONS or intent is None else intent


def score(rows: list[dict[str, Any]]) -> DevScores:
    gold = [label(r["gold"]) for r in rows]
    predicted = [label(r["predicted"]) for r in rows]
    correct = sum(g == p for g, p in zip(gold, predicted))
    support = Counter(gold)
    f1s = []
    for intent, count in support.items():
        if intent == REJECTED or count < MIN_SUPPORT_FOR_F1:
            continue
        true_positive = sum(g == p == intent for g, p in zip(gold, predicted))
        predicted_count = sum(p == intent for p in predicted)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / count
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    off_topic = [p for g, p in zip(gold, predicted) if g == REJECTED]
    in_scope = [p for g, p in zip(gold, predicted) if g != REJECTED]
    return DevScores(
        messages=len(rows),
        accuracy=correct / len(rows),
        macro_f1=statistics.fmean(f1s) if f1s else None,
        off_topic_rejected=sum(p == REJECTED for p in off_topic) / len(off_topic) if off_topic else None,
        in_scope_rejected=sum(p == REJECTED for p in in_scope) / len(in_scope) if in_scope else None,
        off_topic_messages=len(off_topic),
        in_scope_messages=len(in_scope),
    )


def eval_files() -> list[Path]:
    files = [EVAL_DIR / f"{name}.yml" for name in DEV_SETS]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise MissingEvalSets(
            f"the development sets are missing ({', '.join(missing)}): they live in ../shared/eval "
            "next to the repository; without them the real-message gate cannot run"
        )
    return files


def run_predictions(model: Path, out: Path = PREDICTIONS) -> dict[str, Any]:
    """Every dev message parsed by the model in .venv-bot (devstack/nlu_predict.py)."""
    subprocess.run(
        [
            str(VENV_BOT / "python"),
            str(ROOT / "devstack" / "nlu_predict.py"),
            "--model",
            str(model),
            "--out",
            str(out),
            *map(str, eval_files()),
        ],
        cwd=ROOT,
        env=StackConfig().env(),
        check=True,
    )
    return json.loads(out.read_text())


def scores_by_set(predictions: dict[str, Any]) -> dict[str, DevScores]:
    return {name: score(predictions["sets"][name]) for name in DEV_SETS if name in predictions["sets"]}


def latency_ms(predictions: dict[str, Any]) -> dict[str, float]:
    """Per-message parse time over all dev messages (one process, model loaded and warm): wall clock and
    the process's CPU time (what a parse costs; the wall clock adds the waits for a core when other work
    runs), and the 1-minute load average when the parsing ended."""
    rows = [r for rows in predictions["sets"].values() for r in rows]
    figures = {"load": float(predictions.get("load_average", float("nan")))}
    for prefix, key in (("", "seconds"), ("cpu_", "cpu_seconds")):
        seconds = np.array([r[key] for r in rows if key in r], dtype=float)
        if len(seconds):
            figures[f"{prefix}p50"], figures[f"{prefix}p95"] = 1000 * np.percentile(seconds, [50, 95])
            figures[f"{prefix}max"] = 1000 * float(seconds.max())
    return figures


def describe_latency(latency: dict[str, float]) -> str:
    """One sentence for reports: wall clock, CPU (when measured) and the machine's load."""
    text = f"p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms, max {latency['max']:.1f} ms wall clock"
    if "cpu_p95" in latency:
        text += f" (CPU p50 {latency['cpu_p50']:.1f} ms, p95 {latency['cpu_p95']:.1f} ms)"
    return f"{text}, load average {latency['load']:.1f} on {os.cpu_count()} cores"


def regressions(scores: dict[str, DevScores], baseline: dict[str, dict[str, float]]) -> list[str]:
    """Figures more than TOLERANCE points worse than accepted. Rejecting in-scope messages is the
    one figure where lower is better."""
    failures = []
    for name, accepted in baseline.items():
        if name not in scores:
            failures.append(f"{name}: no predictions")
            continue
        now = scores[name].figures()
        for figure, value in accepted.items():
            current = now.get(figure)
            tolerance = scores[name].tolerance(figure)
            if current is None:
                failures.append(f"{name}: {figure} missing")
            elif figure == "in_scope_rejected" and current > value + tolerance:
                failures.append(f"{name}: {figure} {current:.1f}% > accepted {value:.1f}% + {tolerance:.2g}")
            elif figure != "in_scope_rejected" and current < value - tolerance:
                failures.append(f"{name}: {figure} {current:.1f}% < accepted {value:.1f}% - {tolerance:.2g}")
    return failures


def rejected_after_faq(predictions: dict[str, Any], faq: FaqIndex | None = None) -> dict[str, float | None]:
    """Per set, the share of its off-topic messages that the customer still hears rejected: the dialogue
    gives every message the NLU rejected to the FAQ (actions/faq.py), which answers when an entry beats
    the threshold of the message's language (by `margin_for` the NLU's intent and rejection rule more).
    On `oos-dev` an FAQ answer is always wrong; the Chinese off-topic messages include shop topics
    without an intent (warranty, 价保) that the FAQ should answer."""
    faq = faq or FaqIndex.build(load_entries())
    shares: dict[str, float | None] = {}
    for name, rows in predictions["sets"].items():
        off_topic = [r for r in rows if label(r["gold"]) == REJECTED]
        still = sum(
            label(r["predicted"]) == REJECTED
            and faq.answer(r["text"], margin=margin_for(r["predicted"], rule_of(r))) is None
            for r in off_topic
        )
        shares[name] = still / len(off_topic) if off_topic else None
    return shares


def table(scores: dict[str, DevScores], after_faq: dict[str, float | None] | None = None) -> list[str]:
    """The figures as a markdown table; `after_faq` (rejected_after_faq) adds what the FAQ step leaves."""

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    extra = after_faq is not None
    lines = [
        "| dev set | messages | intent accuracy | macro F1 (≥ 6 msgs) | off-topic rejected | "
        + ("off-topic still rejected after the FAQ | " if extra else "")
        + "in-scope wrongly rejected |",
        "| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if extra else ""),
    ]
    for name, s in scores.items():
        f1 = "—" if s.macro_f1 is None else f"{s.macro_f1:.3f}"
        faq = f" {pct(after_faq.get(name))} |" if after_faq is not None else ""
        lines.append(
            f"| `{name}` | {s.messages} | {pct(s.accuracy)} | {f1} | {pct(s.off_topic_rejected)} |{faq} "
            f"{pct(s.in_scope_rejected)} |"
        )
    return lines


def read_baseline() -> dict[str, dict[str, float]]:
    return json.loads(BASELINE.read_text())["sets"]


def write_baseline(scores: dict[str, DevScores], model: str) -> None:
    BASELINE.write_text(
        json.dumps(
            {"model": model, "tolerance_points": TOLERANCE, "sets": {name: s.figures() for name, s in scores.items()}},
            indent=2,
        )
        + "\n"
    )

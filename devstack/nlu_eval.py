"""NLU quality: the real-message dev sets' gate and the team's held-out sets' gate (make test), and
the evaluation document docs/nlu-evaluation.md (make eval-nlu): dev sets first, then the team's own
sets, then (optionally, slow) per-language cross-validation."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from devstack import nlu_dev
from devstack.config import ROOT, StackConfig
from devstack.stack import VENV_BOT, latest_model

LANGUAGES = ("en", "zh")
# The held-out sets (tests/nlu/) must stay at or above these; raise them as the data improves.
MIN_ACCURACY = {"en": 0.85, "zh": 0.85}
MIN_OUT_OF_SCOPE_REJECTION = 0.80
NOT_A_SUPPORT_INTENT = {"out_of_scope", "nlu_fallback"}


@dataclass(frozen=True)
class IntentScores:
    accuracy: float
    macro_f1: float
    weighted_f1: float
    out_of_scope_rejection: float | None
    examples: int


def read_scores(result_dir: Path) -> IntentScores:
    """Scores from the intent_report.json `rasa test nlu` writes. A message the model is unsure of
    becomes nlu_fallback: for an out-of-scope message that is a correct rejection."""
    report = json.loads((result_dir / "intent_report.json").read_text())
    oos = report.get("out_of_scope")
    rejection = None
    if oos and oos["support"]:
        rejected = round(oos["recall"] * oos["support"]) + oos.get("confused_with", {}).get("nlu_fallback", 0)
        rejection = rejected / oos["support"]
    return IntentScores(
        accuracy=report["accuracy"],
        macro_f1=report["macro avg"]["f1-score"],
        weighted_f1=report["weighted avg"]["f1-score"],
        out_of_scope_rejection=rejection,
        examples=int(report["weighted avg"]["support"]),
    )


def report(args: argparse.Namespace) -> int:
    failures = []
    print(f"{'set':<14}{'examples':>9}{'accuracy':>10}{'macro F1':>10}{'OOS rejected':>14}")
    for result_dir in map(Path, args.result_dirs):
        language = result_dir.name.rsplit("-", 1)[-1]
        scores = read_scores(result_dir)
        oos = "—" if scores.out_of_scope_rejection is None else f"{scores.out_of_scope_rejection:.1%}"
        print(f"{result_dir.name:<14}{scores.examples:>9}{scores.accuracy:>10.1%}{scores.macro_f1:>10.3f}{oos:>14}")
        minimum = MIN_ACCURACY.get(language)
        if minimum is not None and scores.accuracy < minimum:
            failures.append(f"{result_dir.name}: intent accuracy {scores.accuracy:.1%} < {minimum:.0%}")
        if scores.out_of_scope_rejection is not None and scores.out_of_scope_rejection < MIN_OUT_OF_SCOPE_REJECTION:
            failures.append(
                f"{result_dir.name}: only {scores.out_of_scope_rejection:.1%} of out-of-scope messages rejected"
            )
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


def dev_gate(args: argparse.Namespace) -> int:
    """Parse the dev sets with the latest model (or --model), print the figures and fail on a regression
    (or, with --accept, record them as the new accepted figures). --json writes the figures and the gate's
    findings for the console's retraining page (console/training.py runs this as a subprocess)."""
    model = Path(args.model) if args.model else latest_model(ROOT / "models")
    if model is None or not model.exists():
        print("No trained model in models/: run `make train` first.", file=sys.stderr)
        return 1
    out = Path(args.json) if args.json else None
    try:
        predictions = nlu_dev.run_predictions(model, *([out.with_name("predictions.json")] if out else []))
    except nlu_dev.MissingEvalSets as error:
        print(f"FAILED {error}", file=sys.stderr)
        return 1
    scores = nlu_dev.scores_by_set(predictions)
    print("\n".join(nlu_dev.table(scores, nlu_dev.rejected_after_faq(predictions))))
    latency = nlu_dev.latency_ms(predictions)
    print(f"NLU parse time per message: {nlu_dev.describe_latency(latency)}")
    if args.accept:
        nlu_dev.write_baseline(scores, model.name)
        print(f"accepted: {nlu_dev.BASELINE}")
        return 0
    if not nlu_dev.BASELINE.is_file():
        print(
            f"FAILED no accepted figures in {nlu_dev.BASELINE}: run `python -m devstack nlu-dev --accept`",
            file=sys.stderr,
        )
        return 1
    failures = nlu_dev.regressions(scores, nlu_dev.read_baseline())
    for failure in failures:
        print(f"FAILED dev-set regression: {failure}", file=sys.stderr)
    if out is not None:
        figures = {name: s.figures() for name, s in scores.items()}
        messages = {name: s.messages for name, s in scores.items()}
        findings = {"model": model.name, "sets": figures, "messages": messages, "regressions": failures}
        out.write_text(json.dumps({**findings, "tolerance_points": nlu_dev.TOLERANCE}, indent=2) + "\n")
    return 1 if failures else 0


def evaluate(args: argparse.Namespace) -> int:
    """The document: dev-set figures (re-measured unless --report-only), the team's held-out sets
    (from the last `make test-rasa`), cross-validation when asked for or already on disk."""
    results = ROOT / "results"
    if not args.report_only:
        model = latest_model(ROOT / "models")
        if model is None:
            print("No trained model in models/: run `make train` first.", file=sys.stderr)
            return 1
        nlu_dev.run_predictions(model)
    predictions = json.loads(nlu_dev.PREDICTIONS.read_text())
    rows = []
    for language in LANGUAGES:
        out = results / f"cv-{language}"
        if args.cross_validation and not args.report_only:
            run_cross_validation(language, args.folds, out)
        if (out / "intent_report.json").exists():
            rows.append((language, read_scores(out), entity_f1(out)))
    held_out = [
        (language, read_scores(results / f"nlu-{language}"))
        for language in LANGUAGES
        if (results / f"nlu-{language}" / "intent_report.json").exists()
    ]
    write_markdown(predictions, rows, held_out, args.folds)
    return 0


def run_cross_validation(language: str, folds: int, out: Path) -> None:
    """`rasa test nlu --cross-validation` on one language's training data (and the shared entity data)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        for source in sorted((ROOT / "data" / "rasa" / "nlu" / language).glob("*.yml")):
            shutil.copy(source, data / source.name)
        shutil.copy(ROOT / "data" / "rasa" / "nlu" / "entities.yml", data / "entities.yml")
        print(f"{folds}-fold cross-validation, {language}…", flush=True)
        subprocess.run(
            [
                str(VENV_BOT / "rasa"),
                "test",
                "nlu",
                "--config",
                str(ROOT / "config.yml"),
                "--nlu",
                str(data),
                "--cross-validation",
                "--folds",
                str(folds),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=StackConfig().env(),
            check=True,
        )


def entity_f1(result_dir: Path) -> dict[str, float]:
    scores = {}
    for path in result_dir.glob("*_report.json"):
        extractor = path.stem.removesuffix("_report")
        if extractor in ("intent", "response_selection"):
            continue
        scores[extractor] = json.loads(path.read_text())["weighted avg"]["f1-score"]
    return scores


def write_markdown(
    predictions: dict[str, Any],
    rows: list[tuple[str, IntentScores, dict[str, float]]],
    held_out: list[tuple[str, IntentScores]],
    folds: int,
) -> None:
    latency = nlu_dev.latency_ms(predictions)
    lines = [
        "# NLU evaluation",
        "",
        f"Measured {date.today().isoformat()} with `make eval-nlu` (pipeline: `config.yml`, model "
        f"`{predictions['model']}`).",
        "",
        "## Real customer messages (`../shared/eval`, never trained on)",
        "",
        '`out_of_scope` and `nlu_fallback` count as one "rejected" answer; macro F1 averages the intents',
        "with at least 6 messages. `make test` fails when a figure drops more than "
        f"{nlu_dev.TOLERANCE:g} points below `docs/nlu-dev-baseline.json`.",
        "",
        *nlu_dev.table(nlu_dev.scores_by_set(predictions), nlu_dev.rejected_after_faq(predictions)),
        "",
        '"Still rejected after the FAQ": a message the NLU rejects goes to the FAQ (`actions/faq.py`), which',
        "answers it when an entry is close enough; on `oos-dev` every such answer is wrong, while the Chinese",
        "off-topic messages include shop topics with no intent (warranty, 价保) that the FAQ should answer.",
        "",
        f"NLU parse time per message (all dev messages, one warm process): {nlu_dev.describe_latency(latency)}"
        " (other work on the machine lengthens the wall clock; the CPU time is what a parse costs).",
    ]
    if held_out:
        lines += [
            "",
            "## The team's own sets (`tests/nlu/`, written by the team like the training data)",
            "",
            "| language | examples | intent accuracy | macro F1 | out-of-scope rejected |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for language, scores in held_out:
            oos = "—" if scores.out_of_scope_rejection is None else f"{scores.out_of_scope_rejection:.1%}"
            lines.append(f"| {language} | {scores.examples} | {scores.accuracy:.1%} | {scores.macro_f1:.3f} | {oos} |")
    if rows:
        lines += [
            "",
            f"## {folds}-fold cross-validation on the training data, per language "
            "(`make eval-nlu CV=1`; figures of the last run)",
            "",
            "| language | examples | intent accuracy | macro F1 | out-of-scope rejected | entity F1 (weighted) |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for language, scores, entities in rows:
            oos = "—" if scores.out_of_scope_rejection is None else f"{scores.out_of_scope_rejection:.1%}"
            ents = ", ".join(f"{name} {value:.3f}" for name, value in sorted(entities.items()))
            lines.append(
                f"| {language} | {scores.examples} | {scores.accuracy:.1%} | {scores.macro_f1:.3f} | {oos} | {ents} |"
            )
    path = ROOT / "docs" / "nlu-evaluation.md"
    existing = path.read_text() if path.exists() else ""
    notes = existing.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in existing else "\n"
    path.write_text("\n".join(lines) + "\n\n<!-- notes -->" + notes)
    print(f"wrote {path}")


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("nlu-report", help="print held-out NLU scores and fail below the quality gate")
    p.add_argument("result_dirs", nargs="+")
    p.set_defaults(func=report)
    p = commands.add_parser("nlu-dev", help="score the latest model on the real-message dev sets; fail on a regression")
    p.add_argument(
        "--accept", action="store_true", help="record the figures as the accepted ones (docs/nlu-dev-baseline.json)"
    )
    p.add_argument("--model", help="the model file to score (default: the latest in models/)")
    p.add_argument("--json", help="also write the figures and the gate's findings to this JSON file")
    p.set_defaults(func=dev_gate)
    p = commands.add_parser(
        "eval-nlu", help="dev sets, held-out sets and (optionally) cross-validation into docs/nlu-evaluation.md"
    )
    p.add_argument(
        "--cross-validation", action="store_true", help="also run k-fold cross-validation per language (slow)"
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the document from the results of the last runs without parsing or training anything",
    )
    p.set_defaults(func=evaluate)

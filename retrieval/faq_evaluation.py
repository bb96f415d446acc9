"""Measures the FAQ retriever on held-out customer questions (`evalsets/faq_queries.yml`): in-scope
questions labelled with the entry that answers them, and questions no FAQ answers (`none`).

Per language it reports top-1 accuracy on the in-scope questions and, at a confidence threshold,
the share of in-scope questions answered with the right entry, answered with a wrong one, and the
share of `none` questions rejected; plus search latency and build time. It also suggests the
threshold the rule of docs/faq-evaluation.md picks: the one answering the most in-scope questions
correctly while rejecting at least `min_rejection` of the `none` ones. That suggestion is chosen
on the very questions it is scored on, so a k-fold estimate (choose on k-1 folds, score the held-out
fold) shows what to expect on new questions.
"""

from __future__ import annotations

import copy
import random
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from retrieval.faq_index import DEFAULT_THRESHOLDS, LANGUAGES, SPARSE_BONUS, FaqEntry, FaqError, FaqIndex
from kelian.language import text_language

EVALSETS = Path(__file__).with_name("evalsets")
NONE = "none"
MIN_REJECTION = 0.85
BONUS_VARIANTS = (0.0, SPARSE_BONUS, 0.1)
START = "<!-- faq-eval:start -->"
END = "<!-- faq-eval:end -->"


@dataclass(frozen=True)
class FaqQuery:
    text: str
    expected: str | None  # None: no FAQ answers it
    language: str


@dataclass(frozen=True)
class Outcome:
    query: FaqQuery
    predicted: str
    score: float

    @property
    def correct(self) -> bool:
        return self.predicted == self.query.expected


def load_queries(path: Path | None = None, known_ids: set[str] | None = None) -> list[FaqQuery]:
    path = path or EVALSETS / "faq_queries.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list) or not raw:
        raise FaqError(f"{path}: expected a list of {{query, expected}} items")
    queries: list[FaqQuery] = []
    for position, item in enumerate(raw, start=1):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("query"), str)
            or not isinstance(item.get("expected"), str)
        ):
            raise FaqError(f"{path}: item {position} needs a query and an expected FAQ id (or none)")
        expected = None if item["expected"] == NONE else item["expected"]
        if expected is not None and known_ids is not None and expected not in known_ids:
            raise FaqError(f"{path}: item {position} expects {expected!r}, which is not an FAQ id")
        queries.append(FaqQuery(item["query"], expected, text_language(item["query"])))
    return queries


def run_queries(index: FaqIndex, queries: Sequence[FaqQuery]) -> tuple[list[Outcome], list[float]]:
    """The best entry for every query, and each search's wall time in milliseconds."""
    outcomes: list[Outcome] = []
    latencies: list[float] = []
    for query in queries:
        started = time.perf_counter()
        best = index.search(query.text, 1)[0]
        latencies.append(1000 * (time.perf_counter() - started))
        outcomes.append(Outcome(query, best.entry.id, best.score))
    return outcomes, latencies


def rates(outcomes: Sequence[Outcome], threshold: float) -> dict[str, float]:
    in_scope = [o for o in outcomes if o.query.expected is not None]
    none = [o for o in outcomes if o.query.expected is None]
    return {
        "top1": float(np.mean([o.correct for o in in_scope])) if in_scope else float("nan"),
        "answered_correct": float(np.mean([o.correct and o.score >= threshold for o in in_scope]))
        if in_scope
        else float("nan"),
        "answered_wrong": float(np.mean([not o.correct and o.score >= threshold for o in in_scope]))
        if in_scope
        else float("nan"),
        "rejected": float(np.mean([o.score < threshold for o in none])) if none else float("nan"),
        "in_scope": len(in_scope),
        "none": len(none),
    }


def choose_threshold(outcomes: Sequence[Outcome], min_rejection: float = MIN_REJECTION) -> float:
    """Among the midpoints between consecutive observed scores, the thresholds that reject at least
    `min_rejection` of the `none` questions and answer the most in-scope ones correctly; of those
    (an interval), its middle, so the choice does not sit on the edge of one question's score."""
    scores = np.unique([o.score for o in outcomes])
    candidates = np.r_[scores[0] - 1e-3, (scores[:-1] + scores[1:]) / 2, scores[-1] + 1e-3]
    feasible = [
        (rates(outcomes, t)["answered_correct"], t)
        for t in candidates
        if rates(outcomes, t)["rejected"] >= min_rejection
    ]
    if not feasible:
        return float(candidates[-1])
    best = max(answered for answered, _ in feasible)
    tied = [t for answered, t in feasible if answered == best]
    return round(float((min(tied) + max(tied)) / 2), 3)


def cross_validate(
    outcomes: Sequence[Outcome], min_rejection: float = MIN_REJECTION, folds: int = 5, seed: int = 0
) -> dict[str, float]:
    """Choose the threshold on k-1 folds, score the held-out fold; rates pooled over the folds.
    In-scope and `none` questions are dealt into folds separately so each fold holds both."""
    rng = random.Random(seed)
    in_scope = [o for o in outcomes if o.query.expected is not None]
    none = [o for o in outcomes if o.query.expected is None]
    rng.shuffle(in_scope)
    rng.shuffle(none)
    fold_of = {id(o): i % folds for group in (in_scope, none) for i, o in enumerate(group)}
    held_out: list[tuple[Outcome, float]] = []
    for fold in range(folds):
        train = [o for o in outcomes if fold_of[id(o)] != fold]
        threshold = choose_threshold(train, min_rejection)
        held_out.extend((o, threshold) for o in outcomes if fold_of[id(o)] == fold)
    scoped = [(o, t) for o, t in held_out if o.query.expected is not None]
    unanswerable = [(o, t) for o, t in held_out if o.query.expected is None]
    return {
        "answered_correct": float(np.mean([o.correct and o.score >= t for o, t in scoped])),
        "answered_wrong": float(np.mean([not o.correct and o.score >= t for o, t in scoped])),
        "rejected": float(np.mean([o.score < t for o, t in unanswerable])),
    }


def _miss(outcome: Outcome, threshold: float) -> str | None:
    """What went wrong with one question at `threshold`, or None when it was handled right."""
    answered = outcome.score >= threshold
    if outcome.query.expected is None:
        return "answered" if answered else None
    if not answered:
        return "not answered"
    return None if outcome.correct else "wrong entry"


def _by_language(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    return {language: [o for o in outcomes if o.query.language == language] for language in LANGUAGES}


def evaluate(
    entries: Sequence[FaqEntry],
    queries: Sequence[FaqQuery],
    thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS,
    min_rejection: float = MIN_REJECTION,
    encoder_name: str = "e5",
) -> dict[str, Any]:
    """Everything the report shows. The index is built twice into a fresh cache: once cold (every
    question embedded) and once warm (every vector read back), to show both build times."""
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        FaqIndex.build(entries, encoder_name, thresholds, cache_dir=Path(cache))
        cold = time.perf_counter() - started
        started = time.perf_counter()
        index = FaqIndex.build(entries, encoder_name, thresholds, cache_dir=Path(cache))
        warm = time.perf_counter() - started
    index.search("warm-up", 1)
    results: dict[str, Any] = {
        "entries": len(entries),
        "questions": len(index.questions),
        "build_seconds": {"cold": round(cold, 2), "cached": round(warm, 3)},
        "min_rejection": min_rejection,
        "variants": {},
    }
    for bonus in BONUS_VARIANTS:
        variant = copy.copy(index)
        variant.sparse_bonus = bonus
        outcomes, latencies = run_queries(variant, queries)
        per_language = _by_language(outcomes)
        row: dict[str, Any] = {}
        for language, group in per_language.items():
            suggested = choose_threshold(group, min_rejection)
            row[language] = {
                "threshold": thresholds[language],
                "at_threshold": rates(group, thresholds[language]),
                "suggested_threshold": suggested,
                "at_suggested": rates(group, suggested),
                "cross_validated": cross_validate(group, min_rejection),
            }
        everyone = [(o, thresholds[o.query.language]) for o in outcomes]
        scoped = [(o, t) for o, t in everyone if o.query.expected is not None]
        row["all"] = {
            "top1": float(np.mean([o.correct for o, _ in scoped])),
            "answered_correct": float(np.mean([o.correct and o.score >= t for o, t in scoped])),
            "answered_wrong": float(np.mean([not o.correct and o.score >= t for o, t in scoped])),
            "rejected": float(np.mean([o.score < t for o, t in everyone if o.query.expected is None])),
        }
        row["latency_ms"] = {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95))}
        if bonus == index.sparse_bonus:
            row["misses"] = [
                {
                    "query": o.query.text,
                    "expected": o.query.expected or NONE,
                    "got": o.predicted,
                    "score": round(o.score, 3),
                    "outcome": miss,
                }
                for o in outcomes
                if (miss := _miss(o, thresholds[o.query.language]))
            ]
        results["variants"][f"{bonus:g}"] = row
    results["chosen_bonus"] = f"{index.sparse_bonus:g}"
    return results


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_report(results: dict[str, Any]) -> str:
    """The figures as markdown tables (the console shows the same text the docs hold)."""
    chosen = results["variants"][results["chosen_bonus"]]
    lines = [
        f"{results['entries']} entries, {results['questions']} questions; index build "
        f"{results['build_seconds']['cold']} s "
        f"cold (every question embedded), {results['build_seconds']['cached']} s from the embedding cache; "
        f"search p50 {chosen['latency_ms']['p50']:.1f} ms, p95 {chosen['latency_ms']['p95']:.1f} ms.",
        "",
        f"At the default thresholds (sparse bonus {results['chosen_bonus']}):",
        "",
        "| language | in-scope | none | top-1 accuracy | threshold | answered correctly | answered wrongly | none "
        "rejected |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for language in LANGUAGES:
        row = chosen[language]
        at = row["at_threshold"]
        lines.append(
            f"| {language} | {at['in_scope']} | {at['none']} | {_percent(at['top1'])} | {row['threshold']:.3f} "
            f"| {_percent(at['answered_correct'])} | {_percent(at['answered_wrong'])} | {_percent(at['rejected'])} |"
        )
    total = chosen["all"]
    lines.append(
        f"| both | | | {_percent(total['top1'])} | | {_percent(total['answered_correct'])} "
        f"| {_percent(total['answered_wrong'])} | {_percent(total['rejected'])} |"
    )
    lines += [
        "",
        f"Threshold rule: answer the most in-scope questions correctly while rejecting at least "
        f"{_percent(results['min_rejection'])} of the none questions. Suggested thresholds, and the same rule "
        "cross-validated (5 folds: chosen on four, scored on the fifth):",
        "",
        "| sparse bonus | language | top-1 | suggested threshold | answered correctly | none rejected "
        "| cross-validated: answered correctly | answered wrongly | none rejected | p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for bonus, variant in results["variants"].items():
        for language in LANGUAGES:
            row = variant[language]
            at, cv = row["at_suggested"], row["cross_validated"]
            marker = " (chosen)" if bonus == results["chosen_bonus"] else ""
            lines.append(
                f"| {bonus}{marker} | {language} | {_percent(at['top1'])} | {row['suggested_threshold']:.3f} "
                f"| {_percent(at['answered_correct'])} | {_percent(at['rejected'])} | "
                f"{_percent(cv['answered_correct'])} "
                f"| {_percent(cv['answered_wrong'])} | {_percent(cv['rejected'])} | "
                f"{variant['latency_ms']['p50']:.1f} |"
            )
    lines += ["", "Questions the defaults get wrong:", ""]
    lines += ["| question | expected | best entry | score | outcome |", "|---|---|---|---|---|"]
    lines += [
        f"| {m['query']} | {m['expected']} | {m['got']} | {m['score']:.3f} | {m['outcome']} |" for m in chosen["misses"]
    ]
    return "\n".join(lines)


def write_markdown(report: str, target: Path) -> Path:
    """Replaces the generated part of `target` (between markers), keeping the prose around it."""
    text = target.read_text(encoding="utf-8") if target.exists() else "# FAQ retrieval: evaluation\n"
    block = f"{START}\n{report}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target

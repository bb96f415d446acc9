"""How the real-message dev sets are scored and gated (devstack/nlu_dev.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import nlu_dev
from devstack.nlu_dev import DevScores, regressions, score


def row(gold: str, predicted: str) -> dict[str, object]:
    return {"text": "…", "gold": gold, "predicted": predicted, "confidence": 0.9, "top": predicted, "seconds": 0.01}


def test_out_of_scope_and_fallback_count_as_one_rejected_answer():
    scores = score(
        [
            row("out_of_scope", "nlu_fallback"),
            row("out_of_scope", "out_of_scope"),
            row("out_of_scope", "greet"),
            row("greet", "greet"),
        ]
    )
    assert scores.accuracy == pytest.approx(3 / 4)
    assert scores.off_topic_rejected == pytest.approx(2 / 3)
    assert scores.in_scope_rejected == 0.0


def test_in_scope_messages_rejected_are_counted_apart():
    scores = score(
        [
            row("track_order", "nlu_fallback"),
            row("track_order", "track_order"),
            row("greet", "out_of_scope"),
            row("greet", "greet"),
        ]
    )
    assert scores.in_scope_rejected == pytest.approx(2 / 4)
    assert scores.off_topic_rejected is None


def test_macro_f1_ignores_intents_with_fewer_than_six_messages():
    rows = [row("track_order", "track_order")] * 6 + [row("greet", "thank")] * 5
    scores = score(rows)
    assert scores.macro_f1 == pytest.approx(1.0)
    assert score([row("greet", "greet")] * 5).macro_f1 is None


def test_a_drop_beyond_the_tolerance_fails_and_one_within_it_does_not():
    now = {
        "en-real-dev": DevScores(
            messages=400,
            accuracy=0.80,
            macro_f1=0.80,
            off_topic_rejected=0.70,
            in_scope_rejected=0.06,
            off_topic_messages=40,
            in_scope_messages=360,
        )
    }
    within = {"en-real-dev": {"accuracy": 81.5, "macro_f1": 80.0, "off_topic_rejected": 71.0, "in_scope_rejected": 5.0}}
    assert regressions(now, within) == []
    beyond = {"en-real-dev": {"accuracy": 82.5, "macro_f1": 80.0, "off_topic_rejected": 70.0, "in_scope_rejected": 3.0}}
    failures = regressions(now, beyond)
    assert len(failures) == 2
    assert any("accuracy" in f for f in failures) and any("in_scope_rejected" in f for f in failures)


def test_a_small_figure_may_move_by_one_message():
    """38 off-topic messages: one message is 2.6 points, more than the 2-point tolerance."""
    now = {
        "zh-real-dev": DevScores(
            messages=468,
            accuracy=0.868,
            macro_f1=0.9,
            off_topic_rejected=21 / 38,
            in_scope_rejected=0.04,
            off_topic_messages=38,
            in_scope_messages=430,
        )
    }
    assert regressions(now, {"zh-real-dev": {"off_topic_rejected": round(100 * 22 / 38, 1)}}) == []
    assert len(regressions(now, {"zh-real-dev": {"off_topic_rejected": round(100 * 23 / 38, 1)}})) == 1
    assert len(regressions(now, {"zh-real-dev": {"accuracy": 89.0}})) == 1


def test_score_counts_the_denominators():
    scores = score([row("out_of_scope", "greet"), row("greet", "greet"), row("greet", "nlu_fallback")])
    assert (scores.off_topic_messages, scores.in_scope_messages) == (1, 2)
    assert set(scores.figures()) == {"accuracy", "macro_f1", "off_topic_rejected", "in_scope_rejected"} - {"macro_f1"}


def test_a_set_without_predictions_fails():
    assert regressions({}, {"zh-real-dev": {"accuracy": 70.0}}) == ["zh-real-dev: no predictions"]


def test_missing_eval_sets_say_where_they_should_be(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(nlu_dev, "EVAL_DIR", tmp_path / "shared" / "eval")
    with pytest.raises(nlu_dev.MissingEvalSets, match="shared/eval"):
        nlu_dev.eval_files()


def test_off_topic_messages_the_faq_answers_are_no_longer_counted_as_rejected():
    def text_row(text: str, gold: str, predicted: str) -> dict[str, object]:
        return {**row(gold, predicted), "text": text}

    predictions = {
        "sets": {
            "off": [
                text_row("write me a short poem about the sea", "out_of_scope", "out_of_scope"),
                text_row("is there a delivery charge on small orders?", "out_of_scope", "nlu_fallback"),
                text_row("what is the capital of peru", "out_of_scope", "greet"),
                text_row("where is my parcel", "track_order", "out_of_scope"),
            ],
            "in": [text_row("where is my parcel", "track_order", "track_order")],
        }
    }
    shares = nlu_dev.rejected_after_faq(predictions)
    # the poem stays rejected; the delivery charge gets the FAQ's answer; "greet" was never rejected
    assert shares == {"off": pytest.approx(1 / 3), "in": None}
    lines = nlu_dev.table(nlu_dev.scores_by_set({"sets": {"oos-dev": predictions["sets"]["off"]}}), {"oos-dev": 1 / 3})
    assert "still rejected after the FAQ" in lines[0] and "| 33.3% |" in lines[2]
    assert lines[0].count("|") == lines[1].count("|") == lines[2].count("|")


def test_parse_time_reports_wall_clock_and_cpu_percentiles():
    rows = [dict(row("greet", "greet"), seconds=ms / 1000, cpu_seconds=ms / 2000) for ms in range(1, 101)]
    latency = nlu_dev.latency_ms({"sets": {"en-real-dev": rows}, "load_average": 1.5})
    assert latency["p50"] == pytest.approx(50.5)
    assert latency["p95"] == pytest.approx(95.05)
    assert latency["cpu_p95"] == pytest.approx(95.05 / 2)
    assert latency["max"] == pytest.approx(100.0)
    text = nlu_dev.describe_latency(latency)
    assert "p95 95.0 ms" in text and "CPU p50 25.2 ms, p95 47.5 ms" in text and "load average 1.5" in text


def test_predictions_written_before_cpu_time_was_measured_report_the_wall_clock_only():
    latency = nlu_dev.latency_ms({"sets": {"en-real-dev": [row("greet", "greet")]}, "load_average": 0.2})
    assert "cpu_p95" not in latency
    assert "CPU" not in nlu_dev.describe_latency(latency)

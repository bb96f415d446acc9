"""The retraining job's state machine (console/training.py) and the activation of its candidate
(console/training_models.py), with a fake trainer and evaluator (tests/console/fake_trainer.py) chosen by the
settings, as the console chooses `rasa train` and `devstack nlu-dev`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest

from console import training_models as models
from console.config import ROOT
from console.training import RASA_TRAIN_ARGS, JobState, Trainer, TrainingBusy, TrainingSettings, log_tail

FAKE = [sys.executable, str(Path(__file__).with_name("fake_trainer.py"))]


def settings(tmp_path: Path, *train: str, evaluate: tuple[str, ...] = (), **changes: object) -> TrainingSettings:
    return TrainingSettings(
        work_dir=tmp_path / "training",
        models_dir=tmp_path / "models",
        train_command=(*FAKE, "train", "--out", "{out}", *train),
        eval_command=(*FAKE, "evaluate", "--model", "{model}", "--json", "{json}", *evaluate),
        **changes,  # type: ignore[arg-type]
    )


async def run_job(trainer: Trainer, exported: tuple[tuple[str, int], ...] = (("en", 2),)) -> JobState:
    trainer.begin("sup-mei")
    trainer.launch(exported)
    state = await trainer.wait()
    assert state is not None
    return state


async def test_a_job_trains_a_candidate_then_measures_it_and_is_ready(tmp_path: Path) -> None:
    trainer = Trainer(settings(tmp_path))
    assert trainer.current() is None
    state = await run_job(trainer)
    assert (state.phase, state.started_by, state.exported, state.problem) == ("ready", "sup-mei", (("en", 2),), None)
    assert state.model == "20261207-031500-fake-candidate.tar.gz"
    assert (trainer.settings.candidate_dir / state.model).is_file()
    assert not (tmp_path / "models").exists()  # never written into the folder Rasa loads
    assert state.figures is not None and state.figures["sets"]["en-real-dev"]["accuracy"] == 84.5
    assert state.recommended is True and state.finished_at is not None and not state.running
    tail = log_tail(trainer.log_path)
    assert "Training NLU model..." in tail and "scoring 20261207-031500-fake-candidate.tar.gz" in tail
    assert any(line.startswith("$ ") and "--out" in line for line in tail)
    # The page survives a console restart: the next console reads the same job.
    assert Trainer(trainer.settings).current() == state


async def test_the_gate_verdict_comes_from_the_evaluations_regressions(tmp_path: Path) -> None:
    state = await run_job(Trainer(settings(tmp_path, evaluate=("--regression", "en-real-dev: accuracy 80.0% < 86.0%"))))
    assert state.phase == "ready" and state.recommended is False
    rows = models.comparison({"sets": {"en-real-dev": {"accuracy": 86.0}}}, None, state.figures)
    accuracy = next(r for r in rows if r.figure == "accuracy")
    assert (accuracy.baseline, accuracy.active, accuracy.candidate, accuracy.below_gate) == (86.0, None, 84.5, True)
    assert not next(r for r in rows if r.figure == "macro_f1").below_gate


async def test_a_failed_training_ends_the_job_without_evaluating(tmp_path: Path) -> None:
    state = await run_job(Trainer(settings(tmp_path, "--exit", "3")))
    assert (state.phase, state.problem, state.exit_code, state.model, state.figures) == (
        "failed",
        "training.failed.train",
        3,
        None,
        None,
    )
    assert "Training failed on purpose." in log_tail(Trainer(settings(tmp_path)).log_path)


async def test_an_evaluation_without_figures_fails_the_job(tmp_path: Path) -> None:
    trainer = Trainer(settings(tmp_path))
    trainer = Trainer(
        TrainingSettings(**{**trainer.settings.__dict__, "eval_command": (sys.executable, "-c", "raise SystemExit(2)")})
    )
    state = await run_job(trainer)
    assert (state.phase, state.problem, state.exit_code) == ("failed", "training.failed.evaluate", 2)
    assert state.model is not None  # trained, but never shown as a candidate to activate


async def test_a_step_that_runs_out_of_time_is_killed(tmp_path: Path) -> None:
    never = tmp_path / "never"
    state = await run_job(Trainer(settings(tmp_path, "--wait-for", str(never), train_timeout=0.5)))
    assert (state.phase, state.problem, state.exit_code) == ("failed", "training.failed.timeout", None)
    assert any("stopped after" in line for line in log_tail(Trainer(settings(tmp_path)).log_path))


async def test_one_job_at_a_time_even_across_console_processes(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    trainer = Trainer(settings(tmp_path, "--wait-for", str(gate)))
    trainer.begin("sup-mei")
    trainer.launch([])
    with pytest.raises(TrainingBusy):
        trainer.begin("sup-li")
    other = Trainer(trainer.settings)  # another console on the same var/ folder
    assert other.current() is not None and other.current().running
    with pytest.raises(TrainingBusy):
        other.begin("sup-li")
    gate.touch()
    state = await trainer.wait()
    assert state is not None and state.phase == "ready" and state.started_by == "sup-mei"
    other.begin("sup-li")  # free again
    other.fail("training.failed.export")
    assert other.current().phase == "failed"


async def test_the_log_is_cut_at_its_size_limit(tmp_path: Path) -> None:
    trainer = Trainer(settings(tmp_path, "--noise", "200000", log_max_bytes=20_000))
    state = await run_job(trainer)
    assert state.phase == "ready"  # the process went on (its output drained) after the cut
    log = trainer.log_path.read_bytes()
    assert len(log) < 20_000 + 200 and b"[log cut at its size limit" in log
    assert all(len(line) <= 240 for line in log_tail(trainer.log_path))


def test_a_job_a_console_restart_cut_short_reads_as_failed(tmp_path: Path) -> None:
    work = settings(tmp_path)
    work.work_dir.mkdir(parents=True)
    (work.work_dir / "job.json").write_text(json.dumps({"phase": "training", "started_by": "x", "started_at": 1.0}))
    state = Trainer(work).current()
    assert state is not None and (state.phase, state.problem) == ("failed", "training.failed.interrupted")


async def test_stopping_the_console_kills_a_running_job(tmp_path: Path) -> None:
    trainer = Trainer(settings(tmp_path, "--wait-for", str(tmp_path / "never")))
    trainer.begin("sup-mei")
    trainer.launch([])
    await asyncio.sleep(0)
    await trainer.stop()
    assert trainer.current().phase == "failed"
    assert trainer.current().problem == "training.failed.interrupted"
    trainer.begin("sup-li")  # the lock was released


def test_the_default_commands_train_as_the_makefile_does_into_the_candidate_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("KELIAN_TRAIN_COMMAND", "KELIAN_EVAL_COMMAND"):  # tests/console/test_web.py sets them
        monkeypatch.delenv(variable, raising=False)
    default = TrainingSettings.from_env(tmp_path)
    assert default.work_dir == tmp_path / "training"
    makefile = (ROOT / "Makefile").read_text()
    data_args = re.search(r"^RASA_ARGS_DATA := (.+)$", makefile, re.M).group(1).split()
    assert re.search(r"^train: .*\n\t\$\(RASA\) train \$\(RASA_ARGS_DATA\) --out models$", makefile, re.M)
    assert list(RASA_TRAIN_ARGS) == ["train", *data_args]
    assert default.train_command == (str(ROOT / ".venv-bot" / "bin" / "rasa"), *RASA_TRAIN_ARGS, "--out", "{out}")
    assert not any("shared" in part or "eval" in part for part in default.train_command)  # dev sets: never
    assert default.eval_command[1:] == ("-m", "devstack", "nlu-dev", "--model", "{model}", "--json", "{json}")


def test_commands_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KELIAN_TRAIN_COMMAND", "python fake.py train --out {out}")
    monkeypatch.setenv("KELIAN_EVAL_COMMAND", "python fake.py evaluate --model {model} --json {json}")
    chosen = TrainingSettings.from_env(tmp_path)
    assert chosen.train_command == ("python", "fake.py", "train", "--out", "{out}")
    assert chosen.eval_command[-4:] == ("--model", "{model}", "--json", "{json}")


async def test_activation_moves_the_candidate_into_models_as_the_newest_with_its_figures(tmp_path: Path) -> None:
    trainer = Trainer(settings(tmp_path))
    old = tmp_path / "models" / "20261201-000000-old.tar.gz"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    os.utime(old, (4_000_000_000, 4_000_000_000))  # newer than now: activation must still win
    baseline = {"model": old.name, "sets": {"en-real-dev": {"accuracy": 86.0}}}
    before = models.active_model(trainer.settings, baseline)
    assert before is not None and before.name == old.name and before.figures == baseline["sets"]
    state = await run_job(trainer)
    with pytest.raises(models.CannotActivate, match="missing"):
        models.activate(trainer.settings, "elsewhere.tar.gz", state.figures or {})
    path = models.activate(trainer.settings, state.model or "", state.figures or {})
    assert state.model is not None
    assert path == tmp_path / "models" / state.model and path.read_bytes() == b"not really a model"
    assert not (trainer.settings.candidate_dir / path.name).exists()
    assert models.latest_model(tmp_path / "models") == path
    after = models.active_model(trainer.settings, baseline)
    assert after is not None and after.name == path.name
    assert after.figures == {"en-real-dev": {"accuracy": 84.5, "macro_f1": 90.0, "in_scope_rejected": 4.1}}
    assert str(after.trained_at) == "2026-12-07 03:15:00"
    trainer.activated("sup-li")
    assert (trainer.current().phase, trainer.current().activated_by) == ("activated", "sup-li")
    (trainer.settings.candidate_dir / path.name).write_bytes(b"again")
    with pytest.raises(models.CannotActivate, match="exists"):
        models.activate(trainer.settings, path.name, {})

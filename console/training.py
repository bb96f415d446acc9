"""Retraining from the console: one background job at a time that trains a candidate model and measures it
on the real-message dev sets, for a supervisor to activate (console/training_models.py) or leave.

The job runs two subprocesses, so the console (the services environment) never imports Rasa nor the
developer tools: `rasa train` in the bot environment with the Makefile's `train` arguments, its model
written to a candidate folder (never models/, which the Rasa server loads); then `python -m devstack
nlu-dev --model <candidate> --json <file>`, the same dev-set evaluation and gate as `make test-rasa`.
Both commands come from settings (`KELIAN_TRAIN_COMMAND`, `KELIAN_EVAL_COMMAND`), which is how the tests
run a tiny fake trainer instead of minutes of training.

Phases: exporting -> training -> evaluating -> ready (a candidate with its figures) or failed; ready ->
activated. The state is kept in var/training/job.json, so the page survives a console restart (a job the
restart cut short reads as failed). Everything is bounded: one job (a lock held across processes), a time
limit per step (the process group is killed), and the log is cut at a size.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from console.config import ROOT

RUNNING = ("exporting", "training", "evaluating")
PHASES = (*RUNNING, "ready", "failed", "activated")
# The Makefile's `train` target: $(RASA) train $(RASA_ARGS_DATA) --out models (tests check they agree).
RASA_TRAIN_ARGS = ("train", "--config", "config.yml", "--domain", "bot/domain", "--data", "data/rasa")
TAIL_LINES = 12
TAIL_LINE_CHARS = 240
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Children of the console inherit its environment; these keep them off the network, as the Makefile does.
OFFLINE = {
    "RASA_TELEMETRY_ENABLED": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONDONTWRITEBYTECODE": "1",
}


class TrainingBusy(RuntimeError):
    """A job is running already (in this console or another one on the same var/ folder)."""


def _command(variable: str, default: Sequence[str]) -> tuple[str, ...]:
    value = os.environ.get(variable, "").strip()
    return tuple(shlex.split(value)) if value else tuple(default)


@dataclass(frozen=True)
class TrainingSettings:
    """Where the job works and what it runs. `{out}`, `{model}` and `{json}` in the commands are filled in."""

    work_dir: Path  # var/training: job.json, the logs, the lock, the candidate folder
    models_dir: Path = ROOT / "models"
    train_command: tuple[str, ...] = (str(ROOT / ".venv-bot" / "bin" / "rasa"), *RASA_TRAIN_ARGS, "--out", "{out}")
    eval_command: tuple[str, ...] = (
        *(str(ROOT / ".venv" / "bin" / "python"), "-m", "devstack", "nlu-dev"),
        *("--model", "{model}", "--json", "{json}"),
    )
    train_timeout: float = 3 * 3600.0
    eval_timeout: float = 1800.0
    log_max_bytes: int = 2_000_000

    @classmethod
    def from_env(cls, var_dir: Path, models_dir: Path = ROOT / "models") -> TrainingSettings:
        base = cls(work_dir=var_dir / "training", models_dir=models_dir)
        return replace(
            base,
            train_command=_command("KELIAN_TRAIN_COMMAND", base.train_command),
            eval_command=_command("KELIAN_EVAL_COMMAND", base.eval_command),
            train_timeout=float(os.environ.get("KELIAN_TRAIN_TIMEOUT", base.train_timeout)),
        )

    @property
    def candidate_dir(self) -> Path:
        return self.work_dir / "candidate"

    @property
    def figures_path(self) -> Path:
        return self.work_dir / "candidate-figures.json"


@dataclass(frozen=True)
class JobState:
    phase: str
    started_by: str
    started_at: float  # epoch seconds
    finished_at: float | None = None
    exported: tuple[tuple[str, int], ...] = ()  # (language, examples) written before training
    model: str | None = None  # the candidate's file name in the candidate folder
    figures: dict[str, Any] | None = None  # what `devstack nlu-dev --json` wrote
    problem: str | None = None  # why it failed: a catalogue key (training.failed.*)
    exit_code: int | None = None
    activated_by: str | None = None

    @property
    def running(self) -> bool:
        return self.phase in RUNNING

    def elapsed(self, now: float | None = None) -> float:
        return max(0.0, (self.finished_at or now or time.time()) - self.started_at)

    @property
    def recommended(self) -> bool | None:
        """The gate's verdict: no figure fell beyond the tolerance below the accepted baseline."""
        if self.figures is None:
            return None
        return not self.figures.get("regressions")


def log_tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last lines of a job's log for the page: progress bars' carriage returns read as line ends, colour
    codes removed, each line cut."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 16_384))
        text = handle.read().decode("utf-8", "replace")
    found = [_ANSI.sub("", line).strip() for line in re.split(r"[\r\n]+", text)]
    return [line[:TAIL_LINE_CHARS] for line in found if line][-lines:]


class Trainer:
    """The one retraining job of this console (see the module's docstring)."""

    def __init__(self, settings: TrainingSettings) -> None:
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._lock_handle: Any = None
        self.state = self._load()

    # --- state ---------------------------------------------------------------------------------------
    @property
    def _state_path(self) -> Path:
        return self.settings.work_dir / "job.json"

    @property
    def log_path(self) -> Path:
        return self.settings.work_dir / "job.log"

    def _load(self) -> JobState | None:
        try:
            data = json.loads(self._state_path.read_text())
            state = JobState(**{**data, "exported": tuple(map(tuple, data.get("exported") or ()))})
        except (OSError, ValueError, TypeError):
            return None
        if state.running and not self._lock_is_free():
            return state  # another console process runs it
        if state.running:
            return replace(state, phase="failed", problem="training.failed.interrupted", finished_at=time.time())
        return state

    def _save(self, state: JobState) -> JobState:
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        temporary = self._state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(state), ensure_ascii=False))
        temporary.replace(self._state_path)
        self.state = state
        return state

    def _update(self, **changes: Any) -> JobState:
        assert self.state is not None
        return self._save(replace(self.state, **changes))

    def current(self) -> JobState | None:
        """The job as it stands now (re-read when another console process runs it)."""
        if self._task is None and self.state is not None and self.state.running:
            self.state = self._load()
        return self.state

    # --- the lock ------------------------------------------------------------------------------------
    def _lock_is_free(self) -> bool:
        if self._lock_handle is not None:
            return False
        path = self.settings.work_dir / "lock"
        if not path.exists():
            return True
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle, fcntl.LOCK_UN)
        return True

    def _acquire(self) -> None:
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        handle = (self.settings.work_dir / "lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise TrainingBusy("a retraining job is running already") from None
        self._lock_handle = handle

    def _release(self) -> None:
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    # --- the job -------------------------------------------------------------------------------------
    def begin(self, started_by: str) -> JobState:
        """Reserve the one job (TrainingBusy when it is taken) before the corrections are exported."""
        if self._task is not None and not self._task.done():
            raise TrainingBusy("a retraining job is running already")
        self._acquire()
        self.log_path.unlink(missing_ok=True)
        return self._save(JobState(phase="exporting", started_by=started_by[:64], started_at=time.time()))

    def fail(self, problem: str) -> None:
        """End a reserved job that could not start (the export failed)."""
        self._update(phase="failed", problem=problem, finished_at=time.time())
        self._release()

    def launch(self, exported: Sequence[tuple[str, int]]) -> None:
        """Train and evaluate in the background (after `begin` and the export)."""
        self._update(phase="training", exported=tuple(exported))
        self._task = asyncio.get_running_loop().create_task(self._run())

    def activated(self, by: str) -> None:
        """The candidate was moved into models/ (console/training_models.py activate)."""
        self._update(phase="activated", activated_by=by[:64])

    async def wait(self) -> JobState | None:
        """The job's end (tests, and the console's shutdown)."""
        if self._task is not None:
            await asyncio.shield(self._task)
        return self.state

    async def stop(self) -> None:
        """The console stops: a running job is cancelled (its process group killed) and reads as failed."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        settings = self.settings
        try:
            shutil.rmtree(settings.candidate_dir, ignore_errors=True)
            settings.candidate_dir.mkdir(parents=True)
            settings.figures_path.unlink(missing_ok=True)
            code = await self._step(
                [part.replace("{out}", str(settings.candidate_dir)) for part in settings.train_command],
                settings.train_timeout,
            )
            models = sorted(settings.candidate_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
            if code != 0 or not models:
                problem = "training.failed.timeout" if code is None else "training.failed.train"
                self._update(phase="failed", problem=problem, exit_code=code, finished_at=time.time())
                return
            model = models[-1]
            self._update(phase="evaluating", model=model.name)
            fill = {"{model}": str(model), "{json}": str(settings.figures_path)}
            code = await self._step([fill.get(part, part) for part in settings.eval_command], settings.eval_timeout)
            figures = _read_figures(settings.figures_path)
            if figures is None:
                problem = "training.failed.timeout" if code is None else "training.failed.evaluate"
                self._update(phase="failed", problem=problem, exit_code=code, finished_at=time.time())
                return
            self._update(phase="ready", figures=figures, exit_code=code, finished_at=time.time())
        except asyncio.CancelledError:
            self._update(phase="failed", problem="training.failed.interrupted", finished_at=time.time())
            raise
        except OSError:
            self._update(phase="failed", problem="training.failed.start", finished_at=time.time())
        finally:
            self._release()

    async def _step(self, command: list[str], timeout: float) -> int | None:
        """Run one command with its output appended to the job's log (cut at the size limit); its exit code,
        None when it ran out of time (its whole process group is killed)."""
        environment = {**os.environ, **OFFLINE}
        with self.log_path.open("ab") as log:
            log.write(f"$ {shlex.join(command)}\n".encode())
            log.flush()
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=ROOT,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                await asyncio.wait_for(self._copy(process, log), timeout)
                return await process.wait()
            except TimeoutError:
                _kill(process)
                await process.wait()
                log.write(f"\n[stopped after {timeout:.0f} s]\n".encode())
                return None
            except asyncio.CancelledError:
                _kill(process)
                await process.wait()
                raise

    async def _copy(self, process: asyncio.subprocess.Process, log: Any) -> None:
        assert process.stdout is not None
        written, cut = log.tell(), False
        while chunk := await process.stdout.read(65_536):
            if written + len(chunk) <= self.settings.log_max_bytes:
                log.write(chunk)
                log.flush()
                written += len(chunk)
            elif not cut:
                log.write(b"\n[log cut at its size limit; the process goes on]\n")
                log.flush()
                cut = True
        await process.wait()


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _read_figures(path: Path) -> dict[str, Any] | None:
    """The evaluation's JSON, when it is whole: per set its figures (percent), and the gate's regressions."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sets"), dict):
        return None
    if not isinstance(data.get("regressions"), list):
        return None
    return data

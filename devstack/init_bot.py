"""Rasa's own `rasa init` bot as a yardstick for the turn benchmark (devstack/turn_bench.py): the template
project created once under var/bench/rasa-init, trained once (again only when its files change), and
served with `rasa run --enable-api` on a port of its own. It needs no action server: its greeting is a
plain response. Served with the same environment as Kelian's Rasa server (StackConfig.env(): offline,
OMP_NUM_THREADS=1), so the two answer the same load on equal terms.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from devstack.config import ROOT, StackConfig
from devstack.stack import VENV_BOT, Stack, StackError, latest_model

PROJECT = ROOT / "var" / "bench" / "rasa-init"
# What `rasa train` reads in the template project; a model older than any of them is stale.
TRAINING_FILES = ("config.yml", "domain.yml", "data")


def needs_init(project: Path) -> bool:
    """No template project there yet (`rasa init` writes config.yml and domain.yml)."""
    return not ((project / "config.yml").exists() and (project / "domain.yml").exists())


def needs_training(project: Path) -> bool:
    """No model yet, or a training file changed after the newest model was written."""
    model = latest_model(project / "models")
    if model is None:
        return True
    sources: list[Path] = []
    for name in TRAINING_FILES:
        path = project / name
        sources += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    trained = model.stat().st_mtime
    return any(p.exists() and p.stat().st_mtime > trained for p in sources)


def prepare(project: Path = PROJECT, env: dict[str, str] | None = None) -> Path:
    """The template project and a model for it; `rasa init --no-prompt` trains the first one itself.
    Returns the model."""
    rasa = str(VENV_BOT / "rasa")
    if needs_init(project):
        project.mkdir(parents=True, exist_ok=True)
        print(f"rasa init: creating and training the template project in {project} (once)", flush=True)
        subprocess.run([rasa, "init", "--no-prompt", "--init-dir", str(project)], cwd=project, env=env, check=True)
    if needs_training(project):
        print(f"rasa train: the template project in {project} changed or has no model", flush=True)
        subprocess.run([rasa, "train", "--out", "models"], cwd=project, env=env, check=True)
    model = latest_model(project / "models")
    if model is None:
        raise StackError(f"no model in {project / 'models'} after training")
    return model


class InitBot(Stack):
    """The `rasa init` bot's Rasa server alone, with Stack's start-up wait, REST helpers and clean
    shutdown (SIGTERM to its process group, SIGKILL after the grace period)."""

    def __init__(self, config: StackConfig, project: Path = PROJECT) -> None:
        super().__init__(config)
        self.project = project

    def rasa_server_command(self, port: int | None = None, log_name: str = "rasa.log") -> list[str]:
        model = latest_model(self.project / "models")
        return [
            str(VENV_BOT / "rasa"),
            "run",
            "--enable-api",
            "--port",
            str(port or self.config.rasa_port),
            "--interface",
            self.config.host,
            "--model",
            str(model),
            "--credentials",
            str(self.project / "credentials.yml"),
            "--endpoints",
            str(self.project / "endpoints.yml"),
            "--log-file",
            str(self.config.log_dir / log_name),
        ]

    def start(self, timeout: float = 300.0) -> None:
        prepare(self.project, self.config.env())
        self._spawn("rasa", self.rasa_server_command())
        self._wait_until("rasa", f"{self.config.rasa_url}/status", time.monotonic() + timeout)

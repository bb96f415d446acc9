"""Where things live and which ports they use; every value can be overridden from the environment."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.web_auth import stored_secret

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackConfig:
    rasa_port: int = int(os.environ.get("KELIAN_RASA_PORT", "5005"))
    action_port: int = int(os.environ.get("KELIAN_ACTION_PORT", "5055"))
    console_port: int = int(os.environ.get("KELIAN_CONSOLE_PORT", "8085"))
    var_dir: Path = Path(os.environ.get("KELIAN_VAR", ROOT / "var")).resolve()
    models_dir: Path = ROOT / "models"
    host: str = "127.0.0.1"
    extra_env: dict[str, str] = field(default_factory=dict)
    endpoints: Path = ROOT / "bot" / "endpoints.yml"  # bot/endpoints-scaled.yml for the scaled deployment
    event_broker: str = "sql"  # what the feedback consumer reads: sql (the default endpoints) or rabbitmq
    # Rasa servers behind one port (devstack/proxy.py); more than one needs the scaled endpoints' shared stores.
    rasa_servers: int = int(os.environ.get("KELIAN_RASA_SERVERS", "1"))

    def __post_init__(self) -> None:
        if not 1 <= self.rasa_servers <= 8:
            raise ValueError(f"rasa_servers must be between 1 and 8, not {self.rasa_servers}")

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def console_url(self) -> str:
        return f"http://{self.host}:{self.console_port}"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    def env(self) -> dict[str, str]:
        """The environment both servers run with: offline, and with the paths the endpoints file reads."""
        private_var_dir(self.var_dir)
        env = dict(os.environ)
        env.update(
            {
                "KELIAN_VAR": str(self.var_dir),
                "KELIAN_ACTION_PORT": str(self.action_port),
                "RASA_TELEMETRY_ENABLED": "false",
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "TF_CPP_MIN_LOG_LEVEL": "2",
            }
        )
        # One thread per embedding call: the servers answer many conversations at once, and threads
        # that wait on each other for a busy core made FAQ lookups 2-20x slower (docs/faq-evaluation.md).
        env.setdefault("OMP_NUM_THREADS", "1")
        env.update(self.extra_env)
        # Secrets travel in the environment (readable by the owner only), never on a command line.
        env.setdefault("KELIAN_RASA_TOKEN", api_token(self.var_dir))
        env.setdefault("KELIAN_ACTION_TOKEN", action_token(self.var_dir))
        env.setdefault("KELIAN_CONSOLE_URL", self.console_url)  # the channels hand images to the console
        return env


def _secret(var_dir: Path, variable: str, filename: str) -> str:
    """A secret from the environment, or one generated once into the var directory (mode 600)."""
    return os.environ.get(variable) or stored_secret(filename, var_dir)


def api_token(var_dir: Path) -> str:
    """The token protecting Rasa's HTTP API: KELIAN_RASA_TOKEN, or var/rasa-token."""
    return _secret(var_dir, "KELIAN_RASA_TOKEN", "rasa-token")


def action_token(var_dir: Path) -> str:
    """The secret the Rasa server presents to the action server on every call (header
    X-Kelian-Action-Token, bot/endpoints.yml): KELIAN_ACTION_TOKEN, or var/action-token."""
    return _secret(var_dir, "KELIAN_ACTION_TOKEN", "action-token")


def free_port() -> int:
    """A TCP port nothing listens on now, for a stack of its own (tests, benchmarks) that must not
    collide with `make run` or another run on the same machine."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


# Rasa's own SQLite stores: every message in plain text (the CRM keeps its copy encrypted).
PRIVATE_FILES = ("rasa-tracker.db", "rasa-events.db")


def private_var_dir(var_dir: Path) -> None:
    """var/ readable by its owner only (700), and Rasa's stores created owner-only (600) before Rasa opens
    them: SQLite keeps the mode of a file that exists (and gives its journal and WAL files the same), but
    creates a missing one with the umask's 644. Existing files are tightened; idempotent."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(var_dir, 0o700)
    for name in PRIVATE_FILES:
        path = var_dir / name
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            os.chmod(path, 0o600)
        for companion in (
            path.with_name(name + "-wal"),
            path.with_name(name + "-shm"),
            path.with_name(name + "-journal"),
        ):
            if companion.exists():
                os.chmod(companion, 0o600)

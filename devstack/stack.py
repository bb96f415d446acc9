"""Starts the Rasa server and the action server, waits until both answer, stops both cleanly.
Used by `make run`, `make shell` and the end-to-end tests, so they all run the same stack.

With `rasa_servers` > 1 (KELIAN_RASA_SERVERS) several Rasa servers run on private ports behind one nginx
on the Rasa port (devstack/proxy.py); they need the scaled deployment's shared tracker and lock stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import TracebackType

import requests
import yaml

from bot.channels import web_auth
from devstack import proxy
from devstack.config import ROOT, StackConfig, api_token, free_port, port_in_use

VENV_BOT = ROOT / ".venv-bot" / "bin"
VENV = ROOT / ".venv" / "bin"


HAND_BACK_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


class StackError(RuntimeError):
    """A server did not come up; the message names its log file."""


class Stack(AbstractContextManager["Stack"]):
    def __init__(self, config: StackConfig | None = None, *, console: bool = False) -> None:
        """`console`: also run the staff console (`make run` does; tests that need it ask for it)."""
        self.config = config or StackConfig()
        self.token = api_token(self.config.var_dir)
        self.console = console
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.backend_ports: list[int] = []  # the Rasa servers' own ports when several run behind the proxy
        self._signed: set[str] = set()
        self._anonymous: set[str] = set()  # REST senders that wrote without a token

    # ---- commands ---------------------------------------------------------------------------
    def action_server_command(self) -> list[str]:
        return [str(VENV / "python"), "-m", "actions", "--actions", "actions", "--port", str(self.config.action_port)]

    def rasa_server_command(self, port: int | None = None, log_name: str = "rasa.log") -> list[str]:
        """A Rasa server on `port` (the stack's Rasa port by default) logging to `log_name` in the log directory."""
        return [
            str(VENV_BOT / "python"),
            "-m",
            "bot.serve",
            "--enable-api",
            "--port",
            str(port or self.config.rasa_port),
            "--interface",
            self.config.host,
            "--model",
            str(self.config.models_dir),
            "--credentials",
            str(ROOT / "bot" / "credentials.yml"),
            "--endpoints",
            str(self.config.endpoints),
            "--log-file",
            str(self.config.log_dir / log_name),
        ]

    def consumer_command(self) -> list[str]:
        """The feedback consumer reading this stack's event broker: the SQL broker's database in the var
        directory, or RabbitMQ (KELIAN_AMQP_URL / KELIAN_AMQP_QUEUE of the environment)."""
        if self.config.event_broker == "rabbitmq":
            return [str(VENV / "python"), "-m", "crm", "consume", "--broker", "rabbitmq"]
        return [
            str(VENV / "python"),
            "-m",
            "crm",
            "consume",
            "--events-url",
            f"sqlite:///{self.config.var_dir / 'rasa-events.db'}",
        ]

    def console_command(self) -> list[str]:
        return [
            str(VENV / "python"),
            "-m",
            "console",
            "serve",
            "--host",
            self.config.host,
            "--port",
            str(self.config.console_port),
            "--rasa-url",
            self.config.rasa_url,
        ]

    # ---- lifecycle ----------------------------------------------------------------------------
    def _spawn(self, name: str, command: list[str]) -> None:
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.config.log_dir / f"{name}.out", "ab")
        self._processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.config.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self, timeout: float = 300.0) -> None:
        ports = [("action server", self.config.action_port), ("Rasa server", self.config.rasa_port)]
        if self.console:
            ports.append(("staff console", self.config.console_port))
        for name, port in ports:
            if port_in_use(self.config.host, port):
                raise StackError(
                    f"port {port} for the {name} is already in use (another `make run`?); stop it or "
                    "choose other ports with KELIAN_RASA_PORT / KELIAN_ACTION_PORT / KELIAN_CONSOLE_PORT"
                )
        if self.config.rasa_servers > 1 and not shared_stores(self.config.endpoints):
            raise StackError(
                f"{self.config.rasa_servers} Rasa servers need a shared tracker store and a Redis lock store "
                f"(bot/endpoints-scaled.yml); {self.config.endpoints} has none"
            )
        deadline = time.monotonic() + timeout
        self._spawn("actions", self.action_server_command())
        if self.config.rasa_servers == 1:
            self._spawn("rasa", self.rasa_server_command())
            self._wait_until("rasa", f"{self.config.rasa_url}/status?token={self.token}", deadline)
        else:
            self._start_behind_proxy(deadline)
        self._wait_until("actions", f"{self.config.action_url}/health", deadline)
        self._spawn("consumer", self.consumer_command())
        if self.console:
            self._spawn("console", self.console_command())
            self._wait_until("console", f"{self.config.console_url}/health", deadline)

    def _start_behind_proxy(self, deadline: float) -> None:
        """`rasa_servers` Rasa servers on free ports (processes `rasa`, `rasa-2`, ...), then nginx on the Rasa port."""
        self.backend_ports = [free_port() for _ in range(self.config.rasa_servers)]
        names = ["rasa"] + [f"rasa-{n}" for n in range(2, len(self.backend_ports) + 1)]
        for name, port in zip(names, self.backend_ports):
            self._spawn(name, self.rasa_server_command(port, f"{name}.log"))
        for name, port in zip(names, self.backend_ports):
            self._wait_until(name, f"http://{self.config.host}:{port}/status?token={self.token}", deadline)
        config = proxy.write_config(self.config.host, self.config.rasa_port, self.backend_ports, self.proxy_dir)
        self._spawn("proxy", proxy.nginx_command(config))
        self._wait_until("proxy", f"{self.config.rasa_url}/status?token={self.token}", deadline)

    @property
    def proxy_dir(self) -> Path:
        return self.config.var_dir / "proxy"

    def _wait_until(self, name: str, url: str, deadline: float) -> None:
        process = self._processes[name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.stop()
                raise StackError(
                    f"{name} exited with code {process.returncode}; see {self.config.log_dir / (name + '.out')}"
                )
            try:
                if requests.get(url, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise StackError(
            f"{name} did not answer {url.split('?')[0]} in time; see {self.config.log_dir / (name + '.out')}"
        )

    def stop(self, grace: float = 15.0) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self._processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._processes.clear()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the stack's processes and their children have used so far, from
        /proc (Linux): each server runs in a process group of its own, led by the process started here."""
        groups = {process.pid for process in self._processes.values()}
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended meanwhile
            if int(fields[2]) in groups:  # pgrp; then utime, stime, cutime, cstime in clock ticks
                total += sum(int(value) for value in fields[11:15])
        return total / os.sysconf("SC_CLK_TCK")

    def pid(self, name: str) -> int:
        """The process id of one of the stack's servers (`rasa`, `actions`, `consumer`, ...)."""
        return self._processes[name].pid

    @contextmanager
    def frozen(self, name: str) -> Iterator[None]:
        """One server stopped (SIGSTOP) until the block ends: a dependency that hangs, for tests of
        what the others do meanwhile. It resumes (SIGCONT) whatever happens in the block."""
        process = self._processes[name]
        os.killpg(process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(process.pid, signal.SIGCONT)

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- talking to it ------------------------------------------------------------------------
    def sign_in(self, user_id: str) -> str:
        """From now on `say(user_id, …)` carries a token the shop signed for that user (what a shop's app
        does for a signed-in customer), so the conversation is that user's."""
        self._signed.add(user_id)
        return user_id

    def rest_headers(self, sender: str) -> dict[str, str]:
        """The headers of a REST call as `sender`: a signed token for users signed in with `sign_in`."""
        if sender not in self._signed:
            return {}
        secret = web_auth.web_secret(var_dir=self.config.var_dir)
        return {"Authorization": f"Bearer {web_auth.issue_user_token(sender, secret)}"}

    def conversation_id(self, sender: str) -> str:
        """The Rasa conversation of a REST sender: the user id when signed in, else the anonymous id
        the channel makes of it. Other channels' ids (WeChat openids, web ids) are their own."""
        return web_auth.anonymous_rest_sender(sender) if sender in self._anonymous else sender

    def say(self, sender: str, message: str) -> list[dict]:
        """One customer message over the REST channel; the bot's replies."""
        if sender not in self._signed:
            self._anonymous.add(sender)
        response = requests.post(
            f"{self.config.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            headers=self.rest_headers(sender),
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        response = requests.get(
            f"{self.config.rasa_url}/conversations/{self.conversation_id(sender)}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def hand_back(self, sender: str) -> None:
        """What an agent does when they are done: the bot answers this conversation again, listening for
        the customer's next message (the messages written while paused got no bot turn of their own)."""
        response = requests.post(
            f"{self.config.rasa_url}/conversations/{self.conversation_id(sender)}/tracker/events",
            params={"token": self.token},
            json=HAND_BACK_EVENTS,
            timeout=30,
        )
        response.raise_for_status()

    def wait_forever(self) -> None:
        """Blocks until Ctrl-C / SIGTERM or until a server dies."""
        stop = False

        def _handle(signum: int, frame: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, _handle)
        signal.signal(signal.SIGTERM, _handle)
        while not stop:
            for name, process in self._processes.items():
                if process.poll() is not None:
                    print(
                        f"{name} stopped unexpectedly (code {process.returncode}); see "
                        f"{self.config.log_dir / (name + '.out')}",
                        file=sys.stderr,
                    )
                    stop = True
            time.sleep(0.5)
        print("\nStopping…")
        self.stop()


def shared_stores(endpoints: Path) -> bool:
    """Whether Rasa servers with these endpoints can share conversations: a tracker store other than a file
    of their own (SQLite or in memory) and a Redis lock store."""
    settings = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    tracker = settings.get("tracker_store") or {}
    lock = settings.get("lock_store") or {}
    tracker_shared = tracker.get("type") not in (None, "memory", "in_memory") and tracker.get("dialect") != "sqlite"
    return tracker_shared and lock.get("type") in ("redis", "concurrent_redis")


def latest_model(models_dir: Path) -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None

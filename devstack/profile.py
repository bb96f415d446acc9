"""Where a turn's CPU goes: py-spy samples the Rasa server and the action server while the turn
benchmark's load runs, one flame graph (SVG) per turn and server.

    python -m devstack profile [--conversations 10] [--turns 20] [--out docs/flamegraphs]   (make profile)

The stack, the demo CRM and the load are the benchmark's (devstack/turn_bench.py). py-spy samples from
outside the process (`--nonblocking`: it never pauses the server), so the graphs show the servers as they
run under load; the width of a frame is its share of the samples. Read them with docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from devstack import turn_bench
from devstack.config import ROOT, StackConfig, free_port
from devstack.stack import Stack

PROFILED = {  # file name -> a turn of the benchmark
    "greeting": turn_bench.GREETING,
    "track-order": "track an order (CRM)",
    "recommendations": "recommendations (recommender)",
}
SERVERS = ("rasa", "actions")
SAMPLES_PER_SECOND = 100


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).is_file():
        raise SystemExit("py-spy is not installed in this environment: run `make setup`")
    return found


def record_command(pid: int, output: Path) -> list[str]:
    return [
        py_spy(),
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(SAMPLES_PER_SECOND),
        "--nonblocking",
        "--subprocesses",  # the action server answers from a Sanic worker, a child of the process started
        "--format",
        "flamegraph",
        "--output",
        str(output),
    ]


def graph_path(directory: Path, turn: str, server: str) -> Path:
    return directory / f"{turn}-{server}.svg"


def profile_turn(stack: Stack, alices: list[str], turn: str, out: Path, conversations: int, turns: int) -> str:
    """Runs one turn's load with py-spy on both servers; returns the benchmark's table row for it."""
    name = PROFILED[turn]
    recorders = [
        subprocess.Popen(
            record_command(stack.pid(server), graph_path(out, turn, server)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for server in SERVERS
    ]
    try:
        rows = asyncio.run(turn_bench.measure(stack, alices, [conversations], turns, {name: turn_bench.TURNS[name]}))
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes the graph when interrupted
        for recorder in recorders:
            _, errors = recorder.communicate(timeout=120)
            if recorder.returncode not in (0, -signal.SIGINT):
                raise SystemExit(f"py-spy failed ({recorder.returncode}): {errors.decode(errors='replace')[-500:]}")
    return turn_bench.table(rows).splitlines()[-1]


def run(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kelian-profile-") as tmp:
        crm_url = f"sqlite:///{tmp}/crm.db"
        alices = [f"profile-alice-{i}-{uuid.uuid4().hex[:6]}" for i in range(args.conversations)]
        turn_bench.prepare_crm(crm_url, alices)
        config = StackConfig(
            rasa_port=free_port(),
            action_port=free_port(),
            var_dir=Path(tmp) / "var",
            extra_env={"CRM_DATABASE_URL": crm_url},
        )
        with Stack(config) as stack:
            for alice in alices:
                stack.sign_in(alice)
            turn_bench.warm(stack, alices[0])
            rows = [profile_turn(stack, alices, turn, args.out, args.conversations, args.turns) for turn in PROFILED]
    print("\n".join(turn_bench.table([]).splitlines() + rows))
    print("\n".join(f"written {graph_path(args.out, turn, server)}" for turn in PROFILED for server in SERVERS))
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("profile", help="flame graphs of the servers under the turn benchmark's load (py-spy)")
    parser.add_argument("--conversations", type=int, default=10, help="concurrent conversations")
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "flamegraphs", help="where the SVG files go")
    parser.set_defaults(func=run)

"""Latency of a full conversation turn over REST (NLU + dialogue + action server + CRM / recommender)
at 1, 10 and 50 concurrent conversations, side by side with a turn that runs no data action, and the
same greeting load against Rasa's own `rasa init` bot in the same run (devstack/init_bot.py), so the
figures carry their own yardstick: Kelian's greeting throughput over the init bot's, and each data
turn's p95 over the greeting's.

    python -m devstack bench-turns [--levels 1 10 50] [--turns 20] [--no-init-bot] [--markdown docs/benchmarks.md]
    python -m devstack bench-turns --scale-out [--levels 10 50] [--markdown docs/benchmarks.md]

`--scale-out` measures the scaled deployment instead (PostgreSQL tracker store, Redis lock store, RabbitMQ:
the machine's servers): the same greeting load against one Rasa server and against two behind nginx
(devstack/proxy.py), one right after the other, and prints the throughput ratio.

Runs its own stack on free ports against a fresh demo CRM, so it measures the same thing on
every machine and never touches var/crm.db. Every turn — even a greeting — calls the action server
once, for `action_validate_slot_mappings` (the language slot); "no data action" means no CRM or
recommender work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from tqdm import tqdm

from devstack.config import ROOT, StackConfig, free_port
from devstack.init_bot import InitBot
from devstack.scaled import scaled_config, tracker_database
from devstack.stack import Stack, StackError

GREETING = "greeting (no data action)"
INIT_GREETING = "greeting, `rasa init` bot"  # the same message and load, against devstack/init_bot.py
SCALED = "greeting, scaled deployment, {n} Rasa server{s}"  # --scale-out rows, n = 1 and 2
# name -> (sender prefix, message); demo-alice's identities make the data turns answer from her orders.
TURNS = {
    GREETING: ("visitor", "hello there"),
    "track an order (CRM)": ("alice", "can you track KL20250104 for me"),
    "recommendations (recommender)": ("alice", "what would you recommend for me"),
}
MARKER_START = "<!-- turn-bench:start -->"
MARKER_END = "<!-- turn-bench:end -->"
SCALE_MARKERS = ("<!-- scale-out-bench:start -->", "<!-- scale-out-bench:end -->")


def scaled_name(servers: int) -> str:
    return SCALED.format(n=servers, s="" if servers == 1 else "s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def conversation(
    session: aiohttp.ClientSession,
    url: str,
    sender: str,
    message: str,
    turns: int,
    latencies: list[float],
    progress: tqdm,
    headers: dict[str, str],
) -> None:
    for _ in range(turns):
        started = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": message}, headers=headers) as response:
            response.raise_for_status()
            await response.json()
        latencies.append((time.perf_counter() - started) * 1000)
        progress.update()


# turn, concurrent conversations, p50 ms, p95 ms, turns/s, CPU ms per turn of the stack's processes (Rasa, actions,
# consumer, nginx: what a turn costs whatever else the machine runs, where latency and throughput depend on it)
Row = tuple[str, int, float, float, float, float]


async def measure(
    stack: Stack, alices: list[str], levels: list[int], turns: int, which: dict[str, tuple[str, str]] | None = None
) -> list[Row]:
    """`which`: the turns to run (name -> (sender prefix, message)); all of TURNS by default."""
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    rows = []
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for name, (who, message) in (which or TURNS).items():
            for level in levels:
                latencies: list[float] = []
                with tqdm(total=level * turns, desc=f"{name} ×{level}", leave=False) as progress:
                    started, cpu = time.perf_counter(), stack.cpu_seconds()
                    senders = [alices[i] if who == "alice" else f"bench-{uuid.uuid4().hex[:10]}" for i in range(level)]
                    await asyncio.gather(
                        *(
                            conversation(
                                session, url, sender, message, turns, latencies, progress, stack.rest_headers(sender)
                            )
                            for sender in senders
                        )
                    )
                    elapsed, cpu = time.perf_counter() - started, stack.cpu_seconds() - cpu
                p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
                rows.append((name, level, p50, p95, len(latencies) / elapsed, cpu * 1000 / len(latencies)))
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| turn | concurrent conversations | p50 ms | p95 ms | turns/s | CPU ms per turn |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {level} | {p50:.0f} | {p95:.0f} | {rate:.1f} | {cpu:.0f} |"
        for name, level, p50, p95, rate, cpu in rows
    ]
    return "\n".join(lines)


def ratios(rows: list[Row]) -> list[str]:
    """Kelian's greeting throughput over the `rasa init` bot's, and each data turn's p95 over Kelian's
    greeting p95, at every level measured for both."""
    by_turn = {(name, level): (p95, rate) for name, level, _, p95, rate, _ in rows}
    cpu = {(name, level): per_turn for name, level, *_, per_turn in rows}
    lines = []

    def at(level: int) -> str:
        return f"at {level} conversation{'' if level == 1 else 's'}"

    for (name, level), (p95, rate) in by_turn.items():
        if name == GREETING and (INIT_GREETING, level) in by_turn:
            lines.append(
                f"greeting throughput Kelian / rasa init = {rate / by_turn[INIT_GREETING, level][1]:.2f}× " + at(level)
            )
            lines.append(
                f"greeting CPU per turn Kelian / rasa init = {cpu[name, level] / cpu[INIT_GREETING, level]:.2f}× "
                + at(level)
            )
    for (name, level), (p95, rate) in by_turn.items():
        if name == scaled_name(2) and (scaled_name(1), level) in by_turn:
            lines.append(
                f"throughput two Rasa servers / one = {rate / by_turn[scaled_name(1), level][1]:.2f}× " + at(level)
            )
    for (name, level), (p95, rate) in by_turn.items():
        if name not in (GREETING, INIT_GREETING, scaled_name(1), scaled_name(2)) and (GREETING, level) in by_turn:
            lines.append(
                f"{name}: data-turn p95 / greeting p95 = {p95 / by_turn[GREETING, level][0]:.2f}× " + at(level)
            )
    return lines


def report(rows: list[Row], *, turns: int, cores: int | None, load: tuple[float, float], day: str) -> str:
    """The marked section of docs/benchmarks.md: the table, the ratios and the conditions of the run."""
    parts = [
        table(rows),
        "\n".join(f"- {line}" for line in ratios(rows)),
        f"Measured {day} on {cores} cores, {turns} turns per conversation one after another; 1-minute load "
        f"average {load[0]:.1f} before the run, {load[1]:.1f} after it.",
    ]
    return "\n\n".join(part for part in parts if part)


def write_markdown(
    path: Path,
    text: str,
    markers: tuple[str, str] = (MARKER_START, MARKER_END),
    heading: str = "Conversation turns over REST",
) -> None:
    start, end = markers
    block = f"{start}\n{text}\n{end}"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in current and end in current:
        head, rest = current.split(start, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    path.write_text(current, encoding="utf-8")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 50], help="concurrent conversations")
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument(
        "--no-init-bot", action="store_true", help="skip the `rasa init` bot's greeting (and the throughput ratio)"
    )
    parser.add_argument("--markdown", type=Path, help="write the table and the ratios into this file (between markers)")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="one Rasa server against two behind nginx, on the scaled deployment's PostgreSQL, Redis and RabbitMQ",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack bench-turns", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def measure_all(stack: Stack, init: Stack | None, alices: list[str], levels: list[int], turns: int) -> list[Row]:
    """Kelian's greeting and the init bot's level by level, one right after the other (the load of a
    shared machine drifts), then the data turns; rows in TURNS' order with the init bot's after Kelian's greeting."""
    greeting = {GREETING: TURNS[GREETING]}
    rows = []
    for level in levels:
        rows += asyncio.run(measure(stack, alices, [level], turns, greeting))
        if init is not None:
            rows += asyncio.run(measure(init, alices, [level], turns, {INIT_GREETING: TURNS[GREETING]}))
    rows.sort(key=lambda row: (row[0] != GREETING, row[1]))
    data = {name: turn for name, turn in TURNS.items() if name != GREETING}
    return rows + asyncio.run(measure(stack, alices, levels, turns, data))


def prepare_crm(crm_url: str, senders: list[str]) -> None:
    """A fresh demo CRM in which every one of `senders` is a REST identity of demo-alice."""
    subprocess.run(
        [sys.executable, "-m", "crm", "--database-url", crm_url, "ensure-demo", "--quiet"], cwd=ROOT, check=True
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom crm.db import session_factory, transaction\n"
            "from crm.repository import add_identity, find_customer\n"
            "with transaction(session_factory(sys.argv[1])) as s:\n"
            "    alice = find_customer(s, 'rest', 'demo-alice').id\n"
            "    for sender in sys.argv[2:]:\n"
            "        add_identity(s, alice, 'rest', sender)",
            crm_url,
            *senders,
        ],
        cwd=ROOT,
        check=True,
    )


def warm(stack: Stack, sender: str) -> None:
    """The first turn of a process pays for lazy imports in Rasa; with several servers, each pays once."""
    for _ in range(max(1, stack.config.rasa_servers)):
        if not stack.say(sender, "hello there"):
            raise StackError(f"no answer to a greeting from {stack.config.rasa_url}; see {stack.config.log_dir}")


def measure_scale_out(tmp: str, crm_url: str, alices: list[str], levels: list[int], turns: int) -> list[Row]:
    """The greeting load on the scaled deployment with one Rasa server, then with two behind nginx; each
    stack has its own tracker database and RabbitMQ queue, the same CRM, action server and consumer setup."""
    rows = []
    for servers in (1, 2):
        with tracker_database("kelian_bench") as database:
            config = scaled_config(Path(tmp) / f"var-scaled-{servers}", crm_url, database, rasa_servers=servers)
            with Stack(config) as stack:
                warm(stack, alices[0])
                rows += asyncio.run(measure(stack, alices, levels, turns, {scaled_name(servers): TURNS[GREETING]}))
    return rows


def run(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kelian-bench-") as tmp:
        crm_url = f"sqlite:///{tmp}/crm.db"
        # One sender per concurrent conversation, each known as demo-alice: Rasa serialises the turns
        # of one conversation, so sharing a sender would measure its lock, not the stack.
        alices = [f"bench-alice-{i}-{uuid.uuid4().hex[:6]}" for i in range(max(args.levels))]
        prepare_crm(crm_url, alices)
        if args.scale_out:
            rows = measure_scale_out(tmp, crm_url, alices, args.levels, args.turns)
        else:
            config = StackConfig(
                rasa_port=free_port(),
                action_port=free_port(),
                var_dir=Path(tmp) / "var",
                extra_env={"CRM_DATABASE_URL": crm_url},
            )
            # The init bot first: it trains its model on the first run, before anything is measured.
            init_config = StackConfig(rasa_port=free_port(), action_port=free_port(), var_dir=Path(tmp) / "var-init")
            with contextlib.ExitStack() as servers:
                init = None if args.no_init_bot else servers.enter_context(InitBot(init_config))
                stack = servers.enter_context(Stack(config))
                for alice in alices:
                    stack.sign_in(alice)  # a signed-in customer, as the shop's app would send her
                warm(stack, alices[0])
                if init is not None:
                    warm(init, alices[0])
                rows = measure_all(stack, init, alices, args.levels, args.turns)
    text = report(
        rows,
        turns=args.turns,
        cores=os.cpu_count(),
        load=(load_before, os.getloadavg()[0]),
        day=datetime.now(timezone.utc).date().isoformat(),
    )
    print(text)
    if args.markdown:
        if args.scale_out:
            write_markdown(args.markdown, text, SCALE_MARKERS, "Scale-out: two Rasa servers behind one port")
        else:
            write_markdown(args.markdown, text)
        print(f"written to {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

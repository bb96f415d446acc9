"""`python -m crm.bench`: demo-generation time and the latency of the bot's hot queries.

For each backend (a temporary SQLite file, and a temporary PostgreSQL database created and dropped
on the server), it migrates, generates the demo shop, scores it, then times the queries the
assistant makes on every turn: an order by number (with items, history, tracking, payments and
refunds), a customer by channel identity, a customer's last orders, and the full scan of
interactions the recommender trains from. Prints a table; optionally writes it as markdown and
draws a plot.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from tqdm import tqdm

from crm import repository as repo
from crm.db import make_engine
from crm.demo import DemoConfig, generate
from crm.export import iter_interactions, list_products
from crm.migrate import upgrade
from crm.models import Customer, Identity, Order
from crm.segments import recompute

DEFAULT_PG_URL = os.environ.get("KELIAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class BackendResult:
    backend: str
    migrate_s: float = 0.0
    demo_s: float = 0.0
    segment_s: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, tuple[float, float]] = field(default_factory=dict)  # median, p95
    training_scan_s: float = 0.0
    training_rows: int = 0
    catalogue_s: float = 0.0


@contextmanager
def _sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def _postgres(admin_url: str) -> Iterator[Engine]:
    name = f"kelian_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _timed(calls: list[Callable[[], object]]) -> tuple[float, float]:
    durations = []
    for call in calls:
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[min(len(durations) - 1, int(len(durations) * 0.95))]


def run_backend(backend: str, engine: Engine, config: DemoConfig, repeat: int, seed: int = 1) -> BackendResult:
    result = BackendResult(backend)
    started = time.perf_counter()
    upgrade(engine)
    result.migrate_s = time.perf_counter() - started
    summary = generate(engine, config)
    result.demo_s, result.rows = summary.seconds, summary.rows
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        recompute(session, summary.as_of)
    result.segment_s = time.perf_counter() - started

    rng = random.Random(seed)
    with Session(engine) as session:
        numbers = session.scalars(select(Order.number)).all()
        identities = [(i.channel.value, i.external_id) for i in session.scalars(select(Identity))]
        customers = session.scalars(select(Customer.id)).all()
        orders = [rng.choice(numbers) for _ in range(repeat)]
        people = [rng.choice(identities) for _ in range(repeat)]
        who = [rng.choice(customers) for _ in range(repeat)]
        repo.get_order(session, orders[0])  # warm the connection and the statement caches
        queries: list[tuple[str, list[Callable[[], object]]]] = [
            ("order by number", [partial(repo.get_order, session, n) for n in orders]),
            ("customer by identity", [partial(repo.find_customer, session, *p) for p in people]),
            ("last 5 orders", [partial(repo.last_orders, session, c, limit=5) for c in who]),
        ]
        for name, calls in tqdm(queries, desc=f"bench {backend}: queries", leave=False):
            session.expunge_all()
            result.latency_ms[name] = _timed(calls)
        started = time.perf_counter()
        result.training_rows = sum(1 for _ in iter_interactions(session))
        result.training_scan_s = time.perf_counter() - started
        started = time.perf_counter()
        list_products(session)
        result.catalogue_s = time.perf_counter() - started
    return result


def markdown(results: list[BackendResult], config: DemoConfig, repeat: int) -> str:
    names = list(results[0].latency_ms)
    header = "| | " + " | ".join(r.backend for r in results) + " |"
    rule = "|---|" + "---|" * len(results)
    lines = [
        "# CRM benchmark",
        "",
        "Written by `make bench` (`python -m crm.bench --markdown docs/crm-bench.md --plot docs/crm-bench.png`); "
        "what each query is and why it is fast: [crm.md](crm.md).",
        "",
        f"Demo shop: {config.customers:,} customers, {config.products:,} products, {config.interactions:,} "
        f"interactions; {repeat} random keys per query; measured {datetime.now(timezone.utc):%Y-%m-%d} "
        f"on {os.cpu_count()} CPU cores.",
        "",
        header,
        rule,
        "| migrate (s) | " + " | ".join(f"{r.migrate_s:.2f}" for r in results) + " |",
        "| demo generation (s) | " + " | ".join(f"{r.demo_s:.1f}" for r in results) + " |",
        "| segment: RFM + churn + CLV (s) | " + " | ".join(f"{r.segment_s:.1f}" for r in results) + " |",
    ]
    for name in names:
        lines.append(
            f"| {name}, median / p95 (ms) | "
            + " | ".join(f"{r.latency_ms[name][0]:.2f} / {r.latency_ms[name][1]:.2f}" for r in results)
            + " |"
        )
    lines.append(
        "| interactions for training, full scan (s) | "
        + " | ".join(f"{r.training_scan_s:.2f} ({r.training_rows:,} rows)" for r in results)
        + " |"
    )
    lines.append("| product catalogue export (s) | " + " | ".join(f"{r.catalogue_s:.2f}" for r in results) + " |")
    return "\n".join(lines) + "\n"


def plot(results: list[BackendResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results[0].latency_ms)
    width = 0.8 / len(results)
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for k, result in enumerate(results):
        axis.bar(
            [i + k * width for i in range(len(names))],
            [result.latency_ms[n][0] for n in names],
            width,
            yerr=[[0] * len(names), [result.latency_ms[n][1] - result.latency_ms[n][0] for n in names]],
            label=result.backend,
            capsize=3,
        )
    axis.set_xticks([i + width * (len(results) - 1) / 2 for i in range(len(names))], names)
    axis.set_ylabel("ms (median, bar to p95)")
    axis.set_title("CRM hot queries on the demo shop")
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--interactions", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=300, help="random keys per query (default 300)")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_PG_URL,
        help="server where a temporary database is created (default %(default)s)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--plot", type=Path, help="also draw the latencies to this image")
    args = parser.parse_args(argv)
    config = DemoConfig(
        customers=args.customers, products=args.products, interactions=args.interactions, seed=args.seed
    )
    results = []
    with _sqlite() as engine:
        results.append(run_backend("SQLite", engine, config, args.repeat))
    if not args.no_postgres:
        with _postgres(args.postgres_url) as engine:
            results.append(run_backend("PostgreSQL", engine, config, args.repeat))
    table = markdown(results, config, args.repeat)
    print(table, end="")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table, encoding="utf-8")
    if args.plot:
        plot(results, args.plot)
    slowest = max(max(r.latency_ms.values(), key=lambda v: v[0])[0] for r in results)
    print(f"benchmarked {', '.join(r.backend for r in results)}; slowest hot-query median {slowest:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

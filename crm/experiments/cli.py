"""`python -m crm experiments list|create|start|stop|report|simulate`: what `crm/cli.py` hands over.

Kept apart from `crm/cli.py` so the statistics packages are imported only by the commands that use them.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from crm.db import REPO_ROOT, transaction
from crm.errors import InvalidInput
from crm.experiments.variants import OUTREACH_KEYS, REPLY_KEYS
from crm.terminal import require_schema, table

if TYPE_CHECKING:
    from crm.models import Experiment

DOC = REPO_ROOT / "docs" / "experiments.md"
IMAGE = REPO_ROOT / "docs" / "experiments-simulation.png"


def add_parser(commands: Any, as_of: Any, positive: Any) -> None:
    """The `experiments` command and its sub-commands (`as_of`, `positive`: crm.cli's argument types)."""
    parser = commands.add_parser(
        "experiments",
        help="A/B experiments on recommendations, reply wordings and outreach: list, create, start, stop, report, "
        "simulate",
        description="Experiments assign customers (by CRM id; guests by conversation) to arms with a salted hash, "
        "record who saw which arm, and report conversions per arm with a fixed-horizon verdict.",
    )
    sub = parser.add_subparsers(dest="experiments_command", required=True, metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="every experiment, newest first")
    listing.add_argument("--json", action="store_true")

    create = sub.add_parser(
        "create",
        help="a draft experiment (the first --arm is the control)",
        description="Arms are NAME:WEIGHT[:key=value,...]; settings: strategy=hybrid|als|popularity, "
        "diversity=on|off, explanation=reasons|none, personal_weight, text_weight, popularity_weight, "
        "diversity_penalty. "
        "The planned sample per arm is --sample-size, or computed from --baseline and --mde "
        "(two-proportion z-test, 80 %% power).",
    )
    create.add_argument("key")
    create.add_argument("--arm", action="append", required=True, help="NAME:WEIGHT[:key=value,...] (2 to 5)")
    create.add_argument(  # the metrics of crm.models.ExperimentMetric (not imported: the parser loads no models)
        "--metric",
        required=True,
        help="what counts as a conversion: rec_click, add_to_cart, purchase, resolved or csat (a survey rated 4-5)",
    )
    create.add_argument(
        "--surface", default="recommendations", help="where the arms differ: recommendations, outreach or replies"
    )
    create.add_argument(
        "--wording",
        action="append",
        default=[],
        help="replies: ARM:MESSAGE_KEY:en=TEXT and ARM:MESSAGE_KEY:zh=TEXT (both languages; keys: "
        f"{', '.join(REPLY_KEYS)}); outreach: a treatment arm's own offer, ARM:{', '.join(OUTREACH_KEYS)}:en=TEXT "
        "and :zh=TEXT (else the campaign's message)",
    )
    create.add_argument("--target", default="all", help="all, segment:NAME or channel:NAME (default all)")
    create.add_argument("--window-days", type=positive, default=7, help="conversion window after exposure (default 7)")
    create.add_argument("--alpha", type=float, default=0.05)
    size = create.add_mutually_exclusive_group(required=True)
    size.add_argument("--sample-size", type=positive, help="planned analysed units per arm")
    size.add_argument("--baseline", type=float, help="the control's expected rate (e.g. 0.05); needs --mde")
    create.add_argument("--mde", type=float, help="smallest relative lift worth detecting (e.g. 0.1 for +10 %%)")
    create.add_argument("--description", default="")

    for name, what in (
        ("start", "start assigning (draft to running; --at later schedules it)"),
        ("stop", "stop assigning (running to stopped; --at later schedules it)"),
    ):
        command = sub.add_parser(name, help=what)
        command.add_argument("key")
        command.add_argument("--at", type=as_of, default=None, help="when (ISO; default now)")

    report = sub.add_parser("report", help="exposures, conversions, intervals, lift, p-values and the verdict")
    report.add_argument("key")
    report.add_argument("--as-of", type=as_of, default=None, help="count as of this time (default now)")
    report.add_argument("--json", action="store_true")

    simulate = sub.add_parser("simulate", help="check the analysis on simulated customers; writes docs/experiments.md")
    simulate.add_argument("--repetitions", type=positive, default=1000)
    simulate.add_argument("--customers", type=positive, default=10_000)
    simulate.add_argument("--baseline", type=float, default=0.08)
    simulate.add_argument("--lift", type=float, default=0.2)
    simulate.add_argument("--seed", type=int, default=17)
    simulate.add_argument("--doc", type=Path, default=DOC, help="markdown file whose simulation section is rewritten")
    simulate.add_argument("--image", type=Path, default=IMAGE)
    simulate.add_argument("--no-doc", action="store_true", help="print only")
    simulate.add_argument("--quiet", action="store_true", help="no progress bar")


def _summary(experiment: Experiment) -> dict[str, Any]:
    from crm.experiments.variants import describe

    return {
        "key": experiment.key,
        "status": experiment.status.value,
        "surface": experiment.surface.value,
        "metric": experiment.metric.value,
        "window_days": experiment.window_days,
        "target": experiment.target_kind.value + (f":{experiment.target_value}" if experiment.target_value else ""),
        "planned_per_arm": experiment.planned_per_arm,
        "alpha": experiment.alpha,
        "starts_at": experiment.starts_at.isoformat() if experiment.starts_at else None,
        "stops_at": experiment.stops_at.isoformat() if experiment.stops_at else None,
        "arms": [
            {"name": a.name, "weight": a.weight, "parameters": a.parameters, "variant": describe(a.parameters)}
            for a in experiment.arms
        ],
    }


def _pct(value: float | None, signed: bool = False) -> str:
    return "n/a" if value is None else (f"{value:+.1%}" if signed else f"{value:.2%}")


def _print_report(summary: dict[str, Any], analysis: Any) -> None:
    print(
        f"experiment {summary['key']} ({summary['status']}, {summary['surface']}, target {summary['target']}): "
        f"{summary['metric']} within {summary['window_days']} days of the exposure"
    )
    level = f"{1 - analysis.alpha:.0%}"
    print(
        table(
            (
                "arm",
                "weight",
                "exposed",
                "analysed",
                "converted",
                f"rate [{level} Wilson]",
                f"lift vs control [{level}]",
                "p (z-test)",
                "p (Holm)",
            ),
            [
                (
                    a.name,
                    a.weight,
                    f"{a.exposed:,}",
                    f"{a.analysed:,}",
                    f"{a.conversions:,}",
                    f"{_pct(a.rate)} [{_pct(a.rate_low)}, {_pct(a.rate_high)}]",
                    "control"
                    if i == 0
                    else f"{_pct(a.lift, True)} [{_pct(a.lift_low, True)}, {_pct(a.lift_high, True)}]",
                    "" if i == 0 else ("n/a" if a.p_value is None else f"{a.p_value:.3g}"),
                    "" if i == 0 else ("n/a" if a.adjusted_p is None else f"{a.adjusted_p:.3g}"),
                )
                for i, a in enumerate(analysis.arms)
            ],
        )
    )
    srm = "n/a" if analysis.srm_p is None else f"chi-square p = {analysis.srm_p:.3g}"
    print(
        f"sample ratio: {srm}{' — MISMATCH' if analysis.srm else ' (fine)'}; "
        f"minimum detectable effect now: {_pct(analysis.mde, True)} (80 % power); "
        f"planned {analysis.planned_per_arm:,} analysed units per arm "
        f"({'reached' if analysis.reached else 'not reached'})"
    )
    print(f"verdict: {analysis.verdict}")


def run(args: argparse.Namespace, engine: Engine) -> int:
    from crm.experiments import definitions as ex

    command = args.experiments_command
    if command == "simulate":
        from crm.experiments.simulation import SimulationConfig, run as simulate, summary_line

        config = SimulationConfig(
            repetitions=args.repetitions,
            customers=args.customers,
            baseline=args.baseline,
            lift=args.lift,
            seed=args.seed,
        )
        result = simulate(
            config, None if args.no_doc else args.doc, None if args.no_doc else args.image, show_progress=not args.quiet
        )
        print(summary_line(result) + ("" if args.no_doc else f"; written to {args.doc}"))
        return 0

    require_schema(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with transaction(factory) as session:
        ex.settle(session)
        if command == "list":
            rows = [_summary(e) for e in ex.list_experiments(session)]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
                return 0
            print(
                table(
                    ("key", "status", "metric", "target", "planned/arm", "arms"),
                    [
                        (
                            r["key"],
                            r["status"],
                            r["metric"],
                            r["target"],
                            f"{r['planned_per_arm']:,}",
                            "; ".join(f"{a['name']} {a['weight']} ({a['variant']})" for a in r["arms"]),
                        )
                        for r in rows
                    ],
                )
            )
            print(f"{len(rows)} experiment(s)")
            return 0
        if command == "create":
            planned = args.sample_size
            if planned is None:
                if args.mde is None:
                    raise InvalidInput("--baseline needs --mde (the smallest relative lift worth detecting)")
                planned = ex.planned_sample_size(args.baseline, args.mde, alpha=args.alpha)
            experiment = ex.create_experiment(
                session,
                args.key,
                ex.with_wordings([ex.parse_arm(a) for a in args.arm], args.wording),
                metric=args.metric,
                planned_per_arm=planned,
                target=args.target,
                window_days=args.window_days,
                alpha=args.alpha,
                surface=args.surface,
                description=args.description,
            )
            print(
                f"experiment {experiment.key} created as a draft: {len(experiment.arms)} arms, "
                f"{planned:,} analysed units per arm planned; start it with "
                f"`python -m crm experiments start {experiment.key}`"
            )
            return 0
        if command in ("start", "stop"):
            change = ex.start_experiment if command == "start" else ex.stop_experiment
            experiment = change(session, args.key, at=args.at)
            moment = experiment.starts_at if command == "start" else experiment.stops_at
            assert moment is not None
            if command == "stop" and experiment.status.value == "running":
                print(f"experiment {experiment.key} keeps running until {moment:%Y-%m-%d %H:%M} UTC (stop scheduled)")
                return 0
            when = "from" if moment > datetime.now(timezone.utc) else "since"
            print(f"experiment {experiment.key} {experiment.status.value} {when} {moment:%Y-%m-%d %H:%M} UTC")
            return 0
        from crm.experiments.analysis import analyse
        from crm.experiments.outcomes import arm_counts

        experiment = ex.get_experiment(session, args.key)
        as_of = args.as_of or datetime.now(timezone.utc)
        analysis = analyse(
            arm_counts(session, experiment, as_of), planned_per_arm=experiment.planned_per_arm, alpha=experiment.alpha
        )
        summary = _summary(experiment)
        if args.json:
            print(
                json.dumps(
                    {**summary, "as_of": as_of.isoformat(), "analysis": asdict(analysis)}, ensure_ascii=False, indent=2
                )
            )
        else:
            _print_report(summary, analysis)
        return 0

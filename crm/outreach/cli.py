"""`python -m crm outreach create|list|run|report`: what `crm/cli.py` hands over."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from crm.db import transaction
from crm.terminal import require_schema, table

if TYPE_CHECKING:
    from crm.models import OutreachCampaign


def add_parser(commands: Any, as_of: Any, positive: Any) -> None:
    """The `outreach` command and its sub-commands (`as_of`, `positive`: crm.cli's argument types)."""
    parser = commands.add_parser(
        "outreach",
        help="consented outreach to customers at risk: create, list, run, report",
        description="A campaign selects consented customers by a rule (churn_high_value, abandoned_cart) and "
        "reaches each once on their preferred (else last) channel: WeChat at once, the web page at the next "
        "visit; at most one contact per customer per --cap-days; an experiment on the outreach surface makes "
        "its first arm a hold-out.",
    )
    sub = parser.add_subparsers(dest="outreach_command", required=True, metavar="SUBCOMMAND")
    create = sub.add_parser("create", help="a campaign (active at once; nothing is sent until `run`)")
    create.add_argument("key")
    create.add_argument("--rule", required=True, help="churn_high_value or abandoned_cart")
    create.add_argument("--message-en", required=True, help="the English text (an opt-out line is added)")
    create.add_argument("--message-zh", required=True, help="the Chinese text (an opt-out line is added)")
    create.add_argument("--experiment", help="key of an experiment with --surface outreach (first arm: hold-out)")
    create.add_argument("--cap-days", type=int, default=7, help="no contact within this many days of another (7)")
    create.add_argument("--window-days", type=positive, default=7, help="purchases counted within (7)")

    listing = sub.add_parser("list", help="every campaign, newest first")
    listing.add_argument("--json", action="store_true")

    run = sub.add_parser("run", help="select and send (WeChat now, web at the next visit); safe to re-run")
    run.add_argument("key")
    run.add_argument("--dry-run", action="store_true", help="list who would be reached; record and send nothing")
    run.add_argument("--rasa-url", help="the Rasa server whose WeChat channel sends (KELIAN_RASA_URL)")
    run.add_argument("--as-of", type=as_of, default=None, help="select as of this time (default now)")
    run.add_argument(
        "--customer", type=positive, action="append", help="only this CRM customer id (repeatable): a test send"
    )
    run.add_argument("--json", action="store_true")

    report = sub.add_parser("report", help="selected, contacted, opened, replied, opted out, bought, per arm")
    report.add_argument("key")
    report.add_argument("--as-of", type=as_of, default=None, help="count as of this time (default now)")
    report.add_argument("--json", action="store_true")


def _summary(campaign: OutreachCampaign) -> dict[str, Any]:
    return {
        "key": campaign.key,
        "rule": campaign.rule.value,
        "active": campaign.active,
        "experiment": campaign.experiment.key if campaign.experiment is not None else None,
        "cap_days": campaign.cap_days,
        "window_days": campaign.window_days,
        "message_en": campaign.message_en,
        "message_zh": campaign.message_zh,
        "created_at": campaign.created_at.isoformat(),
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def run(args: argparse.Namespace, engine: Engine) -> int:
    from crm.outreach import campaigns as oc

    require_schema(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    command = args.outreach_command
    if command == "run":
        from crm.outreach.delivery import RasaWeChatSender
        from crm.outreach.sending import run_campaign

        summary = run_campaign(
            factory,
            args.key,
            wechat=RasaWeChatSender(args.rasa_url),
            now=args.as_of,
            dry_run=args.dry_run,
            only=args.customer,
        )
        rows = [
            {
                "customer_id": p.candidate.customer_id,
                "channel": p.candidate.channel.value,
                "language": p.candidate.language.value,
                "arm": p.arm,
                "held_out": p.held_out,
                "reason": p.candidate.reason,
            }
            for p in summary.planned
        ]
        if args.json:
            print(json.dumps({"summary": summary.line(), "selected": rows}, ensure_ascii=False, indent=2))
            return 0
        if rows:
            print(
                table(
                    ("customer", "channel", "language", "arm", "why"),
                    [
                        (
                            p.candidate.customer_id,
                            p.candidate.channel.value,
                            p.candidate.language.value,
                            (p.arm or "-") + (" (hold-out)" if p.held_out else ""),
                            p.candidate.reason,
                        )
                        for p in summary.planned
                    ],
                )
            )
        print(summary.line())
        return 0
    with transaction(factory) as session:
        if command == "create":
            campaign = oc.create_campaign(
                session,
                args.key,
                args.rule,
                message_en=args.message_en,
                message_zh=args.message_zh,
                experiment=args.experiment,
                cap_days=args.cap_days,
                window_days=args.window_days,
            )
            print(
                f"campaign {campaign.key} created ({campaign.rule.value}); see who it would reach with "
                f"`python -m crm outreach run {campaign.key} --dry-run`"
            )
            return 0
        if command == "list":
            rows = [_summary(c) for c in oc.list_campaigns(session)]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
                return 0
            print(
                table(
                    ("key", "rule", "active", "experiment", "cap days", "window days"),
                    [
                        (
                            r["key"],
                            r["rule"],
                            "yes" if r["active"] else "no",
                            r["experiment"] or "-",
                            r["cap_days"],
                            r["window_days"],
                        )
                        for r in rows
                    ],
                )
            )
            print(f"{len(rows)} campaign(s)")
            return 0
        from crm.outreach.report import campaign_figures

        campaign = oc.get_campaign(session, args.key)
        as_of = args.as_of or datetime.now(timezone.utc)
        figures = campaign_figures(session, campaign, as_of)
        analysis = None
        if campaign.experiment is not None:
            from crm.experiments.analysis import analyse
            from crm.experiments.outcomes import arm_counts

            experiment = campaign.experiment
            analysis = analyse(
                arm_counts(session, experiment, as_of),
                planned_per_arm=experiment.planned_per_arm,
                alpha=experiment.alpha,
            )
        if args.json:
            print(
                json.dumps(
                    {
                        **_summary(campaign),
                        "as_of": as_of.isoformat(),
                        "arms": [{**asdict(f), "purchase_rate": f.purchase_rate} for f in figures],
                        "experiment_analysis": None if analysis is None else asdict(analysis),
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return 0
        print(
            f"campaign {campaign.key} ({campaign.rule.value}): purchases within {campaign.window_days} days of the "
            "selection; WeChat reports no reads, so 'opened' counts web messages shown"
        )
        print(
            table(
                (
                    "arm",
                    "selected",
                    "held out",
                    "contacted",
                    "pending",
                    "failed",
                    "cancelled",
                    "opened",
                    "replied",
                    "opted out",
                    "analysed",
                    "bought",
                    "rate",
                ),
                [
                    (
                        f.arm,
                        f.selected,
                        f.held_out,
                        f.contacted,
                        f.pending,
                        f.failed,
                        f.cancelled,
                        f.opened,
                        f.replied,
                        f.opted_out,
                        f.analysed,
                        f.purchased,
                        _pct(f.purchase_rate),
                    )
                    for f in figures
                ],
            )
        )
        if analysis is not None and campaign.experiment is not None:
            print(f"experiment {campaign.experiment.key}: {analysis.verdict}")
            print(f"(full statistics: python -m crm experiments report {campaign.experiment.key})")
        return 0

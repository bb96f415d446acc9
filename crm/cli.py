"""`python -m crm`: migrate, fill with the demo shop, score, erase, report.

Heavy modules (numpy, scikit-learn, the demo vocabulary) are imported by the commands that need
them, so `ensure-demo` on a ready database returns in a fraction of a second.
"""

from __future__ import annotations

import argparse
import os
import getpass
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, text

from crm.db import REPO_ROOT, make_engine
from crm.errors import CRMError
from crm.terminal import require_schema, table, where

DEFAULT_TRACKER_URL = f"sqlite:///{REPO_ROOT / 'var' / 'rasa-tracker.db'}"
DEMO_DEFAULTS = {"customers": 5000, "products": 1000, "interactions": 200_000, "seed": 7}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # the start of "all history"


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or datetime (e.g. 2025-11-07)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def cmd_migrate(args: argparse.Namespace, engine: Engine) -> int:
    from crm.migrate import current_revision, upgrade

    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    change = "already at" if before == after else f"upgraded from {before or 'an empty database'} to"
    print(f"CRM schema {change} revision {after} ({where(engine)})")
    return 0


def _demo(engine: Engine, args: argparse.Namespace, *, reset: bool) -> None:
    from crm.demo import DemoConfig, generate

    config = DemoConfig(
        customers=args.customers,
        products=args.products,
        interactions=args.interactions,
        seed=args.seed,
        as_of=args.as_of,
    )
    summary = generate(engine, config, reset=reset, show_progress=not args.quiet)
    rows = summary.rows
    print(
        f"demo shop written in {summary.seconds:.1f} s (anchor {summary.as_of:%Y-%m-%d %H:%M} UTC): "
        f"{rows['customers']:,} customers, {rows['products']:,} products, {rows['orders']:,} orders, "
        f"{rows['interactions']:,} interactions, {rows['tickets']:,} tickets, "
        f"{rows['conversations']:,} conversations"
    )


def cmd_demo(args: argparse.Namespace, engine: Engine) -> int:
    require_schema(engine)
    _demo(engine, args, reset=args.reset)
    return 0


def _segment(engine: Engine, as_of: datetime | None, *, verbose: bool) -> None:
    from sqlalchemy.orm import sessionmaker

    from crm.db import transaction
    from crm.segments import recompute

    with transaction(sessionmaker(bind=engine)) as session:
        report = recompute(session, as_of)
    if verbose:
        names = sorted(set(report.segments))
        print(
            table(
                ("segment", "customers", "share", "average 12-month CLV (CNY)"),
                [
                    (
                        n,
                        report.segments[n],
                        f"{report.segments[n] / max(report.customers, 1):.1%}",
                        f"{report.average_clv.get(n, 0):,.2f}",
                    )
                    for n in names
                ],
            )
        )
        print()
        print(table(("lifecycle stage", "customers"), sorted(report.lifecycle.items())))
        print()
        print(table(("churn risk", "customers"), sorted(report.churn_risk.items())))
        print()
        c = report.churn
        auc = "n/a (not enough history)" if c.roc_auc is None else f"{c.roc_auc:.3f}"
        print(
            f"churn model: logistic regression, trained on {c.train_rows:,} snapshots "
            f"(churn rate {c.train_churn_rate:.1%}), held-out last 30 days: {c.test_rows:,} customers "
            f"(churn rate {c.test_churn_rate:.1%}), ROC AUC {auc}"
        )
        v = report.clv
        if v.bgnbd is not None and v.gamma_gamma is not None:
            print(
                f"CLV model: BG/NBD (r={v.bgnbd.r:.3f}, alpha={v.bgnbd.alpha:.3f}, a={v.bgnbd.a:.3f}, "
                f"b={v.bgnbd.b:.3f}) x Gamma-Gamma (p={v.gamma_gamma.p:.3f}, q={v.gamma_gamma.q:.3f}, "
                f"v={v.gamma_gamma.v:.1f}) on {v.buyers:,} buyers"
            )
        if v.holdout_predicted is not None and v.holdout_actual is not None:
            correlation = "n/a" if v.holdout_correlation is None else f"{v.holdout_correlation:.2f}"
            print(
                f"CLV check: fitted without the last {v.holdout_weeks:.0f} weeks, predicted "
                f"{v.holdout_predicted:,.0f} purchases in them, actual {v.holdout_actual:,.0f} "
                f"(per-customer correlation {correlation})"
            )
    print(f"scored {report.customers:,} customers in {report.seconds:.1f} s")


def cmd_links(args: argparse.Namespace, engine: Engine) -> int:
    """Staff's view of the channels a customer linked with a one-time code, and the undo."""
    from sqlalchemy.orm import sessionmaker

    from crm.db import transaction
    from crm.repository import list_links, remove_link, resolve_customer

    require_schema(engine)
    with transaction(sessionmaker(bind=engine)) as session:
        customer = resolve_customer(session, args.customer)
        if args.remove is not None:
            remove_link(session, customer.id, args.remove, actor=args.actor)
            print(f"link {args.remove} of customer {customer.id} removed (audited); that channel is anonymous again")
            return 0
        links = list_links(session, customer.id)
    if not links:
        print(f"customer {customer.id} has no linked channels")
    for link in links:
        print(
            f"{link.identity_id:>8}  {link.channel.value:<7} {link.masked_id:<24} linked "
            f"{link.linked_at:%Y-%m-%d %H:%M} UTC "
            f"with a code from {link.issued_on.value}"
        )
    return 0


def cmd_segment(args: argparse.Namespace, engine: Engine) -> int:
    require_schema(engine)
    _segment(engine, args.as_of, verbose=True)
    return 0


def cmd_erase(args: argparse.Namespace, engine: Engine) -> int:
    from sqlalchemy.orm import sessionmaker

    from crm.db import transaction
    from crm.privacy import erase_customer
    from crm.repository import resolve_customer

    require_schema(engine)
    with transaction(sessionmaker(bind=engine)) as session:
        customer = resolve_customer(session, args.customer)
        report = erase_customer(session, customer.id, actor=args.actor)
    if report.already_erased:
        print(f"customer {report.customer_id} was already erased; nothing changed")
        return 0
    print(
        f"customer {report.customer_id} erased: {report.identities_deleted} identities, "
        f"{report.addresses_deleted} addresses, {report.messages_deleted} messages, "
        f"{report.interactions_deleted} interactions, {report.subscriptions_deleted} subscriptions, "
        f"{report.dead_letters_blanked} dead-letter payloads deleted; "
        f"{report.conversations_anonymised} conversations, {report.tickets_anonymised} tickets, "
        f"{report.reviews_anonymised} reviews, {report.invoices_anonymised} invoices anonymised; "
        f"{report.orders_kept} orders kept as anonymous aggregates; recorded in the audit log"
    )
    return 0


def cmd_stats(args: argparse.Namespace, engine: Engine) -> int:
    from sqlalchemy.orm import Session

    from crm.metrics import compute
    from crm.models import Base
    from crm.service_metrics import compute_service

    require_schema(engine)
    from crm.repository.dead_letters import count_dead_letters

    with Session(engine) as session:
        m = compute(session, window_days=args.window_days, as_of=args.as_of)
        # containment has one definition, crm.service_metrics' (the dashboard's too), over the same period; the
        # time zone only places CSAT weeks, which are not shown here
        service = compute_service(session, m.start or EPOCH, m.end, ZoneInfo("UTC"))
        dead_letters = count_dead_letters(session)
        sizes = [
            (table.name, f"{session.scalar(select(func.count()).select_from(table)):,}")
            for table in Base.metadata.sorted_tables
        ]

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1%}"

    period = "all history" if m.start is None else f"{m.start:%Y-%m-%d} to {m.end:%Y-%m-%d}"
    print(f"shop metrics, {period}")
    print(
        table(
            ("metric", "value", "from"),
            [
                ("conversion rate", pct(m.conversion_rate), f"{m.active_users:,} customers who interacted"),
                (
                    "engagement rate",
                    "n/a" if m.engagement_rate is None else f"{m.engagement_rate:.1f} per active user",
                    f"{m.interactions:,} interactions",
                ),
                (
                    "service efficiency",
                    pct(m.service_efficiency),
                    f"{m.tickets_resolved:,} of {m.tickets_received:,} tickets resolved",
                ),
                (
                    "containment",
                    pct(service.containment),
                    f"{service.contained:,} of {service.conversations:,} conversations: goal met and no person",
                ),
                ("repeat-purchase rate", pct(m.repeat_purchase_rate), f"{m.purchasers:,} purchasers"),
                (
                    "revenue",
                    f"¥{m.revenue:,.2f}",
                    f"{m.revenue_orders:,} paid orders, average ¥{m.average_order_value or 0:,.2f}",
                ),
                ("handoffs waiting", f"{m.handoffs_waiting:,}", "now"),
                (
                    "dead letters waiting",
                    f"{dead_letters:,}",
                    "events the feedback consumer set aside (python -m crm dead-letters)",
                ),
            ],
        )
    )
    print()
    print(table(("table", "rows"), sizes))
    return 0


def cmd_ensure_demo(args: argparse.Namespace, engine: Engine) -> int:
    from crm.migrate import is_up_to_date, upgrade

    if not is_up_to_date(engine):
        upgrade(engine)
    with engine.connect() as connection:
        customers = connection.scalar(text("SELECT COUNT(*) FROM customers")) or 0
    if customers:
        print(f"CRM ready: {customers:,} customers in {where(engine)}")
        return 0
    _demo(engine, args, reset=False)
    _segment(engine, args.as_of, verbose=False)
    return 0


def cmd_consume(args: argparse.Namespace, engine: Engine) -> int:
    from sqlalchemy.orm import sessionmaker

    from crm.consumer import (
        DEFAULT_EVENTS_URL,
        DEFAULT_QUEUE,
        EventSource,
        FeedbackWriter,
        RabbitEventSource,
        SqlEventSource,
        consume_once,
        run_forever,
    )
    from crm.migrate import is_up_to_date, upgrade

    if not is_up_to_date(engine):
        upgrade(engine)
    crm = sessionmaker(bind=engine, expire_on_commit=False)
    source: EventSource
    if args.broker == "rabbitmq":
        source = RabbitEventSource(
            args.amqp_url or os.environ.get("KELIAN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
            args.queue or os.environ.get("KELIAN_AMQP_QUEUE", DEFAULT_QUEUE),
        )
    else:
        source = SqlEventSource(args.events_url or os.environ.get("KELIAN_EVENTS_URL", DEFAULT_EVENTS_URL))
    if args.status:
        print(f"{source.name}: lag {source.lag(crm)} events")
        return 0
    if args.once:
        stats = consume_once(crm, source, FeedbackWriter(), args.batch)
        print(
            f"consumed {stats.events} events: {stats.messages} messages, {stats.mentions} product mentions, "
            f"{stats.conversations_closed} conversations closed, {stats.duplicates} duplicates skipped, "
            f"{stats.dead_letters} set aside as dead letters; "
            f"lag {source.lag(crm)}"
        )
        return 0
    print(f"consuming {source.name} (Ctrl-C stops)", flush=True)
    run_forever(crm, source, poll=args.poll, batch=args.batch)
    return 0


def cmd_purge_events(args: argparse.Namespace, engine: Engine) -> int:
    from sqlalchemy.orm import sessionmaker

    from crm.consumer import DEFAULT_EVENTS_URL
    from crm.retention import purge_broker_events, purge_trackers

    require_schema(engine)
    crm = sessionmaker(bind=engine, expire_on_commit=False)
    events_url = args.events_url or os.environ.get("KELIAN_EVENTS_URL", DEFAULT_EVENTS_URL)
    tracker_url = args.tracker_url or os.environ.get("KELIAN_TRACKER_URL", DEFAULT_TRACKER_URL)
    events = purge_broker_events(crm, events_url, days=args.days)
    conversations, tracker_events = purge_trackers(tracker_url, days=args.tracker_days)
    print(
        f"purged {events:,} broker events older than {args.days} days that the consumer had committed, and "
        f"{conversations:,} Rasa conversations ({tracker_events:,} tracker events) idle for more than "
        f"{args.tracker_days} days"
    )
    return 0


def cmd_dead_letters(args: argparse.Namespace, engine: Engine) -> int:
    from sqlalchemy.orm import sessionmaker

    from crm.consumer import retry_dead_letter
    from crm.db import transaction
    from crm.repository.dead_letters import drop_dead_letter, list_dead_letters, read_dead_letter

    require_schema(engine)
    crm = sessionmaker(bind=engine, expire_on_commit=False)
    if args.retry is not None:
        outcome = retry_dead_letter(crm, args.retry, actor=args.actor)
        if not outcome.applied:
            print(f"dead letter {args.retry} refused again, still waiting: {outcome.reason}", file=sys.stderr)
            return 1
        print(f"dead letter {args.retry} applied and marked retried")
        return 0
    if args.drop is not None:
        with transaction(crm) as session:
            drop_dead_letter(session, args.drop, actor=args.actor)
        print(f"dead letter {args.drop} dropped (its payload is deleted; the row stays as the trace)")
        return 0
    if args.show is not None:
        with transaction(crm) as session:
            letter, payload = read_dead_letter(session, args.show, actor=args.actor)
        print(
            f"dead letter {letter.id} ({letter.status.value}, {letter.source} {letter.reference or ''}): "
            f"{letter.reason}"
        )
        print(payload if payload is not None else "(payload deleted)")
        return 0
    with transaction(crm) as session:
        letters = list_dead_letters(session, args.limit, status=None if args.status == "all" else args.status)
    print(
        table(
            ("id", "status", "source", "reference", "event", "chars", "tries", "set aside (UTC)", "reason"),
            [
                (
                    d.id,
                    d.status.value,
                    d.source,
                    d.reference or "",
                    d.event_name or "?",
                    d.payload_chars,
                    d.attempts,
                    f"{d.created_at:%Y-%m-%d %H:%M}",
                    d.reason[:80],
                )
                for d in letters
            ],
        )
    )
    print(f"{len(letters)} dead letter(s) {'' if args.status == 'all' else args.status}".rstrip())
    return 0


def cmd_experiments(args: argparse.Namespace, engine: Engine) -> int:
    from crm.experiments.cli import run

    return run(args, engine)


def cmd_outreach(args: argparse.Namespace, engine: Engine) -> int:
    from crm.outreach.cli import run

    return run(args, engine)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crm",
        description="Kelian's CRM store. The database is CRM_DATABASE_URL (default sqlite:///var/crm.db in the "
        "repository); personal data is encrypted with KELIAN_CRM_KEY or the key file var/crm.key.",
    )
    parser.add_argument("--database-url", help="override CRM_DATABASE_URL for this command")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "migrate",
        help="create or upgrade the schema (Alembic upgrade to head)",
        description="Apply every Alembic migration the database does not have yet.",
    )

    def demo_options(sub: argparse.ArgumentParser) -> None:
        for name, default in DEMO_DEFAULTS.items():
            sub.add_argument(
                f"--{name}", type=_positive if name != "seed" else int, default=default, help=f"default {default:,}"
            )
        sub.add_argument(
            "--as-of", type=_as_of, default=None, help="the demo's 'now' (ISO date); default today at midnight UTC"
        )
        sub.add_argument("--quiet", action="store_true", help="no progress bars")

    demo = commands.add_parser(
        "demo",
        help="fill an empty database with the deterministic bilingual demo shop",
        description="Generate the demo shop (catalogue, customers, a year of orders and interactions, support). "
        "Refuses to touch a database that already has data unless --reset is given.",
    )
    demo_options(demo)
    demo.add_argument("--reset", action="store_true", help="delete all existing CRM data first")

    segment = commands.add_parser(
        "segment",
        help="recompute RFM, segments, lifecycle, churn risk and CLV; print a summary",
        description="Score every customer: RFM quintiles, named segment, lifecycle stage, churn probability "
        "(logistic regression, ROC AUC on the held-out last 30 days) and 12-month CLV (BG/NBD x "
        "Gamma-Gamma).",
    )
    segment.add_argument("--as-of", type=_as_of, default=None, help="score as of this time (default now)")

    erase = commands.add_parser(
        "erase",
        help="erase a customer's personal data (idempotent, audited)",
        description="Delete or irreversibly anonymise a customer's personal data, identities and transcripts, "
        "keeping anonymous order aggregates; the erasure is written to the audit log.",
    )
    erase.add_argument("customer", help="customer id, channel:id (web:demo-alice, phone:13800138000) or email")
    erase.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who asks, for the audit log")

    links = commands.add_parser(
        "links",
        help="the channels a customer linked with a one-time code; --remove ID undoes one (audited)",
        description="A customer links another channel (WeChat, the shop's site) with a one-time code; they are "
        "told on every channel. When a link was not theirs, staff remove it here.",
    )
    links.add_argument("customer", help="customer id, channel:id (web:demo-alice, wechat:wx-demo-li) or email")
    links.add_argument("--remove", type=_positive, metavar="ID", help="the linked identity to remove")
    links.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who acts, for the audit log")

    stats = commands.add_parser(
        "stats",
        help="shop metrics and table sizes",
        description="Conversion, engagement, service efficiency, containment (crm.service_metrics) and "
        "repeat-purchase rates, revenue, and the row count of every table.",
    )
    stats.add_argument("--window-days", type=_positive, default=None, help="only the last N days")
    stats.add_argument("--as-of", type=_as_of, default=None, help="end of the period (default now)")

    consume = commands.add_parser(
        "consume",
        help="turn Rasa's events into transcripts, outcomes and profile updates (the feedback loop)",
        description="Read Rasa's event broker — the SQL broker's table (KELIAN_EVENTS_URL, default var/rasa-events.db) "
        "or a RabbitMQ queue (KELIAN_AMQP_URL) — and write what conversations teach into the CRM, "
        "exactly once.",
    )
    consume.add_argument("--broker", choices=("sql", "rabbitmq"), default=os.environ.get("KELIAN_EVENT_BROKER", "sql"))
    consume.add_argument(
        "--events-url", help="the SQL broker's database (default KELIAN_EVENTS_URL or var/rasa-events.db)"
    )
    consume.add_argument(
        "--amqp-url", help="RabbitMQ (default KELIAN_AMQP_URL or amqp://guest:guest@127.0.0.1:5672/%%2F)"
    )
    consume.add_argument("--queue", help="RabbitMQ queue (default KELIAN_AMQP_QUEUE or rasa_events)")
    consume.add_argument("--batch", type=_positive, default=200, help="events per transaction")
    consume.add_argument("--poll", type=float, default=1.0, help="seconds between polls when idle")
    consume.add_argument("--once", action="store_true", help="consume what is there, then exit")
    consume.add_argument("--status", action="store_true", help="print the lag and exit")

    purge = commands.add_parser(
        "purge-events",
        help="delete Rasa's plain-text copies of old conversations (broker events, trackers)",
        description="Retention of Rasa's own stores (the CRM keeps the encrypted transcripts): delete the SQL event "
        "broker's events older than --days that the feedback consumer has already committed, and the "
        "tracker store's conversations idle for more than --tracker-days. Run it daily (cron).",
    )
    purge.add_argument("--days", type=_positive, default=30, help="broker events kept (default 30)")
    purge.add_argument("--tracker-days", type=_positive, default=90, help="idle conversations kept (default 90)")
    purge.add_argument(
        "--events-url", help="the SQL broker's database (default KELIAN_EVENTS_URL or var/rasa-events.db)"
    )
    purge.add_argument(
        "--tracker-url", help="Rasa's SQL tracker store (default KELIAN_TRACKER_URL or var/rasa-tracker.db)"
    )

    letters = commands.add_parser(
        "dead-letters",
        help="events the feedback consumer set aside: list, show, replay or drop them",
        description="The consumer sets aside every event it cannot apply (malformed, oversized, refused by the "
        "CRM) so the stream moves on. List them (newest first), show one (audited), replay one after "
        "a fix (--retry) or give up on it (--drop: the payload is deleted).",
    )
    action = letters.add_mutually_exclusive_group()
    action.add_argument("--retry", type=_positive, metavar="ID", help="apply this letter again")
    action.add_argument("--drop", type=_positive, metavar="ID", help="give up on this letter")
    action.add_argument("--show", type=_positive, metavar="ID", help="print this letter's payload")
    letters.add_argument("--status", choices=("pending", "retried", "dropped", "all"), default="pending")
    letters.add_argument("--limit", type=_positive, default=100)
    letters.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who acts, for the audit log")

    ensure = commands.add_parser(
        "ensure-demo",
        help="migrate, and build and score the demo shop only if the database is empty",
        description="What `make run` and `make test` call: cheap when the database is ready.",
    )
    demo_options(ensure)

    from crm.experiments.cli import add_parser as add_experiments

    add_experiments(commands, _as_of, _positive)

    from crm.outreach.cli import add_parser as add_outreach

    add_outreach(commands, _as_of, _positive)
    return parser


COMMANDS = {
    "migrate": cmd_migrate,
    "demo": cmd_demo,
    "segment": cmd_segment,
    "erase": cmd_erase,
    "stats": cmd_stats,
    "ensure-demo": cmd_ensure_demo,
    "consume": cmd_consume,
    "dead-letters": cmd_dead_letters,
    "purge-events": cmd_purge_events,
    "experiments": cmd_experiments,
    "outreach": cmd_outreach,
    "links": cmd_links,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    engine = make_engine(args.database_url)
    try:
        return COMMANDS[args.command](args, engine)
    except CRMError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
        if args.command not in ("ensure-demo", "migrate") and time.perf_counter() - started > 5:
            print(f"done in {time.perf_counter() - started:.1f} s", file=sys.stderr)

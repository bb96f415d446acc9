"""python -m recommender train | search-params | eval-search | faq-eval | bench | evaluate

train          train from the CRM (default: the demo CRM, CRM_DATABASE_URL or var/crm.db)
               or from an interactions file, and switch var/recommender/current to it
search-params  pick hyper-parameters on a validation split; writes a TOML config
eval-search    measure product search on the labelled bilingual query set
faq-eval       measure FAQ retrieval and its confidence thresholds on held-out questions
bench          training / latency / FAISS benchmarks; table into docs/benchmarks.md
evaluate       the offline evaluation contract (see recommender.evaluate)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from recommender.settings import ConfigError, load_config
from recommender.data import DataError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _train(args: argparse.Namespace) -> int:
    from recommender import artifacts
    from recommender.catalogue import Catalogue
    from recommender.data import read_interactions
    from recommender.evaluation.product_search import load_catalogue
    from recommender.training.trainer import train

    config = load_config(args.config)
    if args.interactions:
        interactions = read_interactions(args.interactions, args.format)
        catalogue = Catalogue(load_catalogue(Path(args.products))) if args.products else None
        source = str(args.interactions)
    else:
        from recommender.crm_source import load_from_crm

        try:
            snapshot = load_from_crm(args.crm_url, config.weights)
        except ImportError as exc:
            print(f"error: the crm package is not importable ({exc}); use --interactions FILE", file=sys.stderr)
            return 2
        except Exception as exc:  # noqa: BLE001 - any database failure ends here with a clear message
            print(f"error: cannot read the CRM database: {exc}", file=sys.stderr)
            return 2
        interactions, catalogue, source = snapshot.interactions, snapshot.catalogue, snapshot.url
    if len(interactions) == 0:
        print(f"error: {source} has no interactions to train on", file=sys.stderr)
        return 2
    trained = train(interactions, catalogue, config, with_text=not args.no_text, source=source)
    path = artifacts.save(trained, args.out, keep=args.keep)
    data = trained.meta["data"]
    als = trained.meta["metrics"].get("als", {})
    pop = trained.meta["metrics"].get("popularity", {})
    print(
        f"trained {path.name}: {data['customers']} customers, {data['products']} products, "
        f"{data['interactions']} interactions in {trained.meta['train_seconds']:.1f}s; "
        f"hold-out P@10 ALS {als.get('precision', float('nan')):.3f} vs popularity "
        f"{pop.get('precision', float('nan')):.3f}; "
        f"{args.out}/current -> {path.name}"
    )
    return 0


def _search_params(args: argparse.Namespace) -> int:
    from recommender.data import read_interactions
    from recommender.training.search_params import ALS_GRID, BPR_GRID, KNN_GRID, QUICK_ALS_GRID, search, write_config

    interactions = read_interactions(args.interactions, args.format)
    grids = {"als": QUICK_ALS_GRID} if args.quick else {"als": ALS_GRID, "bpr": BPR_GRID, "item_knn": KNN_GRID}
    best, trials = search(interactions, k=args.k, seed=args.seed, base=load_config(args.config), grids=grids)
    write_config(best, args.out, trials, str(args.interactions))
    top = max((t for t in trials if t.model == "als"), key=lambda t: t.ndcg)
    print(
        f"searched {len(trials)} settings; best ALS validation nDCG@{args.k} {top.ndcg:.4f} with {top.params}; wrote "
        f"{args.out}"
    )
    return 0


def _eval_search(args: argparse.Namespace) -> int:
    from recommender.evaluation.product_search import evaluate_search, format_table, load_catalogue, load_queries

    results = evaluate_search(load_catalogue(), load_queries())
    print(json.dumps(results, ensure_ascii=False) if args.json else format_table(results))
    return 0


def _faq_eval(args: argparse.Namespace) -> int:
    from retrieval.faq_index import FaqError, load_entries
    from retrieval.faq_evaluation import evaluate, format_report, load_queries, write_markdown

    try:
        entries = load_entries(args.faq)
        queries = load_queries(Path(args.queries) if args.queries else None, {e.id for e in entries})
    except (FaqError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = evaluate(entries, queries, min_rejection=args.min_rejection)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        print(format_report(results))
    if args.markdown:
        write_markdown(format_report(results), Path(args.markdown))
    chosen = results["variants"][results["chosen_bonus"]]
    print(
        f"faq-eval: top-1 en {chosen['en']['at_threshold']['top1']:.3f} zh {chosen['zh']['at_threshold']['top1']:.3f}; "
        f"at the thresholds {chosen['all']['answered_correct']:.3f} of in-scope questions answered correctly, "
        f"{chosen['all']['rejected']:.3f} of none questions rejected; search p50 {chosen['latency_ms']['p50']:.1f} ms"
        + (f"; wrote {args.markdown}" if args.markdown else ""),
        file=sys.stderr if args.json else sys.stdout,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train and publish a new version")
    train.add_argument("--crm-url", help="CRM database URL (default: CRM_DATABASE_URL or sqlite:///var/crm.db)")
    train.add_argument("--interactions", help="train from this CSV / MovieLens file instead of the CRM")
    train.add_argument("--format", choices=("csv", "movielens"), default="csv")
    train.add_argument("--products", help="with --interactions: a products JSON file (ProductRecord fields)")
    train.add_argument(
        "--out", default=str(REPO_ROOT / "var" / "recommender"), help="artifact root (default var/recommender)"
    )
    train.add_argument("--config", help="TOML file overriding recommender/defaults.toml")
    train.add_argument("--no-text", action="store_true", help="skip the text index (no search, no content vectors)")
    train.add_argument("--keep", type=int, default=3, help="versions to keep (default 3)")

    params = commands.add_parser("search-params", help="hyper-parameter search on a validation split")
    params.add_argument("--interactions", required=True)
    params.add_argument("--format", choices=("csv", "movielens"), default="csv")
    params.add_argument("--k", type=int, default=10)
    params.add_argument("--seed", type=int, default=0)
    params.add_argument("--config", help="base TOML config")
    params.add_argument("--out", default=str(REPO_ROOT / "var" / "recommender-params.toml"))
    params.add_argument("--quick", action="store_true", help="a small ALS-only grid")

    eval_search = commands.add_parser("eval-search", help="measure product search on the labelled query set")
    eval_search.add_argument("--json", action="store_true")

    faq_eval = commands.add_parser("faq-eval", help="measure FAQ retrieval on held-out questions")
    faq_eval.add_argument(
        "--faq",
        default=str(REPO_ROOT / "data" / "knowledge" / "faq.yml"),
        help="the FAQ file (default data/knowledge/faq.yml)",
    )
    faq_eval.add_argument("--queries", help="labelled questions (default retrieval/evalsets/faq_queries.yml)")
    faq_eval.add_argument(
        "--min-rejection",
        type=float,
        default=0.85,
        help="share of none questions the threshold must reject (default 0.85)",
    )
    faq_eval.add_argument("--markdown", help="also write the tables into this markdown file (between faq-eval markers)")
    faq_eval.add_argument("--json", action="store_true")

    bench = commands.add_parser("bench", help="benchmarks; writes docs/benchmarks.md and docs/recommender-bench.png")
    bench.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    bench.add_argument("--max-interactions", type=float, default=1e7)
    bench.add_argument("--max-items", type=float, default=1e6)
    bench.add_argument("--docs", default=str(REPO_ROOT / "docs"))

    commands.add_parser("evaluate", help="offline evaluation (python -m recommender.evaluate --help)", add_help=False)

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "evaluate":
        from recommender.evaluate import main as evaluate_main

        return evaluate_main(argv[1:])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "search-params":
            return _search_params(args)
        if args.command == "eval-search":
            return _eval_search(args)
        if args.command == "faq-eval":
            return _faq_eval(args)
        if args.command == "bench":
            from recommender.evaluation.benchmarks import run

            return run(
                quick=args.quick,
                max_interactions=int(args.max_interactions),
                max_items=int(args.max_items),
                docs=Path(args.docs),
            )
    except (DataError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

"""Parse every message of some Rasa NLU YAML files with one trained model and write the predictions.

Runs in `.venv-bot` (Python 3.10, rasa) as a plain script, so it imports nothing of the services (only
`bot`, which the model names, and `bot/speedups.py`, applied as the Rasa server applies it):
`.venv-bot/bin/python devstack/nlu_predict.py --model models --out results/dev/predictions.json
FILE...`. Loading the model once and parsing in-process is several times faster than one
`rasa test nlu` per file, and it times each parse, which gives the NLU latency figures for free.
Scoring happens in devstack/nlu_dev.py (the services environment), from the JSON written here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The model names the project's own components (bot.nlu.*): the project root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def latest_model(path: Path) -> Path:
    if path.is_file():
        return path
    models = sorted(path.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"no trained model in {path}")
    return models[-1]


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file, entity annotations resolved to their text."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


async def predict(model: Path, files: list[Path]) -> dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from bot import speedups
    from kelian.refusal import EVIDENCE_KEY

    speedups.apply()  # what bot/serve.py installs: parse as the server parses
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    await agent.parse_message("warm up")
    sets: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        rows = []
        for text, gold in read_examples(path):
            start, cpu_start = time.perf_counter(), time.process_time()
            parsed = await agent.parse_message(text)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            ranking = parsed.get("intent_ranking") or []
            rows.append(
                {
                    "text": text,
                    "gold": gold,
                    "predicted": parsed["intent"]["name"],
                    "confidence": float(parsed["intent"].get("confidence") or 0.0),
                    "top": ranking[0]["name"] if ranking else None,
                    "seconds": elapsed,
                    # CPU the process spent on the parse: what it costs, whatever else the machine runs
                    # (the wall-clock time adds the waits for a core).
                    "cpu_seconds": cpu,
                    # which rule of the novelty check rejected it, if one did (the FAQ's margin depends on it)
                    EVIDENCE_KEY: parsed.get(EVIDENCE_KEY),
                }
            )
        sets[path.stem] = rows
    # Parse times mean little without the machine's load: other work on two cores multiplies them.
    return {"model": model.name, "load_average": os.getloadavg()[0], "sets": sets}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"missing evaluation files: {', '.join(missing)}", file=sys.stderr)
        return 2
    result = asyncio.run(predict(latest_model(args.model), args.files))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

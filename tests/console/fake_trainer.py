"""A stand-in for `rasa train` and for `python -m devstack nlu-dev --json`, chosen by the console's training
settings in tests so a retraining job takes a second instead of minutes.

python tests/console/fake_trainer.py train --out DIR [--copy MODEL] [--exit N] [--wait-for FILE] [--noise BYTES]
python tests/console/fake_trainer.py evaluate --model FILE --json OUT [--regression TEXT]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

MODEL_NAME = "20261207-031500-fake-candidate.tar.gz"


def train(args: argparse.Namespace) -> int:
    print("Training NLU model...", flush=True)
    if args.wait_for:
        deadline = time.monotonic() + 120
        while not Path(args.wait_for).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    if args.noise:
        sys.stdout.write("Epochs: 50%|█████     | 50/100 [00:01<00:01]\r" * (args.noise // 45 + 1))
        sys.stdout.flush()
    if args.exit:
        print("Training failed on purpose.", flush=True)
        return args.exit
    out = Path(args.out)
    target = out / (Path(args.copy).name if args.copy else MODEL_NAME)
    if args.copy:
        shutil.copyfile(args.copy, target)
    else:
        target.write_bytes(b"not really a model")
    print(f"Your Rasa model is trained and saved at '{target}'.", flush=True)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    print(f"scoring {Path(args.model).name}", flush=True)
    regressions = [args.regression] if args.regression else []
    figures = {
        "model": Path(args.model).name,
        "sets": {"en-real-dev": {"accuracy": 84.5, "macro_f1": 90.0, "in_scope_rejected": 4.1}},
        "messages": {"en-real-dev": 200},
        "regressions": regressions,
        "tolerance_points": 2.0,
    }
    Path(args.json).write_text(json.dumps(figures))
    return 1 if regressions else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("train")
    p.add_argument("--out", required=True)
    p.add_argument("--copy")
    p.add_argument("--exit", type=int, default=0)
    p.add_argument("--wait-for")
    p.add_argument("--noise", type=int, default=0)
    p.set_defaults(func=train)
    p = commands.add_parser("evaluate")
    p.add_argument("--model", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--regression")
    p.set_defaults(func=evaluate)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

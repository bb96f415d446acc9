"""`python -m devstack check-rules`: Rasa's rule contradiction check, apart from training.

The RulePolicy can check, while it trains, that no two rules or stories predict different actions
for the same conversation state. With Kelian's generated interruption rules (every form × every
digression) that check took 4 of the 7 minutes of `rasa train`, so config.yml turns it off and this
command runs it instead, from `make test-rasa` (and by hand after editing rules): it trains the
dialogue policies once with the check on, into a temporary directory, and fails as `rasa train`
would on a contradiction. It runs Rasa with bot/speedups.py installed: the check predicts every rule's
state against every rule key, and the rule-key cache there cut it from 111 s to 36 s, the rule index
to 5 s (2026-12-07).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

import yaml

from devstack.config import ROOT, StackConfig
from devstack.stack import VENV_BOT


def checking_config(config: dict) -> dict:
    """config.yml with the RulePolicy's contradiction check switched on."""
    policies = [dict(p) for p in config.get("policies") or []]
    rule_policies = [p for p in policies if p.get("name") == "RulePolicy"]
    if not rule_policies:
        raise ValueError("config.yml has no RulePolicy")
    for policy in rule_policies:
        policy["check_for_contradictions"] = True
    return {**config, "policies": policies}


def check(args: argparse.Namespace) -> int:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="kelian-rules-") as tmp:
        path = Path(tmp) / "config.yml"
        path.write_text(yaml.safe_dump(checking_config(config), allow_unicode=True), encoding="utf-8")
        print("rule contradiction check (rasa train core with check_for_contradictions)…", flush=True)
        # bot.speedups: the RulePolicy's rule-key cache makes the check three times faster (bot/speedups.py)
        return subprocess.call(
            [
                str(VENV_BOT / "python"),
                "-m",
                "bot.speedups",
                "train",
                "core",
                "--config",
                str(path),
                "--domain",
                str(ROOT / "bot" / "domain"),
                "--stories",
                str(ROOT / "data" / "rasa"),
                "--out",
                tmp,
                "--fixed-model-name",
                "rule-check",
            ],
            cwd=ROOT,
            env=StackConfig().env(),
        )


def add_commands(commands: argparse._SubParsersAction) -> None:
    commands.add_parser(
        "check-rules", help="Rasa's rule contradiction check (off in config.yml to keep training fast)"
    ).set_defaults(func=check)

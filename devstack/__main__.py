"""Developer commands behind the Makefile: `python -m devstack
setup|run|shell|web-token|nlu-report|nlu-dev|eval-nlu|near-copies|e5-bench|check-rules|bench-turns|profile`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from bot.channels.web_auth import web_secret
from devstack.config import ROOT, StackConfig, api_token, private_var_dir
from devstack.stack import Stack, StackError, VENV_BOT, latest_model


def setup(args: argparse.Namespace) -> int:
    """var/ private (devstack.config.private_var_dir), secrets, the CRM (migrated, with the demo shop when
    empty) and a recommender trained from it when none exists yet."""
    config = StackConfig()
    private_var_dir(config.var_dir)
    config.log_dir.mkdir(parents=True, exist_ok=True)
    api_token(config.var_dir)
    web_secret(var_dir=config.var_dir)
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "crm", "ensure-demo"], cwd=ROOT, env=config.env(), check=True)
    if not (config.var_dir / "recommender" / "current").exists():
        subprocess.run([python, "-m", "recommender", "train"], cwd=ROOT, env=config.env(), check=True)
    print(f"setup: local data in {config.var_dir}")
    return 0


def run(args: argparse.Namespace) -> int:
    config = StackConfig()
    if latest_model(config.models_dir) is None:
        print("No trained model in models/: run `make train` first.", file=sys.stderr)
        return 1
    stack = Stack(config, console=True)
    print("Starting the action server, the Rasa server and the staff console (loading the model takes a minute)…")
    try:
        stack.start()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    token_source = "$KELIAN_RASA_TOKEN" if os.environ.get("KELIAN_RASA_TOKEN") else config.var_dir / "rasa-token"
    print(
        f"""
Kelian is up.
  Web chat       {config.rasa_url}/webhooks/web/   (signed in: python -m devstack web-token demo-alice --url)
  WeChat         {config.rasa_url}/webhooks/wechat/webhook   (official-account webhook; README: WeChat official account)
  REST channel   POST {config.rasa_url}/webhooks/rest/webhook   {{"sender": "me", "message": "hi"}}
                 (anonymous; signed: README)
  Rasa HTTP API  {config.rasa_url}  (token in {token_source})
  Action server  {config.action_url}/health
  Staff console  {config.console_url}/   (first account: .venv/bin/python -m console create-user NAME --role admin)
  Logs           {config.log_dir}
Press Ctrl-C to stop.""",
        flush=True,
    )
    stack.wait_forever()
    return 0


def shell(args: argparse.Namespace) -> int:
    """The action server in the background and `rasa shell` in the foreground."""
    config = StackConfig()
    stack = Stack(config)
    stack._spawn("actions", stack.action_server_command())
    try:
        return subprocess.call(
            [
                str(VENV_BOT / "rasa"),
                "shell",
                "--model",
                str(config.models_dir),
                "--endpoints",
                str(ROOT / "bot" / "endpoints.yml"),
            ],
            cwd=ROOT,
            env=config.env(),
        )
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="create local data (var/) and secrets; idempotent").set_defaults(func=setup)
    commands.add_parser("run", help="start the Rasa server and the action server until Ctrl-C").set_defaults(func=run)
    commands.add_parser("shell", help="rasa shell with the action server").set_defaults(func=shell)
    from devstack import e5_bench, near_copies, nlu_eval, profile, rule_check, turn_bench, web_token

    nlu_eval.add_commands(commands)
    near_copies.add_commands(commands)
    e5_bench.add_commands(commands)
    rule_check.add_commands(commands)
    web_token.add_commands(commands)
    profile.add_commands(commands)
    bench = commands.add_parser(
        "bench-turns", help="latency of conversation turns over REST (see devstack/turn_bench.py)"
    )
    turn_bench.add_arguments(bench)
    bench.set_defaults(func=turn_bench.run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

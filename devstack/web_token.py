"""`python -m devstack web-token USER_ID [--minutes 60]`: the token the shop's site gives the web chat
page of a signed-in user (what the shop's server does, for development, the README and the tests).
Signed with $KELIAN_WEB_SECRET, else var/web-secret — the key the Rasa server checks with unless
credentials.yml sets a `secret` of its own."""

from __future__ import annotations

import argparse
import sys

from bot.channels.web_auth import issue_user_token, web_secret
from devstack.config import StackConfig


def web_token(args: argparse.Namespace) -> int:
    config = StackConfig()
    try:
        token = issue_user_token(args.user_id, web_secret(var_dir=config.var_dir), minutes=args.minutes)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(token)
    if args.url:
        print(f"{config.rasa_url}/webhooks/web/?token={token}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("web-token", help="print a signed token for the web chat page of a shop user")
    p.add_argument("user_id", help="the shop's user id, e.g. demo-alice")
    p.add_argument("--minutes", type=float, default=60, help="validity (default 60)")
    p.add_argument("--url", action="store_true", help="also print the chat page's URL with the token")
    p.set_defaults(func=web_token)

"""`python -m console`: serve the staff console, create accounts, export NLU corrections.

python -m console serve [--port 8085] [--host 127.0.0.1]
python -m console create-user mei --role agent          # asks for the password twice
echo "$PASSWORD" | python -m console create-user ops --role admin --password-stdin
python -m console export-corrections [--out data/rasa/nlu]
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from crm.db import session_factory, transaction
from crm.errors import CRMError
from crm.models import StaffRole

from console.config import ROOT, ConsoleConfig


def cmd_serve(args: argparse.Namespace, config: ConsoleConfig) -> int:
    from console.app import ConsoleError, serve

    overrides = {"host": args.host, "port": args.port, "rasa_url": args.rasa_url}
    if args.insecure_cookies:
        overrides["secure_cookies"] = False
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(config)
    except ConsoleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CRMError("the two passwords differ; nothing was created")
    return first


def _crm(config: ConsoleConfig) -> sessionmaker[Session]:
    from crm.migrate import is_up_to_date

    factory = session_factory(config.database_url)
    if not is_up_to_date(factory.kw["bind"]):
        raise CRMError("the CRM database is not migrated to the current schema: run `python -m crm migrate`")
    return factory


def cmd_create_user(args: argparse.Namespace, config: ConsoleConfig) -> int:
    from console.accounts import create_user

    factory = _crm(config)
    password = _read_password(args)
    with transaction(factory) as session:
        user = create_user(
            session, args.username, password, args.role, language=args.language, actor=f"cli:{getpass.getuser()}"
        )
    print(f"created console user {user.username} ({user.role.value}, pages in {user.language.value})")
    return 0


def cmd_export(args: argparse.Namespace, config: ConsoleConfig) -> int:
    from console.corrections import write_exports

    with transaction(_crm(config)) as session:
        written = write_exports(session, Path(args.out), config.nlu_dir)
    for path, result in written:
        print(f"{path}: {result.examples} examples" + (f", {len(result.skipped)} left out" if result.skipped else ""))
        for skipped in result.skipped:
            print(f"  left out correction {skipped.correction_id} ({skipped.intent}): {skipped.reason}")
    if not written:
        print("no corrections to export")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console", description="Kelian's staff console.")
    parser.add_argument("--database-url", help="the CRM database (default: CRM_DATABASE_URL, else var/crm.db)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the console's web server")
    serve.add_argument("--port", type=int, help="default KELIAN_CONSOLE_PORT, else 8085")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--rasa-url", help="the Rasa server (default KELIAN_RASA_URL, else http://127.0.0.1:5005)")
    serve.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="cookies without Secure, for plain-http development on another host than localhost",
    )
    serve.set_defaults(func=cmd_serve)

    create = commands.add_parser("create-user", help="create a console account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    create.add_argument(
        "--language",
        default="zh",
        choices=["zh", "en"],
        help="the language of the account's console pages (default zh; the user can switch it)",
    )
    create.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    create.set_defaults(func=cmd_create_user)

    export = commands.add_parser(
        "export-corrections", help="write the NLU corrections as Rasa training data, one file per language"
    )
    export.add_argument(
        "--out",
        default=str(ROOT / "data" / "rasa" / "nlu"),
        help="folder of <lang>/corrections.yml (default data/rasa/nlu)",
    )
    export.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = ConsoleConfig(database_url=args.database_url)
    try:
        return args.func(args, config)
    except CRMError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

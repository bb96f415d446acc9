"""Plays multi-turn conversation scripts (tests/dialogue/*.yml) against a running stack over the REST
channel and prints the share of conversations that end as they should.

A script is a list of conversations; each turn says something and states what the bot's answer to
it must contain (`expect`: every item must be found; "a|b" means either) and must not contain
(`reject`), case-insensitively; `silent: true` means no answer at all (a conversation handed to a
person). A conversation passes when every one of its turns does. `customer` is `anonymous` (a new
visitor) or a demo customer's shop user id (`demo-alice`, `demo-li`): that customer signed in, with
a fresh REST identity linked to them in the stack's CRM.

    python -m devstack.eval_dialogue                  # the stack of `make run` (KELIAN_RASA_PORT…)
    python -m devstack.eval_dialogue --start          # a stack of its own per script, each on a fresh demo CRM
    python -m devstack.eval_dialogue --only track -v  # conversations whose name contains "track"
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import requests
import yaml
from tqdm import tqdm

from devstack.config import ROOT, StackConfig, free_port
from devstack.stack import Stack, StackError

if TYPE_CHECKING:  # the CRM is imported only when a script needs a demo customer
    from sqlalchemy.orm import Session, sessionmaker

SCRIPTS = ROOT / "tests" / "dialogue"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Turn:
    say: str
    expect: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    silent: bool = False

    def problem(self, answer: list[dict]) -> str | None:
        """What is wrong with the bot's answer to this turn, or None."""
        text = "\n".join(str(m.get("text") or "") for m in answer)
        buttons = " ".join(f"{b.get('title')} {b.get('payload')}" for m in answer for b in m.get("buttons") or [])
        seen = f"{text}\n{buttons}".lower()
        if self.silent:
            return None if not answer else f"expected no answer, got {text[:120]!r}"
        if not answer:
            return "no answer"
        for wanted in self.expect:
            if not any(option.strip().lower() in seen for option in wanted.split("|")):
                return f"missing {wanted!r} in {text[:160]!r}"
        for unwanted in self.reject:
            if unwanted.lower() in seen:
                return f"unwanted {unwanted!r} in {text[:160]!r}"
        return None


@dataclass(frozen=True)
class Conversation:
    name: str
    customer: str
    turns: tuple[Turn, ...]
    source: str = ""


@dataclass
class Outcome:
    conversation: Conversation
    failed_turn: int | None = None  # 1-based
    problem: str | None = None
    transcript: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.problem is None


class ScriptError(ValueError):
    """A script file that is not what this module reads; the message names the file and the entry."""


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) and item for item in items):
        raise ScriptError(f"{where}: expect/reject are strings or lists of strings")
    return tuple(items)


def load(paths: list[Path]) -> list[Conversation]:
    conversations: list[Conversation] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = data.get("conversations") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ScriptError(f"{path}: a top-level `conversations:` list is required")
        for index, entry in enumerate(entries, 1):
            where = f"{path.name} #{index}"
            if not isinstance(entry, dict) or not entry.get("name") or not isinstance(entry.get("turns"), list):
                raise ScriptError(f"{where}: every conversation needs a name and a list of turns")
            turns = []
            for turn in entry["turns"]:
                if not isinstance(turn, dict) or not isinstance(turn.get("say"), str):
                    raise ScriptError(f"{where} ({entry['name']}): every turn needs `say`")
                if not (turn.get("expect") or turn.get("reject") or turn.get("silent")):
                    raise ScriptError(f"{where} ({entry['name']}): turn {turn['say']!r} checks nothing")
                turns.append(
                    Turn(
                        turn["say"],
                        _strings(turn.get("expect"), where),
                        _strings(turn.get("reject"), where),
                        bool(turn.get("silent")),
                    )
                )
            conversations.append(
                Conversation(str(entry["name"]), str(entry.get("customer") or ANONYMOUS), tuple(turns), _source(path))
            )
    return conversations


def _source(path: Path) -> str:
    """How a script is named in the report: its path under tests/dialogue ("blind/en.yml"), else its name."""
    try:
        return path.resolve().relative_to(SCRIPTS.resolve()).as_posix()
    except ValueError:
        return path.name


def script_files(folder: Path) -> list[Path]:
    """The scripts of `folder` and its sub-folders: the team's own, and the blind set of `blind/` (written
    by someone who read neither the training data nor the team's scripts), each reported on its own."""
    return sorted(folder.rglob("*.yml"))


def play(conversation: Conversation, say: Callable[[str], list[dict]]) -> Outcome:
    """Plays the turns in order and stops at the first one whose answer is wrong."""
    outcome = Outcome(conversation)
    for number, turn in enumerate(conversation.turns, 1):
        answer = say(turn.say)
        outcome.transcript.append(f"  customer: {turn.say}")
        outcome.transcript += [f"  bot: {' '.join(str(m.get('text') or '').split())[:200]}" for m in answer]
        problem = turn.problem(answer)
        if problem:
            outcome.failed_turn, outcome.problem = number, problem
            break
    return outcome


class Customers:
    """Conversation ids for the scripts' customers: a new anonymous visitor, or a fresh REST identity of a
    demo customer in the stack's CRM, signed in (what `tests/e2e/conftest.py` does)."""

    def __init__(self, stack: Stack, crm_url: str | None) -> None:
        self.stack = stack
        self.crm_url = crm_url
        self._crm: sessionmaker[Session] | None = None

    def new(self, who: str) -> str:
        sender = f"dialogue-{uuid.uuid4().hex[:12]}"
        if who == ANONYMOUS:
            return sender
        from crm.db import run_transaction, session_factory
        from crm.repository import add_identity, find_customer

        if self._crm is None:
            self._crm = session_factory(self.crm_url)

        def link(session: Session) -> None:
            customer = find_customer(session, "rest", who)
            if customer is None:
                raise ScriptError(f"no demo customer {who!r} in the CRM")
            add_identity(session, customer.id, "rest", sender)

        run_transaction(self._crm, link)
        return self.stack.sign_in(sender)


def evaluate(
    stack: Stack, conversations: list[Conversation], crm_url: str | None, progress: bool = True
) -> list[Outcome]:
    customers = Customers(stack, crm_url)
    outcomes = []
    for conversation in tqdm(conversations, desc="conversations", unit="conv", disable=not progress):
        sender = customers.new(conversation.customer)
        outcomes.append(play(conversation, lambda text: stack.say(sender, text)))
    return outcomes


@contextmanager
def own_stack() -> Iterator[tuple[Stack, str]]:
    """A stack on free ports with a fresh demo CRM in a temporary folder (as the end-to-end tests run)."""
    with tempfile.TemporaryDirectory(prefix="kelian-dialogue-") as folder:
        var = Path(folder)
        crm_url = f"sqlite:///{var / 'crm.db'}"
        subprocess.run(
            [sys.executable, "-m", "crm", "--database-url", crm_url, "ensure-demo", "--quiet"],
            cwd=ROOT,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        config = StackConfig(
            rasa_port=free_port(),
            action_port=free_port(),
            console_port=free_port(),
            var_dir=var / "var",
            extra_env={"CRM_DATABASE_URL": crm_url},
        )
        with Stack(config) as stack:
            yield stack, crm_url


def report(outcomes: list[Outcome], verbose: bool) -> str:
    lines = []
    for outcome in outcomes:
        if outcome.passed and not verbose:
            continue
        mark = "ok  " if outcome.passed else "FAIL"
        lines.append(f"{mark} {outcome.conversation.source}: {outcome.conversation.name}")
        if not outcome.passed:
            lines.append(f"     turn {outcome.failed_turn}: {outcome.problem}")
            lines += outcome.transcript
    sources = sorted({o.conversation.source for o in outcomes})
    if len(sources) > 1:
        for source in sources:
            mine = [o for o in outcomes if o.conversation.source == source]
            lines.append(f"  {source}: {sum(o.passed for o in mine)}/{len(mine)}")
    passed = sum(o.passed for o in outcomes)
    share = 100.0 * passed / len(outcomes) if outcomes else 0.0
    lines.append(f"eval-dialogue: {passed}/{len(outcomes)} conversations end as they should ({share:.1f} %)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.eval_dialogue", description=__doc__.split("\n\n")[0])
    parser.add_argument("scripts", nargs="*", type=Path, help=f"script files (default: every .yml under {SCRIPTS})")
    parser.add_argument(
        "--start", action="store_true", help="start a stack of its own on a fresh demo CRM for each script"
    )
    parser.add_argument("--only", default="", help="only conversations whose name contains this")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the conversations that passed too")
    args = parser.parse_args(argv)
    try:
        conversations = load(args.scripts or script_files(SCRIPTS))
    except (ScriptError, yaml.YAMLError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    conversations = [c for c in conversations if args.only.lower() in c.name.lower()]
    if not conversations:
        print("error: no conversation to play", file=sys.stderr)
        return 2
    try:
        if args.start:
            # each script on a fresh demo CRM: a script that cancels an order must not change what the next finds
            outcomes = []
            for source in dict.fromkeys(c.source for c in conversations):
                with own_stack() as (stack, crm_url):
                    outcomes += evaluate(stack, [c for c in conversations if c.source == source], crm_url)
        else:
            stack = Stack(StackConfig())
            try:
                requests.get(f"{stack.config.rasa_url}/", timeout=5).raise_for_status()
            except requests.RequestException:
                print(
                    f"error: no Rasa server answers at {stack.config.rasa_url}: start one with `make run` "
                    "(or use --start)",
                    file=sys.stderr,
                )
                return 1
            outcomes = evaluate(stack, conversations, None)
    except (StackError, ScriptError, requests.RequestException) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(report(outcomes, args.verbose))
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

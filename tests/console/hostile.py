"""A console over a demo CRM that also holds hostile customer text (script tags, attribute breakers,
`javascript:` URLs, matplotlib's `$…$` mathtext, link codes in bot replies) in every place a customer or the
bot can put text: names, address fields, messages, NLU entities and intents, hand-off reasons and summaries,
corrections, interests, and the live Rasa tracker. Shared by the console's security tests
(tests/security/test_console*.py); import the fixtures into the test module to use them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import Address, CustomerInterest, Language, NluCorrection, StaffRole
from crm.privacy import utcnow
from crm.repository import create_customer, open_conversation, record_message, request_handoff
from crm.repository.dead_letters import record_dead_letter
from tests.console.conftest import PASSWORD, new_user
from tests.console.fake_rasa import FakeRasa
from tests.console.test_web import CSRF, Staff, client, console_config, rasa  # noqa: F401 - fixtures, used from here

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
SINGLE = "'><svg onload=alert(1)>"
JS_URL = "javascript:alert(1)"
MATH = "$\\undefinedcommand{x}$"  # matplotlib parses $…$ as mathtext unless told not to
HOSTILE = f"{SCRIPT} {ATTRIBUTE} {SINGLE} {JS_URL} {MATH}"
# What must never reach a page unescaped: an element or an attribute the browser would run.
UNESCAPED = re.compile(r"<script>alert|<img src=x|<svg onload|(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)
PAYLOAD_MARK = "payload-only-words"  # in a dead letter's payload, which no page shows
LINK_CODE = "563102"
BOT_CODE_EN = (
    f"Your linking code is {LINK_CODE} (valid for 10 minutes; don't share it). On our WeChat official "
    'account, say "link my account" and send this code.'
)
BOT_CODE_ZH = (
    f"您的绑定验证码是 {LINK_CODE}(10 分钟内有效,请勿告诉他人)。请在微信公众号回复“绑定账号”,然后发送这个验证码。"
)


@dataclass(frozen=True)
class HostileCase:
    customer_id: int
    conversation_id: int
    message_id: int
    handoff_id: int
    sender: str
    dead_letter_id: int


def add_hostile_case(factory: sessionmaker[Session]) -> HostileCase:
    """One customer whose every free-text field is hostile, with a conversation, a waiting hand-off and a
    correction."""
    word = uuid.uuid4().hex[:8]
    sender = f"hostile-{word}"

    def make(session: Session) -> HostileCase:
        customer = create_customer(
            session,
            name=f"Mallory {SCRIPT}",
            language=Language.EN,
            identities=[("rest", sender)],
            personalization_consent=True,
        )
        region = session.scalar(select(Address.region_code).limit(1))
        session.add(
            Address(
                customer_id=customer.id,
                recipient=ATTRIBUTE,
                phone="13800138000",
                street=HOSTILE,
                city=SINGLE[:60],
                region_code=region,
                postcode="<b>1",
                is_default=True,
            )
        )
        session.add(CustomerInterest(customer_id=customer.id, tag=SCRIPT, weight=2.0, updated_at=utcnow()))
        conversation = open_conversation(session, "rest", sender, customer_id=customer.id, language="en")
        message = record_message(
            session,
            conversation,
            "customer",
            f"hostile {word} {HOSTILE}",
            intent=SCRIPT,
            confidence=0.3,
            entities=[{"entity": ATTRIBUTE, "value": SCRIPT}, {"entity": "product", "value": f"x{ATTRIBUTE}"}],
        )
        record_message(session, conversation, "customer", MATH, intent=MATH, confidence=0.2)
        record_message(session, conversation, "bot", BOT_CODE_EN)
        record_message(session, conversation, "bot", BOT_CODE_ZH)
        record_message(session, conversation, "bot", f"echo {HOSTILE}")
        handoff = request_handoff(
            session,
            conversation,
            reason=SCRIPT,
            summary=f"customer: {HOSTILE}\n{BOT_CODE_EN}",
            priority=0,
            sender_id=sender,
        )
        now = utcnow()
        session.add(
            NluCorrection(
                message_id=message,
                text=HOSTILE,
                language=Language.EN,
                predicted_intent=SCRIPT,
                intent=ATTRIBUTE[:64],
                entities=[{"entity": SINGLE, "value": SCRIPT, "start": 0, "end": 1}],
                author="someone",
                created_at=now,
                updated_at=now - timedelta(seconds=1),
            )
        )
        letter = record_dead_letter(
            session,
            source=f"rasa-{word}",
            payload=f'{{"text": "{HOSTILE} {PAYLOAD_MARK}"}}',
            reason=f"unexpected text {HOSTILE} from 13800138000",
            reference=ATTRIBUTE,
            event_name=SCRIPT,
        )
        assert letter is not None
        return HostileCase(customer.id, conversation, message, handoff, sender, letter)

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    return run_transaction(factory, make)


def hostile_tracker(rasa: FakeRasa, sender: str) -> None:
    """The live exchange Rasa holds for the sender: hostile customer text and a bot reply with a link code."""
    rasa.events[sender] = [
        {"event": "user", "text": HOSTILE, "timestamp": 1767000000.0, "parse_data": {"intent": {"name": SCRIPT}}},
        {"event": "action", "name": "action_link_account", "timestamp": 1767000001.0},
        {"event": "bot", "text": BOT_CODE_ZH, "timestamp": 1767000002.0},
    ]


async def sign_in(client: TestClient, demo: sessionmaker[Session], role: StaffRole | str = "agent") -> Staff:
    """A new account of the role, signed in, with the CSRF token of its session."""
    staff = Staff(client)
    response = await staff.login(new_user(demo, role))
    assert response.status == 303, await response.text()
    await staff.page("/inbox")
    assert staff.csrf
    return staff


__all__ = [
    "ATTRIBUTE",
    "BOT_CODE_EN",
    "BOT_CODE_ZH",
    "CSRF",
    "HOSTILE",
    "JS_URL",
    "LINK_CODE",
    "MATH",
    "PASSWORD",
    "PAYLOAD_MARK",
    "SCRIPT",
    "SINGLE",
    "UNESCAPED",
    "HostileCase",
    "Staff",
    "add_hostile_case",
    "client",
    "hostile_tracker",
    "rasa",
    "sign_in",
]


def _repository_files() -> dict[Path, float]:
    """The files the running assistant reads that a console may write: the models the Rasa server loads and
    the NLU data `make train` reads (corrections are exported there, candidates activated here)."""
    root = Path(__file__).resolve().parents[2]
    folders = (root / "models", root / "data" / "rasa" / "nlu")
    return {path: path.stat().st_mtime for folder in folders for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(autouse=True)
def repository_untouched() -> Iterator[None]:
    """Posting to every route (retrain and activate included) writes nothing into the repository's models/
    or NLU data: a test's console works in the test's own folders (tests/console/test_web.py console_config)."""
    before = _repository_files()
    yield
    assert _repository_files() == before

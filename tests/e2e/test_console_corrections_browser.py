"""The correction form in headless Chromium, in Chinese and in English: a reviewer changes only the intent of
a message whose extracted entities no longer fit (a masked e-mail, a synonym's value, a type the domain does
not have) and saves — the correction is saved (it was refused before, by its own pre-filled entities); an
edited example saves too, and the page names the entity it left out, in the reader's language."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import NluCorrection, StaffRole
from crm.repository import find_customer, open_conversation, record_message
from tests.console.conftest import PASSWORD, demo, demo_engine, new_user  # noqa: F401 - fixtures
from tests.e2e.test_console_browser import ConsoleThread, Watch
from tests.e2e.test_queue_browser import sign_in

pytestmark = pytest.mark.e2e

TEXT = "is order KL20251107 the 苹果手机? mail alice@example.com"
EXTRACTED: list[dict[str, Any]] = [
    {"entity": "order_id", "value": "KL20251107", "start": 9, "end": 19},
    {"entity": "product", "value": "iPhone 15"},  # a synonym's value: not the customer's words
    {"entity": "number", "value": "2"},  # not a type of the domain
    {"entity": "email", "value": "alice@example.com", "start": 37, "end": 54},  # masked on the page
]


@pytest.fixture
def console(demo_engine: Engine, tmp_path: Path) -> Iterator[ConsoleThread]:  # noqa: F811
    with ConsoleThread(demo_engine, tmp_path) as running:
        yield running


def a_message(demo: sessionmaker[Session]) -> tuple[int, int]:  # noqa: F811
    sender = f"fix-{uuid.uuid4().hex[:8]}"

    def make(session: Session) -> tuple[int, int]:
        alice = find_customer(session, "rest", "demo-alice")
        conversation = open_conversation(session, "rest", sender, customer_id=alice.id, language="en")
        message = record_message(
            session, conversation, "customer", TEXT, intent="greet", confidence=0.3, entities=EXTRACTED
        )
        return conversation, message

    # run_transaction: it reads, then writes, while the console's thread may write too (SQLite's "locked")
    return run_transaction(demo, make)


def correction(demo: sessionmaker[Session], message: int) -> NluCorrection:  # noqa: F811
    with demo() as session:
        return session.scalars(select(NluCorrection).where(NluCorrection.message_id == message)).one()


@pytest.mark.parametrize(
    ("language", "not_prefilled", "saved_without"),
    [
        ("zh", "以下实体与本条消息不符,未预先填入:", "以下实体未纳入其中:"),
        ("en", "Not pre-filled, they do not fit this message:", "These entities were left out of it:"),
    ],
)
def test_changing_only_the_intent_saves_and_an_edited_example_says_what_it_left_out(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
    not_prefilled: str,
    saved_without: str,
) -> None:
    conversation, message = a_message(demo)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, console.url, new_user(demo, StaffRole.AGENT, language=language))
    page.goto(f"{console.url}/conversations/{conversation}")
    item = page.locator(f"#m{message}")
    item.locator("details.correct summary").click()
    form = item.locator("form.correction")
    assert not_prefilled in form.inner_text() and "iPhone 15" in form.inner_text()
    assert form.locator("input[name=entity_value_0]").input_value() == "KL20251107"
    assert form.locator("input[name=entity_value_1]").input_value() == ""  # masked: named by its place only
    assert form.locator("input[name=entity_value_1]").get_attribute("placeholder") == "a***@example.com"
    assert "alice@example.com" not in page.content()
    form.locator("select[name=intent]").select_option("track_order")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{console.url}/conversations/{conversation}?fixed={message}#m{message}")
    saved = correction(demo, message)
    assert saved.intent == "track_order"
    assert [(e["entity"], e["value"]) for e in saved.entities] == [
        ("order_id", "KL20251107"),
        ("email", "alice@example.com"),
    ]

    item = page.locator(f"#m{message}")
    form = item.locator("form.correction")
    form.locator("input[name=text]").fill("is my order gone? mail alice@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".saved-without")
    assert page.locator("p.notice").inner_text() == {"zh": "纠错已保存。", "en": "Correction saved."}[language]
    notice = page.locator(".saved-without").inner_text()
    assert saved_without in notice and "KL20251107" in notice
    saved = correction(demo, message)
    assert saved.text == "is my order gone? mail alice@example.com"
    assert [(e["entity"], e["value"]) for e in saved.entities] == [("email", "alice@example.com")]
    watch.assert_clean(f"the correction form in {language}")
    context.close()

"""The agent workspace in headless Chromium, in both UI languages (#16 item 2): an agent takes a hand-off, types
"/" and a shortcut in the reply box, the quick reply with the customer's name is inserted (filled by the
server, put in as text) and sent through Rasa; the agent adds an internal note (which goes nowhere near Rasa)
and a tag, and the inbox filtered by that tag shows the conversation. No page breaks its CSP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kelian.agent_voice import decode

from crm.db import run_transaction
from crm.models import Customer, StaffRole
from crm.repository import find_customer, open_conversation, record_message, request_handoff
from tests.console.conftest import PASSWORD, demo, demo_engine, new_user  # noqa: F401 - fixtures
from tests.console.test_web import staff_id
from tests.e2e.test_console_browser import ConsoleThread, Watch

pytestmark = pytest.mark.e2e

WORDS = {
    "zh": {"quick": "快捷回复", "note_heading": "对话内部备注", "filtered": "仅显示带有标签"},
    "en": {"quick": "Quick replies", "note_heading": "Internal notes on this conversation", "filtered": "Only"},
}


@pytest.fixture
def console(demo_engine: Engine, tmp_path: Path) -> Iterator[ConsoleThread]:  # noqa: F811
    with ConsoleThread(demo_engine, tmp_path) as running:
        yield running


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_agent_answers_with_a_quick_reply_notes_and_tags_the_conversation(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
) -> None:
    sender = f"ws-{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> tuple[str, int]:
        li = find_customer(session, "rest", "demo-li")
        assert li is not None
        name = session.get_one(Customer, li.id).name
        assert name is not None
        conversation = open_conversation(session, "rest", sender, customer_id=li.id, language="zh")
        record_message(session, conversation, "customer", "我要找人工客服", intent="contact_human_agent")
        handoff = request_handoff(session, conversation, reason="customer asked", sender_id=sender, priority=90)
        return name, handoff

    # run_transaction: it reads, then writes, while the console's thread may write too (SQLite's "locked")
    name, handoff = run_transaction(demo, setup)
    console.rasa.events[sender] = [
        {"event": "session_started"},
        {"event": "user", "text": "我要找人工客服", "timestamp": 1767000000.0},
        {"event": "pause"},
    ]
    agent = new_user(demo, StaffRole.AGENT, language=language)
    words = WORDS[language]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{console.url}/login")
    page.fill("input[name=username]", agent)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.url}/inbox")
    page.click(f'#waiting tr[data-handoff="{handoff}"] button[type=submit]')
    page.wait_for_url(f"{console.url}/handoffs/{handoff}")
    assert words["quick"] in page.locator("#quick-replies summary").inner_text()
    assert name not in page.content()  # the page is masked; the name comes only with the filled reply

    box = page.locator("#reply-text")
    box.click()
    box.type("/hel")
    option = page.locator('#quick-reply-menu li[data-shortcut="hello"]')
    option.wait_for()
    assert option.get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_function(
        "name => document.querySelector('#reply-text').value.startsWith(name)", arg=name, timeout=10_000
    )
    typed = box.input_value()
    assert typed.startswith(f"{name}您好，我是客服{staff_id(demo, agent)}号") and agent not in typed
    assert "/hel" not in typed and "{" not in typed
    page.click("#reply button[type=submit]")
    page.wait_for_url(f"{console.url}/handoffs/{handoff}#reply")
    said = [
        decode(event["value"])
        for kind, who, _, body in console.rasa.requests
        if who == sender and kind == "events"
        for event in body
        if event.get("name") == "agent_message"
    ]
    assert typed in [saying.text for saying in said if saying is not None]  # what action_agent_message says

    note = f"客户晚上才方便接电话 {uuid.uuid4().hex[:4]}"
    page.fill("#note-conversation", note)
    page.click("form:has(#note-conversation) button[type=submit]")
    page.wait_for_url(f"{console.url}/handoffs/{handoff}#workspace")
    notes = page.locator('ol[data-notes="conversation"]')
    assert note in notes.inner_text() and agent in notes.inner_text()
    assert words["note_heading"] in page.locator("#workspace").inner_text()
    asked = [str(body) for _, who, _, body in console.rasa.requests if who == sender]
    assert not any(note in body for body in asked)  # the note never went to Rasa

    tag = f"加急{uuid.uuid4().hex[:4]}"
    page.fill("#tag-conversation", tag)
    page.click("form:has(#tag-conversation) button[type=submit]")
    page.wait_for_url(f"{console.url}/handoffs/{handoff}#workspace")
    assert tag in page.locator('ul[data-tags="conversation"]').inner_text()
    watch.assert_clean(f"hand-off workspace ({language})")

    page.goto(f"{console.url}/inbox")
    page.fill("#inbox-tag", tag)
    page.click("#tag-filter button[type=submit]")
    page.wait_for_url(re.compile(r"/inbox\?tag="))
    assert words["filtered"] in page.locator("p.notice").inner_text()
    rows = page.locator("#serving tr[data-handoff]")
    assert rows.count() == 1 and rows.first.get_attribute("data-handoff") == str(handoff)
    assert tag in rows.first.inner_text()
    watch.assert_clean(f"inbox filtered by tag ({language})")
    context.close()

"""Queue operations in headless Chromium (#16 item 3), in both UI languages: an agent sets their presence
in the header; a supervisor has the inbox open when a request arrives, sees it appear without reloading
(marked new), sees the agent's presence on the board and assigns the request to the agent; the agent's
"mine" shows it. No script error and no CSP violation on the way."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import StaffRole
from crm.repository import open_conversation, record_message, request_handoff
from console.accounts import create_user
from tests.console.conftest import PASSWORD, demo, demo_engine  # noqa: F401 - fixtures
from tests.e2e.test_console_browser import ConsoleThread, Watch, console  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

WORDS = {
    "en": {"away": "Away", "mine": "Mine", "assign": "Assign", "heading": "Hand-off inbox"},
    "zh": {"away": "离开", "mine": "我的", "assign": "分配", "heading": "转人工收件箱"},
}


def sign_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/inbox")


@pytest.fixture(params=["en", "zh"])
def accounts(request: pytest.FixtureRequest, demo: sessionmaker[Session]) -> tuple[str, str, str]:  # noqa: F811
    """(language, agent, supervisor), made before the console starts."""
    language, tag = request.param, uuid.uuid4().hex[:6]
    agent, boss = f"mei-{tag}", f"lead-{tag}"

    def make(session: Session) -> None:
        create_user(session, agent, PASSWORD, StaffRole.AGENT, language=language)
        create_user(session, boss, PASSWORD, StaffRole.SUPERVISOR, language=language)

    run_transaction(demo, make)
    return language, agent, boss


def test_a_new_request_appears_a_supervisor_assigns_it_and_it_is_the_agents(
    accounts: tuple[str, str, str],
    console: ConsoleThread,  # noqa: F811
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
) -> None:
    language, agent, boss = accounts
    words = WORDS[language]
    tag = agent.removeprefix("mei-")
    locale = "zh-CN" if language == "zh" else "en-US"

    agent_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    agent_page = agent_context.new_page()
    agent_watch = Watch(agent_page)
    sign_in(agent_page, console.url, agent)
    agent_page.select_option("#presence-status", "away")  # away: round-robin passes them by
    agent_page.click("#presence button[type=submit]")
    agent_page.wait_for_url(f"{console.url}/inbox")
    expect(agent_page.locator("#presence-status")).to_have_value("away")  # the heartbeat's answer

    boss_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = boss_context.new_page()
    watch = Watch(page)
    sign_in(page, console.url, boss)
    assert page.locator("h1").inner_text() == words["heading"]
    assert page.locator(f'#agents tr[data-agent="{agent}"] td.status').inner_text() == words["away"]

    sender = f"queue-{tag}"

    def ask(session: Session) -> int:  # a customer asks for a person while the inbox is open
        conversation = open_conversation(session, "web", sender, language=language)
        record_message(session, conversation, "customer", "人工", intent="contact_human_agent", confidence=0.99)
        return request_handoff(session, conversation, reason="customer asked", sender_id=sender, priority=90)

    handoff = run_transaction(demo, ask)
    row = f'#waiting tr[data-handoff="{handoff}"]'
    page.wait_for_selector(f"{row}.new-request", timeout=20_000)  # no reload: the inbox's refresh brought it
    watch.assert_clean("inbox refresh")

    page.select_option(f"{row} form.assign select", agent)
    page.click(f"{row} form.assign button")
    page.wait_for_url(f"{console.url}/inbox?view=all")
    assert page.locator(f"{row} td.routed").inner_text().startswith(agent)
    watch.assert_clean("assigned")

    agent_page.click("#view-mine")
    agent_page.wait_for_url(f"{console.url}/inbox?view=mine")
    assert agent_page.locator("#view-mine").inner_text() == words["mine"]
    assert agent_page.locator(row).count() == 1
    agent_watch.assert_clean("mine")
    agent_context.close()
    boss_context.close()

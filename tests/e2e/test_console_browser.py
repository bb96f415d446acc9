"""The console in headless Chromium with hostile customer text everywhere (issues #11 and #18): no script
the text carries runs (no dialog opens), no page breaks the Content-Security-Policy (no violation is
reported, no script error), including the parts the browser builds itself — the inbox refreshed through
`innerHTML` from its fragment, and the live exchange polled as JSON."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Dialog, Page
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import StaffRole
from crm.repository import open_conversation, record_message, request_handoff
from console.accounts import create_user
from console.app import make_app
from devstack.config import free_port
from tests.console.conftest import PASSWORD, demo, demo_engine, new_user  # noqa: F401 - fixtures
from tests.console.fake_rasa import FakeRasa
from tests.console.hostile import HostileCase, add_hostile_case, hostile_tracker
from tests.console.test_web import console_config

pytestmark = pytest.mark.e2e


class ConsoleThread:
    """The real console application and a stand-in Rasa server on their own event loop, so the synchronous
    Playwright API can drive a browser against them from the test's thread."""

    def __init__(self, engine: Engine, var_dir: Path) -> None:
        self.engine, self.var_dir, self.port = engine, var_dir, free_port()
        self.rasa = FakeRasa()
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        await self.rasa.server.start_server()
        app = make_app(console_config(self.engine, self.var_dir, self.rasa.url))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
        await self.rasa.server.close()

    def __enter__(self) -> "ConsoleThread":
        self._thread.start()
        assert self._ready.wait(60), "the console did not start"
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


@pytest.fixture
def console(demo_engine: Engine, tmp_path: Path) -> Iterator[ConsoleThread]:  # noqa: F811
    with ConsoleThread(demo_engine, tmp_path) as running:
        yield running


class Watch:
    """What must not happen on a page: a dialog (a script from the data ran), a CSP violation, a script error."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dismiss)
        page.on(
            "console",
            lambda message: (
                self.violations.append(message.text)
                if "Content Security Policy" in message.text or "Refused to" in message.text
                else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self, where: str) -> None:
        assert (self.dialogs, self.violations, self.errors) == ([], [], []), where


def test_hostile_text_runs_nowhere_and_the_pages_keep_the_csp(
    console: ConsoleThread,
    browser: Browser,  # noqa: F811
    demo: sessionmaker[Session],
) -> None:  # noqa: F811
    """Every page an admin can open, masked and revealed, with the inbox's refresh and the live exchange's
    polling given time to run.

    Passed before this change too: the templates were already autoescaped and console.js uses textContent;
    this guards what the HTML-level tests cannot see (the browser's own parsing and the CSP in force)."""
    case: HostileCase = add_hostile_case(demo)
    hostile_tracker(console.rasa, case.sender)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{console.url}/login")
    page.fill("input[name=username]", new_user(demo, StaffRole.ADMIN))
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.url}/inbox")

    later: HostileCase = add_hostile_case(demo)  # arrives through the inbox's innerHTML refresh (every 10 s)
    page.wait_for_selector(f'tr[data-handoff="{later.handoff_id}"]', timeout=20_000)
    watch.assert_clean("inbox and its refresh")

    for path in (
        f"/conversations/{case.conversation_id}",
        f"/handoffs/{case.handoff_id}",
        f"/customers/{case.customer_id}",
    ):
        page.goto(f"{console.url}{path}")
        watch.assert_clean(path)
        page.click("form.reveal button")
        page.wait_for_selector("p.revealed")
        watch.assert_clean(f"{path} revealed")
    page.goto(f"{console.url}/handoffs/{case.handoff_id}")
    page.wait_for_timeout(5_000)  # one poll of the live exchange
    assert page.locator("#live li").count() == 2
    assert "<svg onload" in page.locator("#live li .text").first.inner_text()  # shown as text
    watch.assert_clean("live exchange")
    for path in (
        "/conversations?q=hostile",
        "/corrections",
        "/dead-letters?status=all",
        "/dashboard?days=7",
        "/admin/users",
        "/account",
    ):
        page.goto(f"{console.url}{path}")
        page.wait_for_load_state("networkidle")
        watch.assert_clean(path)
    charts = page.locator("figure.chart img")
    page.goto(f"{console.url}/dashboard?days=7")
    page.wait_for_load_state("networkidle")
    assert charts.count() == 5 and all(charts.nth(i).evaluate("img => img.naturalWidth > 0") for i in range(5))
    watch.assert_clean("charts")
    context.close()


def test_the_inbox_in_chinese_then_in_english_after_switching_on_the_account_page(
    console: ConsoleThread, browser: Browser, demo: sessionmaker[Session]
) -> None:  # noqa: F811
    """Issue #16: a new account reads the console in Chinese (the sign-in page followed the browser's
    Chinese Accept-Language), the account page switches it, and the next page is in English; the live
    exchange, built by console.js, names its speakers in the page's language too."""
    sender = f"zh-{uuid.uuid4().hex[:8]}"
    name = f"mei-{uuid.uuid4().hex[:6]}"

    def setup(session: Session) -> int:
        conversation = open_conversation(session, "wechat", sender, language="zh")
        record_message(
            session, conversation, "customer", "/contact_human_agent", intent="contact_human_agent", confidence=0.99
        )
        handoff = request_handoff(session, conversation, reason="customer asked", sender_id=sender, priority=50)
        create_user(session, name, PASSWORD, StaffRole.AGENT)  # no language given: Chinese
        return handoff

    # run_transaction: it reads, then writes, while the console's thread may write too (SQLite's "locked")
    handoff = run_transaction(demo, setup)
    console.rasa.events[sender] = [
        {"event": "session_started"},
        {
            "event": "user",
            "text": "我要找人工",
            "timestamp": 1767000000.0,
            "parse_data": {"intent": {"name": "contact_human_agent"}},
        },
    ]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{console.url}/login")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.url}/inbox")
    assert page.locator("h1").inner_text() == "转人工收件箱"
    row = page.locator(f'#waiting tr[data-handoff="{handoff}"]')
    assert row.locator("td.reason").inner_text() == "客户要求转人工"
    assert "微信" in row.inner_text() and row.locator("button").inner_text() == "接待"
    page.goto(f"{console.url}/handoffs/{handoff}")
    page.wait_for_selector("#live li")
    page.wait_for_timeout(5_000)  # one poll of the live exchange: console.js rebuilds the list
    assert page.locator("#live li .who").first.inner_text() == "客户"
    watch.assert_clean("Chinese pages")

    page.goto(f"{console.url}/account")
    page.select_option("select[name=language]", "en")
    page.click("form[action='/account/language'] button[type=submit]")
    page.wait_for_url(f"{console.url}/account?done=language")
    assert page.locator(".notice").inner_text() == "The console now speaks English."
    page.goto(f"{console.url}/inbox")
    assert page.locator("h1").inner_text() == "Hand-off inbox"
    row = page.locator(f'#waiting tr[data-handoff="{handoff}"]')
    assert row.locator("td.reason").inner_text() == "customer asked"
    assert "WeChat" in row.inner_text() and row.locator("button").inner_text() == "Take"
    watch.assert_clean("English pages")
    context.close()

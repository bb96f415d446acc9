"""One running stack (Rasa server + action server) for all end-to-end tests, on ports of its own so
it does not collide with a `make run` on the same machine, and on a demo CRM of its own (generated
fresh, so the conversations can cancel and refund without touching var/crm.db). The recommender is
the one `make setup` trained from the same deterministic demo shop."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.web_auth import web_secret
from crm.db import run_transaction, session_factory
from crm.repository import add_identity, find_customer
from devstack.config import ROOT, StackConfig, free_port
from devstack.stack import Stack
from tests.e2e.webchat_page import Chat
from tests.e2e.wechat_fake import FakeWeChatApi, stack_env as wechat_stack_env


@pytest.fixture(scope="session")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('crm') / 'crm.db'}"
    subprocess.run(
        [sys.executable, "-m", "crm", "--database-url", url, "ensure-demo", "--quiet"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return url


@pytest.fixture(scope="session")
def crm(crm_url: str) -> sessionmaker[Session]:
    return session_factory(crm_url)


@pytest.fixture(scope="session")
def wechat_api() -> Iterator[FakeWeChatApi]:
    """WeChat's API servers, played locally; the stack's WeChat channel sends to it."""
    fake = FakeWeChatApi()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, crm_url: str, wechat_api: FakeWeChatApi) -> Iterator[Stack]:
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        console_port=free_port(),
        var_dir=tmp_path_factory.mktemp("var"),
        extra_env={"CRM_DATABASE_URL": crm_url, **wechat_stack_env(wechat_api.url)},
    )
    with Stack(config, console=True) as running:
        yield running


@pytest.fixture
def customer() -> str:
    """A fresh conversation id per test: a visitor the CRM does not know."""
    return f"e2e-{uuid.uuid4().hex[:12]}"


def new_identity(crm: sessionmaker[Session], who: str, channel: str = "rest") -> str:
    """A fresh user id linked to a demo customer (an identity of the CRM on `channel`), so each test starts
    its own conversation as that customer (conversation state never leaks from one test into another).
    Only a token signed for it makes a conversation that customer's: see `Stack.sign_in` for REST, the
    page's `?token=` for the web chat."""
    sender = f"{who}-{uuid.uuid4().hex[:8]}"
    run_transaction(crm, lambda session: add_identity(session, find_customer(session, "rest", who).id, channel, sender))
    return sender


@pytest.fixture
def alice(crm: sessionmaker[Session], stack: Stack) -> str:
    """Alice, signed in: her REST messages carry a token the shop signed."""
    return stack.sign_in(new_identity(crm, "demo-alice"))


@pytest.fixture
def li(crm: sessionmaker[Session], stack: Stack) -> str:
    """Li, signed in: his REST messages carry a token the shop signed."""
    return stack.sign_in(new_identity(crm, "demo-li"))


@pytest.fixture
def in_crm(crm: sessionmaker[Session]) -> Callable:
    """Runs `work(session)` in one CRM transaction (again if SQLite is busy with the stack's writers)."""

    def read(work: Callable[[Session], object]) -> object:
        return run_transaction(crm, work)

    return read


CHROMIUM = "/usr/bin/chromium"  # Debian's package (make installs it); Playwright's own download is not used


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test of the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test-e2e` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


# --- the web chat page (tests/e2e/webchat_page.py) --------------------------------------------------


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: no guest id or transcript from another test."""
    context = browser.new_context(viewport={"width": 480, "height": 900}, locale="en-US")
    yield context
    context.close()


@pytest.fixture
def secret(stack: Stack) -> str:
    """The key the running Rasa server checks tokens with (the shop's site would hold the same)."""
    return web_secret(var_dir=stack.config.var_dir)


@pytest.fixture
def chat(context: BrowserContext, stack: Stack) -> Chat:
    """One tab on the chat page, not opened yet (`chat.open()` as a guest, `chat.open(token)` signed in)."""
    return Chat(context.new_page(), stack)


@pytest.fixture
def web_user(crm: sessionmaker[Session]) -> Callable[[str], str]:
    """`web_user("demo-li")`: a fresh web user id of that demo customer, for a token that signs the page in
    as them in a conversation of this test's own (the demo ids themselves are shared by every test)."""
    return lambda who: new_identity(crm, who, "web")

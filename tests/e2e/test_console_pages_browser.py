"""The console's other pages in headless Chromium, each in both UI languages (#16: "tests in headless Chromium
for each page in both UI languages"), done as a support lead would: the transcripts list searched and filtered,
a correction found in the corrections list, exported and removed, a dead letter listed and the list filtered by
status, an admin creating a user who then signs in, a customer found (and one not found), a supervisor creating,
editing and deleting a quick reply, an agent turning on two-step sign-in on the account page and signing in with
a real TOTP code, the order actions (change the address, cancel, send a replacement) clicked on the hand-off
page, and the dashboard's per-agent table and its CSV download.

Each page is checked for its words in the reader's language, for no catalogue key shown raw, and on the Chinese
pages for no English left in headings, labels and buttons; no page breaks its CSP or throws a script error.
One console (the real application and a stand-in Rasa) serves the whole module."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import (
    Customer,
    HandoffRequest,
    HandoffStatus,
    Order,
    Segment,
    Shipment,
    ShipmentStatus,
    StaffRole,
    Tier,
)
from crm.privacy import utcnow
from crm.repository import find_customer, open_conversation, record_message, request_handoff
from crm.repository.dead_letters import count_dead_letters, record_dead_letter
from crm.repository.views import CustomerView
from console.config import ConsoleConfig
from console.corrections import domain_vocabulary, save_correction
from console.i18n import MESSAGES, intent_label, intent_labels, label, translate
from tests.console.conftest import PASSWORD, demo, demo_engine, new_user  # noqa: F401 - fixtures
from tests.console.test_service_dashboard import add_conversation
from tests.console.test_web import staff_id
from tests.e2e.test_console_browser import ConsoleThread, Watch
from tests.e2e.test_queue_browser import sign_in

pytestmark = pytest.mark.e2e

LANGUAGES = ["zh", "en"]
LABELS = intent_labels(ConsoleConfig.intent_labels_path)
# What may stay in Latin letters on a Chinese page's headings, labels and buttons: names of things, and the
# commands and paths the hints quote.
LATIN_ON_CHINESE_PAGES = {
    "kelian",
    "csv",
    "yaml",
    "nlu",
    "rasa",
    "crm",
    "totp",
    "otpauth",
    "python",
    "console",
    "export-corrections",
    "dead-letters",
    "data",
    "lang",
    "corrections",
    "yml",
    "jpeg",
    "png",
    "webp",
}
# The parts of a page a reader reads as the page's own words (data in table cells is the shop's, not the page's).
CHROME = "header nav a, h1, h2, h3, th, label, button, summary, dt, p.notice, p.error, .hint, .empty"
CHROME_TEXTS = """selectors => Array.from(document.querySelectorAll(selectors)).map(element => {
  const copy = element.cloneNode(true);
  copy.querySelectorAll('select, textarea, input, code, time, .tag').forEach(node => node.remove());
  return copy.textContent.replace(/\\s+/g, ' ').trim();
}).filter(text => text)"""
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def console(demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleThread]:  # noqa: F811
    """One console for the module's tests (each makes its own accounts and data)."""
    with ConsoleThread(demo_engine, tmp_path_factory.mktemp("console-pages")) as running:
        yield running


def locale(language: str) -> str:
    return "zh-CN" if language == "zh" else "en-US"


@contextmanager
def staff_page(browser: Browser, console: ConsoleThread, name: str, language: str) -> Iterator[tuple[Page, Watch]]:
    """A browser of its own for `name`, signed in (on the inbox)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale(language))
    try:
        page = context.new_page()
        watch = Watch(page)
        sign_in(page, console.url, name)
        yield page, watch
    finally:
        context.close()


def assert_in_language(page: Page, language: str, where: str, data: tuple[str, ...] = ()) -> None:
    """No catalogue key shown as is; on a Chinese page no English word in headings, labels, buttons, hints and
    notices; on an English page no Chinese there (the brand's 客连 aside). `data`: values the page quotes (a
    shortcut, a name), and the variables a hint names (`{customer_name}`), are not the page's words."""
    body = page.locator("body").inner_text()
    raw = [key for key in MESSAGES if "." in key and key in body]
    assert raw == [], f"{where}: catalogue keys shown raw: {raw}"
    texts: list[str] = []
    for text in page.evaluate(CHROME_TEXTS, CHROME):
        for value in data:
            text = text.replace(value, "")
        texts.append(re.sub(r"\{[a-z_]+\}", "", text))
    if language == "zh":
        english = [
            text
            for text in texts
            if any(word.lower() not in LATIN_ON_CHINESE_PAGES for word in re.findall(r"[A-Za-z][A-Za-z-]{2,}", text))
        ]
        assert english == [], f"{where}: English on the Chinese page: {english}"
    else:
        chinese = [text for text in texts if CJK.search(text.replace("客连", ""))]
        assert chinese == [], f"{where}: Chinese on the English page: {chinese}"


def said(language: str, key: str, **values: object) -> str:
    return translate(language, key, **values)


def before_problem(language: str) -> str:
    return translate(language, "customer.notice.recommender", problem="\x00").split("\x00")[0]


def before_value(language: str, key: str, **values: object) -> str:
    """The words of a message up to its `{result}` (what the value is cannot be known beforehand)."""
    return translate(language, key, result="\x00", **values).split("\x00")[0]


# --- transcripts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_transcripts_list_searched_and_filtered(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
) -> None:
    """Two conversations mention the same parcel; the lead searches for it and keeps the WeChat one that went to
    a person: one row, with its channel, intent and hand-off badge in the page's language."""
    token = f"pk{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> int:
        li = find_customer(session, "rest", "demo-li")
        assert li is not None
        wanted = open_conversation(session, "wechat", f"wx-{token}", customer_id=li.id, language="zh")
        record_message(session, wanted, "customer", f"我的快递 {token} 还没到", intent="track_order", confidence=0.93)
        request_handoff(session, wanted, reason="customer asked", sender_id=f"wx-{token}", priority=10)
        other = open_conversation(session, "web", f"web-{token}", language="zh")
        record_message(session, other, "customer", f"快递 {token} 到哪了", intent="track_order", confidence=0.9)
        return wanted

    wanted = run_transaction(demo, setup)
    with staff_page(browser, console, new_user(demo, StaffRole.AGENT, language=language), language) as (page, watch):
        page.click("header nav a[href='/conversations']")
        page.wait_for_url(f"{console.url}/conversations")
        assert page.locator("h1").inner_text() == said(language, "conversations.title")
        assert_in_language(page, language, "transcripts")

        page.fill("input[name=q]", token)
        page.select_option("select[name=channel]", "wechat")
        page.check("input[name=handoff]")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"/conversations\?q=.*channel=wechat.*handoff=1"))
        count = page.locator("#result-count").inner_text()
        assert said(language, "conversations.mention", n=1, query=token) in count
        rows = page.locator("#conversations tbody tr")
        assert rows.count() == 1
        row = rows.first
        assert row.locator("td").first.inner_text() == str(wanted)
        cells = row.locator("td")
        assert cells.nth(2).inner_text() == label(language, "channel", "wechat")
        assert cells.nth(3).inner_text() == label(language, "language", "zh")
        assert intent_label(language, "track_order", LABELS) in cells.nth(6).inner_text()
        assert row.locator("span.badge.handoff").inner_text() == said(language, "conversations.handoff")
        assert token in row.locator("td.preview").inner_text()
        expect(page.locator("select[name=channel]")).to_have_value("wechat")  # the form keeps the filters
        assert_in_language(page, language, "transcripts filtered")

        page.uncheck("input[name=handoff]")
        page.select_option("select[name=channel]", "")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"/conversations\?q=.*channel=&"))
        assert page.locator("#conversations tbody tr").count() == 2
        assert said(language, "conversations.mention", n=2, query=token) in page.locator("#result-count").inner_text()
        watch.assert_clean(f"transcripts ({language})")

        # a customer filter naming nobody: the page says so in the reader's language
        page.goto(f"{console.url}/conversations?customer=nobody-{token}@example.com")
        error = page.locator("p.error").inner_text()
        assert f"nobody-{token}@example.com" in error
        if language == "zh":
            assert CJK.search(error), f"the transcripts list's error is in English on the Chinese page: {error!r}"
        assert page.locator("#conversations tbody td.empty").inner_text() == said(language, "conversations.none")


# --- corrections -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_correction_listed_exported_and_removed(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
) -> None:
    """A reviewer corrected a message (greet → track_order); the lead finds it in the list with both intents in
    the page's language, downloads that language's export (the example is in it) and removes the correction."""
    token = f"parcel{uuid.uuid4().hex[:8]}"
    text = f"where is my parcel {token}" if language == "en" else f"我的包裹 {token} 在哪里"
    vocabulary = domain_vocabulary(ConsoleConfig.domain_dir)

    def setup(session: Session) -> int:
        conversation = open_conversation(session, "web", f"fix-{token}", language=language)
        message = record_message(session, conversation, "customer", text, intent="greet", confidence=0.31)
        save_correction(
            session, message, intent="track_order", entities=[], text=None, author="reviewer", vocabulary=vocabulary
        )
        return message

    message = run_transaction(demo, setup)
    with staff_page(browser, console, new_user(demo, StaffRole.SUPERVISOR, language=language), language) as (
        page,
        watch,
    ):
        page.click("header nav a[href='/corrections']")
        page.wait_for_url(f"{console.url}/corrections")
        assert page.locator("h1").inner_text() == said(language, "corrections.heading")
        row = page.locator(f"#corrections tbody tr:has(a[href$='#m{message}'])")
        expect(row).to_have_count(1)
        cells = row.locator("td")
        assert cells.nth(1).inner_text() == label(language, "language", language)
        assert cells.nth(2).inner_text() == text
        assert cells.nth(3).inner_text() == intent_label(language, "greet", LABELS)
        assert cells.nth(4).inner_text() == intent_label(language, "track_order", LABELS)
        assert cells.nth(6).inner_text().startswith("reviewer")
        assert cells.nth(8).inner_text() == said(language, "corrections.remove")
        assert_in_language(page, language, "corrections")

        link = page.locator(f"#export-{language}")
        named = label(language, "language", language)
        assert link.inner_text() == translate(language, "corrections.download", language=named)
        with page.expect_download() as started:
            link.click()
        download = started.value
        assert download.suggested_filename == f"corrections-{language}.yml"
        exported = Path(download.path()).read_text(encoding="utf-8")
        assert "intent: track_order" in exported and token in exported

        row.locator("button[type=submit]").click()
        page.wait_for_url(f"{console.url}/corrections")
        expect(page.locator(f"#corrections tbody tr:has(a[href$='#m{message}'])")).to_have_count(0)
        watch.assert_clean(f"corrections ({language})")


# --- dead letters ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_dead_letter_listed_and_the_list_filtered_by_status(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
) -> None:
    """The feedback consumer set an event aside; a supervisor sees it among those waiting, with why (a phone
    number in the reason masked), and not among the dropped ones."""
    token = uuid.uuid4().hex[:10]

    def setup(session: Session) -> int:
        letter = record_dead_letter(
            session,
            source="rasa-events",
            payload=f'{{"event": "zap", "sender_id": "{token}", "text": "call 13812345678"}}',
            reason="PoisonEvent: unknown event 'zap' (customer wrote: call 13812345678)",
            reference=token,
            event_name="zap",
        )
        assert letter is not None
        return letter

    letter = run_transaction(demo, setup)
    with demo() as session:
        pending = count_dead_letters(session)
    with staff_page(browser, console, new_user(demo, StaffRole.SUPERVISOR, language=language), language) as (
        page,
        watch,
    ):
        page.click("header nav a[href='/dead-letters']")
        page.wait_for_url(f"{console.url}/dead-letters")
        assert page.locator("h1").inner_text().startswith(said(language, "dead.title"))
        assert page.locator("h1 small").inner_text() == said(language, "dead.waiting", n=pending)
        row = page.locator(f'#dead-letters tr[data-letter="{letter}"]')
        cells = row.locator("td")
        assert cells.nth(3).inner_text() == token and cells.nth(4).inner_text() == "zap"
        reason = cells.nth(5).inner_text()
        assert "unknown event 'zap'" in reason and "13812345678" not in reason  # customer text, masked
        assert row.locator("span.badge").inner_text() == label(language, "dead_status", "pending")
        assert page.locator("nav.periods a[aria-current=page]").inner_text() == label(
            language, "dead_status", "pending"
        )
        assert_in_language(page, language, "dead letters")

        dropped = label(language, "dead_status", "dropped")
        page.click("nav.periods a[href='/dead-letters?status=dropped']")
        page.wait_for_url(f"{console.url}/dead-letters?status=dropped")
        assert page.locator("nav.periods a[aria-current=page]").inner_text() == dropped
        expect(page.locator(f'#dead-letters tr[data-letter="{letter}"]')).to_have_count(0)
        empty = page.locator("#dead-letters td.empty")
        if empty.count():
            assert empty.inner_text() == said(language, "dead.none_with", status=dropped)

        page.click("nav.periods a[href='/dead-letters?status=all']")
        page.wait_for_url(f"{console.url}/dead-letters?status=all")
        assert page.locator("nav.periods a[aria-current=page]").inner_text() == said(language, "dead.all")
        expect(page.locator(f'#dead-letters tr[data-letter="{letter}"]')).to_have_count(1)
        assert_in_language(page, language, "dead letters, all")
        watch.assert_clean(f"dead letters ({language})")


# --- users -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_creates_a_user_who_signs_in_and_disables_them(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
) -> None:
    name = f"lin-{uuid.uuid4().hex[:6]}"
    with staff_page(browser, console, new_user(demo, StaffRole.ADMIN, language=language), language) as (page, watch):
        page.click("header nav a[href='/admin/users']")
        page.wait_for_url(f"{console.url}/admin/users")
        assert page.locator("h1").inner_text() == said(language, "users.heading")
        assert page.locator("#new-user button[type=submit]").inner_text() == said(language, "users.create")
        assert_in_language(page, language, "users")

        page.fill("#new-user input[name=username]", name)
        page.select_option("#new-user select[name=role]", "supervisor")
        page.fill("#new-user input[name=password]", PASSWORD)
        page.click("#new-user button[type=submit]")
        page.wait_for_url(f"{console.url}/admin/users?done=created")
        assert page.locator("p.notice").inner_text() == said(language, "users.done.created")
        row = page.locator(f'#users tr[data-user="{name}"]')
        expect(row.locator("select[name=role]")).to_have_value("supervisor")
        assert row.locator("select[name=role] option:checked").inner_text() == label(language, "role", "supervisor")
        cells = row.locator("td")
        assert cells.nth(2).inner_text().strip() == said(language, "users.off")
        assert cells.nth(3).inner_text().strip() == said(language, "users.active")
        assert_in_language(page, language, "users, created")

        page.fill("#new-user input[name=username]", name)  # the same name again
        page.fill("#new-user input[name=password]", PASSWORD)
        page.click("#new-user button[type=submit]")
        page.wait_for_url(f"{console.url}/admin/users")
        assert page.locator("p.error").inner_text() == said(language, "refusal.username_taken", name=repr(name))
        watch.assert_clean(f"users ({language})")

        # the new supervisor signs in (a new account reads Chinese until they choose) and has the dashboard
        newcomer = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale(language))
        theirs = newcomer.new_page()
        sign_in(theirs, console.url, name)
        assert theirs.locator("h1").inner_text() == "转人工收件箱"
        assert theirs.locator("header nav a[href='/dashboard']").inner_text() == "数据看板"
        newcomer.close()

        page.goto(f"{console.url}/admin/users")
        row.locator("input[name=action][value=disable] ~ button").click()
        page.wait_for_url(f"{console.url}/admin/users?done=disabled")
        assert page.locator("p.notice").inner_text() == said(language, "users.done.disabled")
        assert row.locator("td").nth(3).inner_text().strip() == said(language, "users.disabled")
        assert row.locator("input[name=action][value=enable] ~ button").inner_text() == said(language, "users.enable")
        watch.assert_clean(f"users, disabled ({language})")


# --- customers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "reference", "customer"),
    [("zh", "li.wei@example.cn", "demo-li"), ("en", "web:demo-alice", "demo-alice")],
)
def test_a_customer_found_a_segment_listed_and_nobody_found(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
    reference: str,
    customer: str,
) -> None:
    segment = Segment.AT_RISK

    def setup(session: Session) -> CustomerView:
        found = find_customer(session, "rest", customer)
        assert found is not None
        session.get_one(Customer, 40).segment = segment  # the demo leaves segmentation to its own command
        return found

    found = run_transaction(demo, setup)
    with staff_page(browser, console, new_user(demo, StaffRole.AGENT, language=language), language) as (page, watch):
        page.click("header nav a[href='/customers']")
        page.wait_for_url(f"{console.url}/customers")
        assert page.locator("h1").inner_text() == said(language, "customers.title")
        assert_in_language(page, language, "customers")

        page.fill("input[name=q]", reference)
        page.click(f"form.filters button:text-is('{said(language, 'customers.open')}')")
        page.wait_for_url(f"{console.url}/customers/{found.id}")
        assert page.locator("h1 small").inner_text() == f"#{found.id}"
        headings = page.locator("main h2").all_inner_texts()
        assert said(language, "customer.profile") in headings and said(language, "customer.orders") in headings
        # no recommender is trained for this console: its notice quotes the recommender's own (English) words
        unavailable = page.locator("p.notice", has_text=before_problem(language))
        problem = unavailable.inner_text().removeprefix(before_problem(language)) if unavailable.count() else ""
        assert_in_language(page, language, "customer 360", data=(problem,) if problem else ())

        page.goto(f"{console.url}/customers")
        page.select_option("select[name=segment]", segment.value)
        page.click(f"form.filters button:text-is('{said(language, 'customers.list')}')")
        page.wait_for_url(re.compile(rf"/customers\?.*segment={segment.value}"))
        rows = page.locator("table.list tbody tr")
        assert rows.count() >= 1 and page.locator("table.list a[href='/customers/40']").count() == 1
        assert rows.first.locator("td").nth(2).inner_text() in {label(language, "tier", tier) for tier in Tier}
        assert page.locator("table.list th").nth(2).inner_text() == said(language, "customers.tier")
        assert_in_language(page, language, "customers of a segment")
        watch.assert_clean(f"customers ({language})")

        nobody = f"nobody-{uuid.uuid4().hex[:6]}@example.com"
        page.goto(f"{console.url}/customers")
        page.fill("input[name=q]", nobody)
        page.click(f"form.filters button:text-is('{said(language, 'customers.open')}')")
        page.wait_for_url(re.compile(r"/customers\?q=nobody"))
        error = page.locator("p.error").inner_text()
        assert nobody in error
        if language == "zh":
            assert CJK.search(error), f"the customer search's error is in English on the Chinese page: {error!r}"


# --- quick replies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_supervisor_creates_edits_and_deletes_a_quick_reply(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
) -> None:
    shortcut = f"ship{uuid.uuid4().hex[:6]}"
    text_zh = "{customer_name}您好,您的订单 {order_number} 已发货。"
    text_en = "Hi {customer_name}, order {order_number} is on its way."
    boss = new_user(demo, StaffRole.SUPERVISOR, language=language)
    with staff_page(browser, console, boss, language) as (page, watch):
        page.click("header nav a[href='/quick-replies']")
        page.wait_for_url(f"{console.url}/quick-replies")
        assert page.locator("h1").inner_text() == said(language, "quick_replies.title")
        assert page.locator("section.card h2").inner_text() == said(language, "quick_replies.new")
        assert_in_language(page, language, "quick replies")

        form = page.locator("#quick-reply-form")
        form.locator("input[name=shortcut]").fill(f"/{shortcut}")
        form.locator("input[name=title]").fill("已发货" if language == "zh" else "Shipped")
        form.locator("textarea[name=text_zh]").fill(text_zh)
        form.locator("textarea[name=text_en]").fill(text_en)
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{console.url}/quick-replies?done=saved")
        assert page.locator("p.notice").inner_text() == said(language, "quick_replies.done.saved")
        row = page.locator(f'#quick-reply-library tr[data-shortcut="{shortcut}"]')
        cells = row.locator("td")
        assert cells.nth(0).inner_text() == f"/{shortcut}"
        assert cells.nth(2).inner_text() == text_zh and cells.nth(3).inner_text() == text_en
        assert cells.nth(4).inner_text().startswith(boss)

        row.locator("a").click()  # edit
        page.wait_for_url(re.compile(r"/quick-replies/\d+$"))
        assert page.locator("section.card h2").inner_text() == said(
            language, "quick_replies.edit_heading", shortcut=shortcut
        )
        expect(form.locator("input[name=shortcut]")).to_have_value(shortcut)
        expect(form.locator("textarea[name=text_zh]")).to_have_value(text_zh)
        title = "已发货(顺丰)" if language == "zh" else "Shipped (SF Express)"
        form.locator("input[name=title]").fill(title)
        assert form.locator("button[type=submit]").inner_text() == said(language, "quick_replies.save")
        assert_in_language(page, language, "quick reply, editing", data=(shortcut,))
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{console.url}/quick-replies?done=saved")
        assert cells.nth(1).inner_text() == title

        form.locator("input[name=shortcut]").fill(shortcut)  # a new one with the same shortcut
        form.locator("input[name=title]").fill("dup")
        form.locator("textarea[name=text_en]").fill("Hello")
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{console.url}/quick-replies")
        problem = said(language, "workspace.error.shortcut_taken", shortcut=shortcut)
        assert problem in page.locator("main").inner_text()
        assert_in_language(page, language, "quick reply refused", data=(shortcut,))

        page.goto(f"{console.url}/quick-replies")
        row.locator("form button[type=submit]").click()  # delete
        page.wait_for_url(f"{console.url}/quick-replies?done=deleted")
        assert page.locator("p.notice").inner_text() == said(language, "quick_replies.done.deleted")
        expect(row).to_have_count(0)
        watch.assert_clean(f"quick replies ({language})")

    with staff_page(browser, console, new_user(demo, StaffRole.AGENT, language=language), language) as (page, watch):
        page.goto(f"{console.url}/quick-replies")  # agents read the library and use it, they do not manage it
        assert page.locator("#quick-reply-form").count() == 0
        assert said(language, "quick_replies.read_only") in page.locator("main").inner_text()
        watch.assert_clean(f"quick replies, agent ({language})")


# --- the account page and two-step sign-in ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_agent_names_themselves_turns_on_two_step_sign_in_and_signs_in_with_a_code(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
) -> None:
    name = new_user(demo, StaffRole.AGENT, language=language)
    with staff_page(browser, console, name, language) as (page, watch):
        page.click("header .who a[href='/account']")
        page.wait_for_url(f"{console.url}/account")
        assert page.locator("h1").inner_text() == said(language, "account.title")
        headings = page.locator("section.card h2").all_inner_texts()
        assert headings == [
            said(language, key)
            for key in ("account.language", "account.display_name", "account.change_password", "totp.title")
        ]
        expect(page.locator("select[name=language]")).to_have_value(language)
        assert_in_language(page, language, "account", data=("客服小林",))  # the hint's example of a name

        page.fill("input[name=display_name]", "小林")
        page.click("form[action='/account/display-name'] button[type=submit]")
        page.wait_for_url(f"{console.url}/account?done=display_name")
        assert page.locator("p.notice").inner_text() == said(language, "account.done.display_name")
        assert page.locator("#display-name p").first.inner_text() == said(
            language, "account.display_name_now", name="小林"
        )

        assert page.locator("#totp p").first.inner_text() == said(language, "account.totp.off")
        page.click("form[action='/account/totp/start'] button[type=submit]")
        page.wait_for_url(f"{console.url}/account/totp/start")
        secret = page.locator("#totp-secret").inner_text()
        assert page.locator("#totp img.qr").evaluate("img => img.naturalWidth > 0")
        totp = pyotp.TOTP(secret)
        wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
        page.fill("form[action='/account/totp/confirm'] input[name=code]", wrong)
        page.click("form[action='/account/totp/confirm'] button[type=submit]")
        page.wait_for_url(f"{console.url}/account/totp/confirm")
        assert page.locator("p.error").inner_text() == said(language, "refusal.enrol_code")
        assert page.locator("#totp-secret").inner_text() == secret  # the same set-up, to try again
        assert_in_language(page, language, "account, enrolling", data=("客服小林",))
        page.fill("form[action='/account/totp/confirm'] input[name=code]", totp.now())
        page.click("form[action='/account/totp/confirm'] button[type=submit]")
        page.wait_for_url(f"{console.url}/account?done=totp_on")
        assert page.locator("p.notice").inner_text() == said(language, "account.done.totp_on")
        assert page.locator("#totp p").first.inner_text() == said(language, "account.totp.on")
        watch.assert_clean(f"account ({language})")

        page.click("header form[action='/logout'] button")
        page.wait_for_url(f"{console.url}/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/login/totp"))
        assert page.locator("h1").inner_text() == said(language, "totp.title")
        assert said(language, "totp.code_label") in page.locator("label").inner_text()
        assert page.title().startswith(said(language, "totp.tab_title"))
        assert page.locator("header nav").count() == 0  # half signed in: no page of the console yet
        assert_in_language(page, language, "two-step sign-in")
        page.fill("input[name=code]", wrong)
        page.click("form[action='/login/totp'] button[type=submit]")
        page.wait_for_url(f"{console.url}/login/totp")
        assert page.locator("p.error").inner_text() == said(language, "totp.wrong")
        # the next period's code (accepted for clock drift): the one that turned it on is spent
        page.fill("input[name=code]", totp.at(time.time() + totp.interval))
        page.click("form[action='/login/totp'] button[type=submit]")
        page.wait_for_url(f"{console.url}/inbox")
        assert page.locator("header .who a[href='/account']").inner_text() == name
        watch.assert_clean(f"two-step sign-in ({language})")


# --- order actions on the hand-off page ------------------------------------------------------------------------

# (language, customer, [address order, its new address, city it is in], order to cancel, lost order to resend):
# one customer per language, so each order is acted on once in the session's demo CRM
ORDER_CASES = [
    ("zh", "demo-li", ("KL20251105", "北京市朝阳区建国路 88 号", "北京"), "KL20251107", "KL20251104"),
    ("en", "demo-alice", ("KL20250105", "上海市徐汇区漕溪北路 88 号 3 号楼", "上海"), "KL20250107", "KL20250104"),
]


@pytest.mark.parametrize(("language", "who", "move", "cancel", "lost"), ORDER_CASES)
def test_an_agent_changes_an_address_cancels_and_resends_from_the_hand_off_page(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    language: str,
    who: str,
    move: tuple[str, str, str],
    cancel: str,
    lost: str,
) -> None:
    moved, street, city = move
    sender = f"orders-{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> int:
        customer = find_customer(session, "rest", who)
        assert customer is not None
        last = session.scalars(
            select(Shipment).join(Order).where(Order.number == lost).order_by(Shipment.id.desc())
        ).first()
        assert last is not None
        last.status = ShipmentStatus.EXCEPTION  # the carrier lost the parcel
        conversation = open_conversation(session, "web", sender, customer_id=customer.id, language=language)
        record_message(session, conversation, "customer", "我的包裹丢了", intent="contact_human_agent")
        return request_handoff(session, conversation, reason="customer asked", sender_id=sender, priority=80)

    handoff = run_transaction(demo, setup)
    console.rasa.events[sender] = [
        {"event": "session_started"},
        {"event": "user", "text": "我的包裹丢了", "timestamp": 1767000000.0},
        {"event": "pause"},
    ]
    agent = new_user(demo, StaffRole.AGENT, language=language)
    shown_as = f"客服{staff_id(demo, agent)}号"
    with staff_page(browser, console, agent, language) as (page, watch):
        page.goto(f"{console.url}/handoffs/{handoff}")
        assert page.locator("#orders-heading").inner_text() == said(language, "orders.heading")
        assert page.locator("form.order-action").count() == 0  # actions only for the agent serving it
        page.click(f"form[action='/handoffs/{handoff}/take'] button")
        page.wait_for_url(f"{console.url}/handoffs/{handoff}")
        assert_in_language(page, language, "hand-off with orders")

        def act(number: str, action: str, **fields: str) -> None:
            order = page.locator(f'article.order[data-order="{number}"]')
            details = order.locator(f"details:has(form[data-action={action}])")
            summary = details.locator("summary")
            assert summary.inner_text() == label(language, "order_action", action)
            summary.click()
            form = details.locator("form")
            for name, value in fields.items():
                form.locator(f"[name={name}]").fill(value)
            box = form.locator("input[name=confirm]")
            assert said(language, "orders.confirm", order=number) in form.locator("label.confirm").inner_text()
            box.check()
            button = form.locator("button[type=submit]")
            assert button.inner_text() == said(language, "orders.submit")
            button.click()

        def internal_line(key: str, number: str) -> None:
            words = before_value(language, key, agent=shown_as, order=number)
            expect(page.locator("#live li.msg.internal .text").filter(has_text=words)).to_have_count(1)

        act(moved, "address", address=street)
        internal_line("orders.internal.address", moved)
        assert page.locator("p.error").count() == 0
        order = page.locator(f'article.order[data-order="{moved}"]')
        assert f"{city} …" in order.locator("dd").nth(2).inner_text()  # the (masked) address is the new one
        assert page.locator("#live li.msg.internal .text").filter(has_text=moved).inner_text() == translate(
            language, "orders.internal.address", agent=shown_as, order=moved, result=city
        )

        act(cancel, "cancel")
        internal_line("orders.internal.cancel", cancel)
        cancelled = page.locator(f'article.order[data-order="{cancel}"]')
        assert cancelled.locator("h3 .badge").inner_text() == label(language, "order_status", "cancelled")
        assert cancelled.locator("form.order-action").count() == 0  # nothing more to do with it

        act(lost, "resend", reason="包裹丢失" if language == "zh" else "lost by the carrier")
        internal_line("orders.internal.resend", lost)
        resent = page.locator(f'article.order[data-order="{lost}"]')
        shipment = resent.locator("dt", has_text=said(language, "orders.shipment")).locator(
            "xpath=following-sibling::dd[1]"
        )
        assert re.search(r"RS\d+", shipment.inner_text())
        assert shipment.inner_text().endswith(label(language, "shipment_status", "label_created"))
        assert resent.locator("form[data-action=resend]").count() == 0  # one replacement at a time
        assert_in_language(page, language, "hand-off after the order actions")
        watch.assert_clean(f"order actions ({language})")


# --- the dashboard's per-agent figures and the CSV -------------------------------------------------------------


@pytest.fixture(scope="module")
def served(demo: sessionmaker[Session]) -> str:  # noqa: F811
    """An agent who took a request 30 s after it came, wrote 1 minute after it came and closed it 12 minutes
    after taking it (made before the module's console first computes the dashboard: it keeps it a minute)."""
    agent = f"lin-{uuid.uuid4().hex[:6]}"

    def setup(session: Session) -> None:
        now = utcnow()
        conversation = add_conversation(
            session,
            now,
            "resolved_by_agent",
            [("customer", "contact_human_agent"), ("agent", None)],
            sender=f"served-{agent}",
        )
        session.flush()
        session.add(
            HandoffRequest(
                conversation_id=conversation.id,
                reason="customer asked",
                status=HandoffStatus.CLOSED,
                agent=agent,
                requested_at=conversation.started_at,
                assigned_at=conversation.started_at + timedelta(seconds=30),
                closed_at=conversation.started_at + timedelta(seconds=30, minutes=12),
                priority=0,
            )
        )

    run_transaction(demo, setup)
    return agent


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dashboard_shows_each_agents_figures_and_downloads_them_as_csv(
    console: ConsoleThread,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    served: str,
    language: str,
) -> None:
    with staff_page(browser, console, new_user(demo, StaffRole.SUPERVISOR, language=language), language) as (
        page,
        watch,
    ):
        page.click("header nav a[href='/dashboard']")
        page.wait_for_url(f"{console.url}/dashboard")
        assert page.locator("h1").inner_text() == said(language, "dashboard.title")
        page.click("nav.periods a[href='/dashboard?days=7']")
        page.wait_for_url(f"{console.url}/dashboard?days=7")
        headers = page.locator("#service-agents thead th").all_inner_texts()
        assert headers == [
            said(language, key)
            for key in (
                "service.agent",
                "service.handoffs",
                "service.closed",
                "service.first_response",
                "service.handle",
            )
        ]
        row = page.locator("#service-agents tbody tr").filter(has=page.locator(f"td:text-is('{served}')"))
        assert row.locator("td").all_inner_texts() == [
            served,
            "1",
            "1",
            said(language, "common.minutes", n="1.0"),
            said(language, "common.minutes", n="12.0"),
        ]
        assert_in_language(page, language, "dashboard")

        link = page.locator("#service-quality a[href='/dashboard/service.csv?days=7']")
        assert link.inner_text() == said(language, "service.export")
        with page.expect_download() as started:
            link.click()
        download = started.value
        assert download.suggested_filename == "kelian-service-7d.csv"
        raw = Path(download.path()).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: a spreadsheet reads the Chinese right
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert table[0] == ["figure", "group", "value", "part", "whole"]
        mine = {row[0]: row[2:] for row in table[1:] if row[1] == f"agent:{served}"}
        assert mine["handoffs"][0] == "1" and mine["handoffs_closed"][0] == "1"
        assert mine["first_response_median_minutes"] == ["1.0", "", "1"]
        assert mine["handle_time_median_minutes"] == ["12.0", "", "1"]
        watch.assert_clean(f"dashboard ({language})")

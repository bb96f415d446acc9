"""The staff console in a real browser (Debian's Chromium, headless, driven by Playwright) against the whole
stack: the console started by the stack on a port of its own, the demo CRM, the Rasa server and its channels,
the action server and the feedback consumer. What reaches a customer is checked where the customer is: Rasa's
tracker for a REST customer, the chat page for a web customer.

Every wait is Playwright's auto-waiting, or a poll of the CRM for what the feedback consumer writes; there is
no sleep and no timing assertion."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.web_auth import issue_user_token, web_secret
from crm.db import run_transaction
from crm.models import HandoffRequest, HandoffStatus, Message, MessageSender
from crm.repository import add_identity, find_customer, open_handoff_of
from console.accounts import create_user
from console.config import ConsoleConfig
from console.corrections import domain_vocabulary
from console.i18n import intent_label, intent_labels
from devstack.config import ROOT
from devstack.stack import Stack
from tests.e2e.webchat_page import Chat

pytestmark = pytest.mark.e2e

PASSWORD = "e2e console password"
RASA_PYTHON = ROOT / ".venv-bot" / "bin" / "python"
SCREENSHOT = ROOT / "results" / "console-dashboard.png"  # copied to docs/console-dashboard.png for the README
T = TypeVar("T")

expect.set_options(timeout=120_000)


def eventually(check: Callable[[], T | None], what: str, limit: float = 120.0) -> T:
    """What the feedback consumer writes arrives a moment after the conversation: poll for it (a wait with a
    generous limit, never a measure)."""
    deadline = time.monotonic() + limit
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"still no {what} after {limit:.0f} s")
        time.sleep(0.5)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True)
    yield context
    context.close()


def write(crm: sessionmaker[Session], work: Callable[[Session], object]) -> None:
    """A CRM write from the test, next to the stack's own writers (the same retry as the console's)."""
    run_transaction(crm, work)


def account(crm: sessionmaker[Session], role: str) -> str:
    name = f"e2e-{role}-{uuid.uuid4().hex[:6]}"
    write(crm, lambda session: create_user(session, name, PASSWORD, role, language="en"))
    return name


def sign_in(page: Page, stack: Stack, name: str, path: str = "/inbox") -> Page:
    page.goto(f"{stack.config.console_url}{path}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("header .who")).to_contain_text(name)
    return page


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


# --- signing in -------------------------------------------------------------------------------------


def test_sign_in_with_a_wrong_then_the_right_password(
    context: BrowserContext, stack: Stack, crm: sessionmaker[Session]
) -> None:
    name = account(crm, "agent")
    page = context.new_page()
    page.goto(f"{stack.config.console_url}/conversations")
    expect(page).to_have_url(f"{stack.config.console_url}/login?next=/conversations")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "not the password")
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".error")).to_have_text("Wrong username or password.")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(f"{stack.config.console_url}/conversations")
    expect(page.locator("h1")).to_have_text("Transcripts")
    cookies = {c["name"]: c for c in context.cookies()}
    session_cookie = cookies["__Host-kelian_console"]
    assert session_cookie["httpOnly"] and session_cookie["secure"] and session_cookie["sameSite"] == "Strict"


# --- transcripts and corrections ----------------------------------------------------------------------


def test_search_a_transcript_correct_its_intent_and_export_it(
    context: BrowserContext, stack: Stack, alice: str, crm: sessionmaker[Session], tmp_path: Path
) -> None:
    word = f"zq{uuid.uuid4().hex[:6]}"
    said = f"do you have a {word} jacket for rainy days"
    stack.say(alice, said)

    def recorded() -> Message | None:
        with crm() as session:
            for message in session.scalars(
                select(Message).where(Message.sender == MessageSender.CUSTOMER).order_by(Message.id.desc()).limit(50)
            ):
                if message.text == said:
                    return message
        return None

    message = eventually(recorded, "transcript of the conversation in the CRM")
    intents = set(domain_vocabulary(ROOT / "bot" / "domain").intents)
    right = "product_info" if message.intent != "product_info" else "recommend_products"
    assert right in intents

    page = sign_in(context.new_page(), stack, account(crm, "supervisor"))
    page.click("nav a[href='/conversations']")
    page.fill("input[name=q]", word.upper())
    page.click("form.filters button[type=submit]")
    expect(page.locator("#result-count")).to_contain_text("1 conversation mention")
    page.locator("#conversations tbody a", has_text=word).click()
    item = page.locator(f"#m{message.id}")
    expect(item.locator(".text")).to_have_text(said)
    labels = intent_labels(ConsoleConfig().intent_labels_path)
    expect(item.locator(".nlu")).to_contain_text(f"intent {intent_label('en', message.intent, labels)}")
    expect(item.locator(".nlu")).to_contain_text("confidence")
    item.locator("details.correct summary").click()
    item.locator("select[name=intent]").select_option(right)
    item.locator("input[name=entity_value_0]").fill("jacket")
    item.locator("select[name=entity_type_0]").select_option("product")
    item.locator("form.correction button[type=submit]").click()
    expect(page.locator(".notice")).to_have_text("Correction saved.")
    expect(page.locator(f"#m{message.id} .corrected")).to_contain_text(
        f"corrected → {intent_label('en', right, labels)} [jacket](product)"
    )

    page.click("nav a[href='/corrections']")
    expect(page.locator("#corrections")).to_contain_text(word)
    with page.expect_download() as download:
        page.click("#export-en")
    exported = tmp_path / "corrections.yml"
    download.value.save_as(exported)
    data = yaml.safe_load(exported.read_text(encoding="utf-8"))
    examples = {block["intent"]: block["examples"] for block in data["nlu"]}
    assert f"- do you have a {word} [jacket](product) for rainy days\n" in examples[right]
    loaded = subprocess.run(
        [
            str(RASA_PYTHON),
            "-c",
            "import json, sys\nfrom rasa.shared.nlu.training_data.loading import load_data\n"
            "data = load_data(sys.argv[1])\n"
            "print(json.dumps([[m.get('text'), m.get('intent'), m.get('entities', [])] "
            "for m in data.training_examples]))",
            str(exported),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    rasa_examples = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert [said, right, [["product", "jacket"]]] in [
        [text, intent, [[e["entity"], e["value"]] for e in entities]] for text, intent, entities in rasa_examples
    ]


# --- the live hand-off ------------------------------------------------------------------------------------


def take(page: Page, stack: Stack, handoff_id: int) -> None:
    page.goto(f"{stack.config.console_url}/inbox")
    row = page.locator(f"#waiting tr[data-handoff='{handoff_id}']")
    expect(row).to_be_visible()
    row.locator("button", has_text="Take").click()
    expect(page).to_have_url(f"{stack.config.console_url}/handoffs/{handoff_id}")
    expect(page.locator("h1 .badge")).to_have_text("with an agent")


def test_an_agent_takes_a_rest_conversation_answers_and_hands_it_back(
    context: BrowserContext, stack: Stack, li: str, crm: sessionmaker[Session]
) -> None:
    assert "expected wait" in texts(stack.say(li, "i want to talk to a real person"))
    assert stack.say(li, "my number is 13912345678, please hurry") == []  # paused: only the agent answers
    handoff_id = eventually(lambda: _handoff_of(crm, "rest", li), "hand-off in the CRM queue")

    page = sign_in(context.new_page(), stack, account(crm, "agent"))
    take(page, stack, handoff_id)
    live = page.locator("#live")
    expect(live).to_contain_text("my number is 139****5678, please hurry")  # from Rasa's tracker, masked
    expect(page.locator("body")).not_to_contain_text("13912345678")

    answer = f"您好，我是客服小美 ({uuid.uuid4().hex[:4]})，马上为您处理。"
    page.fill("#reply-text", answer)
    page.click("#reply button[type=submit]")
    expect(live.locator(".msg.agent")).to_contain_text(answer)
    events = stack.tracker(li)["events"]
    said = [i for i, e in enumerate(events) if e.get("event") == "bot" and e.get("text") == answer]
    assert len(said) == 1  # the agent's message, said once by the bot's action_agent_message
    assert (events[said[0] - 1].get("event"), events[said[0] - 1].get("name")) == ("action", "action_agent_message")
    assert stack.tracker(li)["paused"]

    page.click("form.handback button[type=submit]")
    expect(page.locator(".notice")).to_have_text("Handed back to the assistant.")
    expect(page.locator(f"tr[data-handoff='{handoff_id}']")).to_have_count(0)
    assert not stack.tracker(li)["paused"]
    assert texts(stack.say(li, "hello"))  # the bot answers again
    with crm() as session:
        assert session.get(HandoffRequest, handoff_id).status == HandoffStatus.CLOSED


def _handoff_of(crm: sessionmaker[Session], channel: str, sender: str) -> int | None:
    with crm() as session:
        handoff = open_handoff_of(session, channel, sender)
        return None if handoff is None else handoff.id


def test_a_web_customer_sees_the_agents_answer_on_the_chat_page(
    context: BrowserContext, stack: Stack, crm: sessionmaker[Session]
) -> None:
    user = f"e2e-web-{uuid.uuid4().hex[:8]}"
    write(crm, lambda session: add_identity(session, find_customer(session, "rest", "demo-alice").id, "web", user))
    chat = Chat(context.new_page(), stack).open(issue_user_token(user, web_secret(var_dir=stack.config.var_dir)))
    assert chat.sender == user
    assert "expected wait" in chat.say("i want to talk to a real person")
    handoff_id = eventually(lambda: _handoff_of(crm, "web", user), "hand-off in the CRM queue")

    console = sign_in(context.new_page(), stack, account(crm, "agent"))
    take(console, stack, handoff_id)
    answer = f"Hi, this is Mei from customer service ({uuid.uuid4().hex[:4]}). How can I help?"
    console.fill("#reply-text", answer)
    console.click("#reply button[type=submit]")
    expect(chat.page.locator(".message.agent .bubble").last).to_have_text(answer)  # drawn as the agent's
    console.click("form.handback button[type=submit]")
    expect(console.locator(".notice")).to_have_text("Handed back to the assistant.")
    assert "Kelian" in chat.say("hello")


# --- the dashboard ---------------------------------------------------------------------------------------


def test_the_dashboard_renders_with_its_charts(
    context: BrowserContext, stack: Stack, crm: sessionmaker[Session]
) -> None:
    page = sign_in(context.new_page(), stack, account(crm, "supervisor"), "/dashboard?days=30")
    expect(page.locator("h1")).to_have_text("Dashboard")
    # one containment figure, the honest one (goal met and no person), with its definition; no "self-service"
    containment = page.locator("#assistant-metrics #service-containment")
    expect(containment.locator(".label")).to_have_text("Containment")
    expect(containment.locator(".value")).to_have_text(re.compile(r"\d+\.\d %"))
    assert "goal met and no person" in (containment.get_attribute("title") or "")
    expect(page.locator("#service-fallback")).to_have_count(1)
    expect(page.locator(".metric", has_text="Self-service")).to_have_count(0)
    expect(page.locator("#service-definitions")).to_contain_text("rejected")
    expect(page.locator("#assistant-metrics .metric")).to_have_count(9)
    expect(page.locator("#crm-metrics .metric")).to_have_count(5)
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(5)
    for index in range(5):
        image = charts.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, image.get_attribute("src")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

"""The experiments page in headless Chromium, in both UI languages (#17 item 3): a marketer (the marketing team
signs in as supervisors) creates an experiment on recommendation strategies in the form, starts it behind its
confirmation, reads the report with every arm and both charts once customers have seen their arms, and stops it;
and creates a reply-wording experiment with each arm's English and Chinese words, a mistake in them refused in the
page's language first — with no script error and no Content-Security-Policy violation on the way."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.experiments.definitions import get_experiment, stop_experiment
from crm.experiments.serving import arm_for, record_exposure
from crm.models import Channel, Customer, Experiment, ExperimentStatus, Interaction, InteractionKind, Product, StaffRole
from tests.console.conftest import demo, demo_engine, new_user  # noqa: F401 - fixtures
from tests.e2e.test_console_browser import ConsoleThread, Watch, console  # noqa: F401 - fixtures
from tests.e2e.test_queue_browser import sign_in

pytestmark = pytest.mark.e2e

WORDS = {
    "en": {
        "title": "Experiments",
        "created": "Experiment created as a draft: nobody is assigned until it starts.",
        "running": "running",
        "stopped": "stopped",
        "early": "Do not read these results yet",
        "control": "control",
        "chart": "rate (%) with 95% interval",
        "one_language": "give the wording in both English and Chinese",
        "replies": "reply wording",
    },
    "zh": {
        "title": "A/B 实验",
        "created": "实验已创建为草稿:启动前不会分配任何客户。",
        "running": "进行中",
        "stopped": "已停止",
        "early": "现在还不能解读结果",
        "control": "对照组",
        "chart": "转化率(%)及 95% 置信区间",
        "one_language": "措辞需要同时填写英文和中文",
        "replies": "回复措辞",
    },
}
CUSTOMERS = 150


@pytest.fixture
def nothing_left_running(demo: sessionmaker[Session]) -> Iterator[None]:  # noqa: F811
    """The demo CRM is shared by the session and one experiment runs per surface: none outlives its test."""
    yield

    def stop_running(session: Session) -> None:
        for key in session.scalars(select(Experiment.key).where(Experiment.status == ExperimentStatus.RUNNING)):
            stop_experiment(session, key)

    run_transaction(demo, stop_running)  # reads, then writes: run again if SQLite is busy with the console's


def customers_see_their_arms(demo: sessionmaker[Session], key: str) -> None:  # noqa: F811
    """As if the experiment had run for ten days: CUSTOMERS demo customers were shown their arm's recommendations
    nine days ago (the action server's two calls), and every fourth clicked one a day later."""
    started = datetime.now(timezone.utc) - timedelta(days=10)

    def see(session: Session) -> None:
        get_experiment(session, key).starts_at = started
        product = session.scalar(select(Product.id).order_by(Product.id).limit(1))
        customers = session.scalars(select(Customer.id).order_by(Customer.id).limit(CUSTOMERS)).all()
        for i, customer in enumerate(customers):
            at = started + timedelta(days=1, minutes=i)
            assignment = arm_for(session, "recommendations", customer_id=customer, channel="web", now=at)
            assert assignment is not None and assignment.experiment_key == key
            record_exposure(session, assignment, "web", now=at)
            if i % 4 == 0:
                session.add(
                    Interaction(
                        customer_id=customer,
                        product_id=product,
                        kind=InteractionKind.REC_CLICK,
                        weight=3.0,
                        channel=Channel.WEB,
                        occurred_at=at + timedelta(days=1),
                    )
                )

    run_transaction(demo, see)  # reads, then writes: run again if SQLite is busy with the console's


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_marketer_creates_starts_reads_and_stops_an_experiment(
    console: ConsoleThread,  # noqa: F811
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    nothing_left_running: None,
    language: str,
) -> None:
    words = WORDS[language]
    key = f"strategies-{language}-{uuid.uuid4().hex[:6]}"
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, locale="zh-CN" if language == "zh" else "en-US"
    )
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, console.url, new_user(demo, StaffRole.SUPERVISOR, language))

    page.click("header nav a[href='/experiments']")
    page.wait_for_url(f"{console.url}/experiments")
    assert page.locator("h1").inner_text() == words["title"]
    page.fill("input[name=key]", key)
    page.select_option("select[name=metric]", "rec_click")
    for row, (name, weight, strategy) in enumerate(
        (("control", "34", ""), ("als", "33", "als"), ("popular", "33", "popularity"))
    ):
        page.fill(f"input[name=arm_name_{row}]", name)
        page.fill(f"input[name=arm_weight_{row}]", weight)
        if strategy:
            page.select_option(f"select[name=arm_strategy_{row}]", strategy)
    page.select_option("select[name=arm_diversity_2]", "off")
    page.fill("input[name=sample_size]", "500")
    page.click("#new-experiment button[type=submit]")
    page.wait_for_url(f"{console.url}/experiments/{key}?done=created")
    assert page.locator(".notice").inner_text() == words["created"]
    watch.assert_clean("created")

    page.click("details#start summary")  # the confirmation opens; nothing is sent yet
    page.click("details#start button[type=submit]")
    page.wait_for_url(f"{console.url}/experiments/{key}?done=started")
    assert page.locator("#status").inner_text() == words["running"]

    customers_see_their_arms(demo, key)
    page.goto(f"{console.url}/experiments/{key}")
    arms = page.locator("#arms tbody tr")
    assert [arms.nth(i).get_attribute("data-arm") for i in range(arms.count())] == ["control", "als", "popular"]
    assert words["control"] in arms.nth(0).inner_text()
    assert "strategy=popularity diversity=off" in arms.nth(2).inner_text()
    exposed = [int(arms.nth(i).locator("td.exposed").inner_text().replace(",", "")) for i in range(3)]
    assert sum(exposed) == CUSTOMERS and min(exposed) > 0
    assert words["early"] in page.locator("#verdict").inner_text()  # 500 planned per arm: too early to read

    download = page.request.get(f"{console.url}/experiments/{key}/report.json")
    report = json.loads(download.text())
    assert [a["exposed"] for a in report["analysis"]["arms"]] == exposed
    for i, arm in enumerate(report["analysis"]["arms"]):
        assert arm["analysed"] == arm["exposed"] and arm["rate"] is not None
        assert arms.nth(i).locator("td.rate").inner_text().startswith(f"{arm['rate'] * 100:.2f} %")

    page.wait_for_load_state("networkidle")
    charts = page.locator("figure.chart img")
    assert charts.count() == 2 and all(charts.nth(i).evaluate("img => img.naturalWidth > 0") for i in range(2))
    svg = page.request.get(f"{console.url}{charts.nth(0).get_attribute('src')}").text()
    assert words["chart"] in svg and all(name in svg for name in ("control", "als", "popular"))
    watch.assert_clean("report")

    page.goto(f"{console.url}/experiments")
    listed = page.locator(f'tr[data-experiment="{key}"]')
    assert listed.locator("td.status").inner_text() == words["running"]
    assert listed.locator("td.exposures").inner_text() == str(CUSTOMERS)

    page.goto(f"{console.url}/experiments/{key}")
    page.click("details#stop summary")
    page.click("details#stop button[type=submit]")
    page.wait_for_url(f"{console.url}/experiments/{key}?done=stopped")
    assert page.locator("#status").inner_text() == words["stopped"]
    assert page.locator("details#stop").count() == 0
    watch.assert_clean("stopped")
    context.close()


WARM = {"en": "Handpicked for you, just now:", "zh": "刚为您挑好的:"}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_marketer_creates_a_reply_wording_experiment_in_the_form(
    console: ConsoleThread,  # noqa: F811
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
    nothing_left_running: None,
    language: str,
) -> None:
    words = WORDS[language]
    key = f"words-{language}-{uuid.uuid4().hex[:6]}"
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, locale="zh-CN" if language == "zh" else "en-US"
    )
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, console.url, new_user(demo, StaffRole.SUPERVISOR, language))

    page.goto(f"{console.url}/experiments")
    page.fill("input[name=key]", key)
    page.select_option("select[name=surface]", "replies")
    page.select_option("select[name=metric]", "resolved")
    page.select_option("select[name=wording_key]", "rec_intro_popular")
    for row, name in enumerate(("control", "warm")):
        page.fill(f"input[name=arm_name_{row}]", name)
        page.fill(f"input[name=arm_weight_{row}]", "50")
    page.fill("input[name=arm_wording_en_1]", WARM["en"])  # the Chinese words forgotten
    page.fill("input[name=sample_size]", "300")
    page.click("#new-experiment button[type=submit]")
    page.locator("#form-error").wait_for()  # the page comes back refused (400), nothing written
    assert words["one_language"] in page.locator("#form-error").inner_text()
    assert page.input_value("input[name=arm_wording_en_1]") == WARM["en"]  # kept as typed
    with demo() as session:
        assert session.scalar(select(Experiment.id).where(Experiment.key == key)) is None

    page.fill("input[name=arm_wording_zh_1]", WARM["zh"])
    page.click("#new-experiment button[type=submit]")
    page.wait_for_url(f"{console.url}/experiments/{key}?done=created")
    assert page.locator(".notice").inner_text() == words["created"]
    watch.assert_clean("created")
    with demo() as session:
        created = get_experiment(session, key)
        assert created.surface.value == "replies"
        assert [a.parameters for a in created.arms] == [{}, {"wording": {"rec_intro_popular": WARM}}]

    page.click("details#start summary")
    page.click("details#start button[type=submit]")
    page.wait_for_url(f"{console.url}/experiments/{key}?done=started")
    assert page.locator("#status").inner_text() == words["running"]
    with demo() as session:  # a guest in the warm arm is given its words
        warm = next(
            found
            for found in (arm_for(session, "replies", conversation_id=f"guest-{i}", channel="web") for i in range(60))
            if found is not None and found.arm == "warm"
        )
        assert warm.experiment_key == key and warm.wording("rec_intro_popular") == WARM

    page.goto(f"{console.url}/experiments")
    listed = page.locator(f'tr[data-experiment="{key}"]')
    assert words["replies"] in listed.inner_text() and "wording:rec_intro_popular" in listed.inner_text()
    watch.assert_clean("listed")
    context.close()

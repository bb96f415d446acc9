"""The experiments page (#17 item 3) over HTTP, on a fresh CRM per test (one experiment runs per surface, so tests
do not share one): the list, the create form with valid and refused input (the CRM's own message on the form,
nothing written), start and stop with their refusals, roles and CSRF, both languages, the charts, and the report
equal to `python -m crm experiments report KEY --json`."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.cli import main as crm_cli
from crm.db import transaction
from crm.errors import InvalidInput
from crm.experiments.definitions import (
    get_experiment,
    parse_arm,
    parse_target,
    planned_sample_size,
    start_experiment,
    with_wordings,
)
from crm.experiments.serving import arm_for, record_exposure
from crm.models import (
    Category,
    Channel,
    Customer,
    Experiment,
    ExperimentStatus,
    Interaction,
    InteractionKind,
    Product,
    StaffRole,
)
from console import experiments as pages
from console.app import make_app
from console.i18n import format_moment
from tests.console.conftest import new_user
from tests.console.fake_rasa import FakeRasa
from tests.console.test_web import Staff, console_config, rasa  # noqa: F401 - fixtures

T0 = datetime(2025, 11, 1, 9, tzinfo=timezone.utc)
AS_OF = "2025-11-20T00:00:00+00:00"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def client(empty: sessionmaker[Session], tmp_path: Path, rasa: FakeRasa) -> AsyncIterator[TestClient]:  # noqa: F811
    client = TestClient(TestServer(make_app(console_config(empty.kw["bind"], tmp_path, rasa.url))))
    await client.start_server()
    yield client
    await client.close()


async def sign_in(
    client: TestClient, crm: sessionmaker[Session], role: StaffRole = StaffRole.SUPERVISOR, language: str = "en"
) -> Staff:
    staff = Staff(client)
    response = await staff.login(new_user(crm, role, language))
    assert response.status == 303
    await staff.page("/inbox")  # every role's page: its CSRF token
    return staff


def form(key: str = "recs-1", **fields: str) -> dict[str, str]:
    """The create form as a marketer fills it: the served default against ALS without category variety."""
    return {
        "key": key,
        "surface": "recommendations",
        "metric": "rec_click",
        "target": "all",
        "arm_name_0": "control",
        "arm_weight_0": "50",
        "arm_name_1": "als",
        "arm_weight_1": "50",
        "arm_strategy_1": "als",
        "arm_diversity_1": "off",
        "sample_size": "100",
        "window_days": "7",
        "alpha": "0.05",
        **fields,
    }


def experiments_in(crm: sessionmaker[Session]) -> int:
    with crm() as session:
        return session.scalar(select(func.count()).select_from(Experiment)) or 0


def crm_message(work: object) -> str:
    """What the CRM says about a refused input, as a page shows it (escaped)."""
    with pytest.raises(InvalidInput) as refused:
        work()  # type: ignore[operator]
    return str(escape(str(refused.value)))


# --- the list and the create form ----------------------------------------------------------------------------


async def test_a_supervisor_creates_starts_and_stops_an_experiment(
    client: TestClient, empty: sessionmaker[Session]
) -> None:
    staff = await sign_in(client, empty)
    page = await staff.page("/experiments")
    assert "No experiment yet." in page and 'href="/experiments" aria-current="page"' in page
    response = await staff.post("/experiments", form(description="ALS against the blend"))
    assert response.status == 303 and response.headers["Location"] == "/experiments/recs-1?done=created"
    with empty() as session:
        created = get_experiment(session, "recs-1")
        assert created.status == ExperimentStatus.DRAFT and created.planned_per_arm == 100
        assert [(a.name, a.weight, a.parameters) for a in created.arms] == [
            ("control", 50, parse_arm("control:50").parameters),
            ("als", 50, parse_arm("als:50:strategy=als,diversity=off").parameters),
        ]
        assert (created.metric.value, created.target_kind.value, created.window_days, created.alpha) == (
            "rec_click",
            "all",
            7,
            0.05,
        )
    report = await staff.page("/experiments/recs-1?done=created")
    assert "Experiment created as a draft" in report and 'action="/experiments/recs-1/start"' in report
    assert 'data-verdict="early"' in report and "Do not read these results yet" in report
    listing = await staff.page("/experiments")
    row = re.search(r'<tr data-experiment="recs-1">.*?</tr>', listing, re.S).group(0)
    assert "draft" in row and "recommendation click-through" in row and "strategy=als diversity=off" in row
    assert '<td class="exposures">0</td>' in row

    before = datetime.now(timezone.utc)
    response = await staff.post("/experiments/recs-1/start")
    assert response.status == 303 and response.headers["Location"] == "/experiments/recs-1?done=started"
    with empty() as session:
        running = get_experiment(session, "recs-1")
        assert running.status == ExperimentStatus.RUNNING and running.starts_at is not None
        assert before <= running.starts_at <= datetime.now(timezone.utc)
    page = await staff.page("/experiments/recs-1?done=started")
    assert 'action="/experiments/recs-1/stop"' in page and 'action="/experiments/recs-1/start"' not in page
    response = await staff.post("/experiments/recs-1/stop")
    assert response.status == 303 and response.headers["Location"] == "/experiments/recs-1?done=stopped"
    with empty() as session:
        assert get_experiment(session, "recs-1").status == ExperimentStatus.STOPPED
    page = await staff.page("/experiments/recs-1")
    assert "/stop" not in page and "/start" not in page and '<span class="status" id="status">stopped' in page


async def test_the_planned_sample_from_a_baseline_and_a_lift_is_the_clis(
    client: TestClient, empty: sessionmaker[Session]
) -> None:
    staff = await sign_in(client, empty, StaffRole.ADMIN)
    await staff.page("/experiments")
    response = await staff.post(
        "/experiments",
        form(sample_size="", baseline="0.05", mde="0.1", alpha="0.1", target="segment:at_risk", window_days="3"),
    )
    assert response.status == 303
    with empty() as session:
        created = get_experiment(session, "recs-1")
        assert created.planned_per_arm == planned_sample_size(0.05, 0.1, alpha=0.1)
        assert (created.target_kind.value, created.target_value, created.window_days) == ("segment", "at_risk", 3)


REFUSED = {
    "bad arm name": (form(arm_name_0="Control!"), lambda: parse_arm("Control!:50")),
    "weight zero": (form(arm_weight_1="0"), lambda: parse_arm("als:0")),
    "weight not a number": (form(arm_weight_1="half"), lambda: parse_arm("als:half")),
    "unknown setting": (form(arm_settings_1="colour=red"), lambda: parse_arm("als:50:colour=red")),
    "setting not key=value": (form(arm_settings_1="fast"), lambda: parse_arm("als:50:fast")),
    "bad strategy": (form(arm_strategy_1="random"), lambda: parse_arm("als:50:strategy=random")),
    "bad target": (form(target="segment:vip"), lambda: parse_target("segment:vip")),
    "bad key": (form(key="Big Sale!"), None),
    "one arm": (form(arm_name_1="", arm_weight_1="", arm_strategy_1="", arm_diversity_1=""), None),
    "same arm twice": (form(arm_name_1="control"), None),
    "metric": (form(metric="nps"), None),
    "lift out of range": (form(sample_size="", baseline="0.5", mde="2"), lambda: planned_sample_size(0.5, 2)),
}
CRM_WORDS = {
    "bad key": "experiment key &#39;Big Sale!&#39;: lower-case letters, digits, - and _ (at most 64)",
    "one arm": "an experiment needs 2 to 5 arms (the first is the control)",
    "same arm twice": "arm names must differ",
    "metric": "&#39;nps&#39; is not a valid ExperimentMetric",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_refused_input_shows_the_crms_message_on_the_form_and_writes_nothing(
    client: TestClient, empty: sessionmaker[Session], case: str
) -> None:
    staff = await sign_in(client, empty)
    await staff.page("/experiments")
    data, crm_call = REFUSED[case]
    response = await staff.post("/experiments", data)
    page = await response.text()
    assert response.status == 400, page[:300]
    message = CRM_WORDS[case] if crm_call is None else crm_message(crm_call)
    assert f"The CRM refused: {message}" in page
    assert f'name="key" value="{escape(data["key"])}"' in page  # the form keeps what was typed
    assert experiments_in(empty) == 0


async def test_a_duplicate_key_is_refused(client: TestClient, empty: sessionmaker[Session]) -> None:
    staff = await sign_in(client, empty)
    await staff.page("/experiments")
    assert (await staff.post("/experiments", form())).status == 303
    response = await staff.post("/experiments", form(sample_size="300"))
    assert response.status == 400
    assert "The CRM refused: an experiment &#39;recs-1&#39; exists already" in await response.text()
    with empty() as session:
        assert get_experiment(session, "recs-1").planned_per_arm == 100
    assert experiments_in(empty) == 1


@pytest.mark.parametrize(
    ("fields", "english", "chinese"),
    [
        ({"sample_size": ""}, "give the planned sample per arm, or the control", "请填写每组计划样本量,或填写对照组"),
        ({"baseline": "0.05"}, "give either the planned sample per arm or a baseline", "不要同时填写"),
        (
            {"sample_size": "", "baseline": "0.05"},
            "the baseline rate needs the smallest lift",
            "还需填写最小可检测提升",
        ),
        ({"sample_size": "lots"}, "sample_size must be a number, not &#39;lots&#39;", "sample_size 必须是数字"),
        ({"sample_size": "-5"}, "the planned sample per arm must be a positive whole number", "必须是正整数"),
        ({"alpha": "nan"}, "alpha must be a number, not &#39;nan&#39;", "alpha 必须是数字"),
        ({"alpha": "0.9"}, "alpha must be between 0 and 0.5", "alpha 必须在 0 和 0.5 之间"),
        (
            {"arm_name_1": "a:b"},
            "arm &#39;a:b&#39;: the name, the weight and the settings",
            "名称、权重和设置请分别填写",
        ),
        ({"description": "d" * 501}, "description: at most 500 characters", "description:最多 500 个字符"),
    ],
)
async def test_what_the_form_itself_refuses_reads_in_the_pages_language(
    client: TestClient, empty: sessionmaker[Session], fields: dict[str, str], english: str, chinese: str
) -> None:
    for language, expected in (("en", english), ("zh", chinese)):
        staff = await sign_in(client, empty, language=language)
        await staff.page("/experiments")
        response = await staff.post("/experiments", form(**fields))
        page = await response.text()
        assert response.status == 400 and expected in page, (language, page[page.find("form-error") :][:300])
    assert experiments_in(empty) == 0


# --- reply wordings and outreach offers -----------------------------------------------------------------------

WARM = {"en": "Handpicked for you today:", "zh": "今天为您精心挑选:"}


def replies_form(key: str = "words-1", **fields: str) -> dict[str, str]:
    """A replies experiment as a marketer fills it: the control keeps the popular list's heading, `warm`
    rewords it in both languages; metric `resolved`, which guests' conversations show too."""
    return {
        "key": key,
        "surface": "replies",
        "metric": "resolved",
        "target": "all",
        "wording_key": "rec_intro_popular",
        "arm_name_0": "control",
        "arm_weight_0": "50",
        "arm_name_1": "warm",
        "arm_weight_1": "50",
        "arm_wording_en_1": WARM["en"],
        "arm_wording_zh_1": WARM["zh"],
        "sample_size": "200",
        "window_days": "1",
        "alpha": "0.05",
        **fields,
    }


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_replies_experiment_is_created_from_the_form_as_the_cli_creates_it(
    client: TestClient, empty: sessionmaker[Session], language: str
) -> None:
    staff = await sign_in(client, empty, language=language)
    page = await staff.page("/experiments")
    assert 'name="wording_key"' in page and 'name="arm_wording_zh_4"' in page
    assert ("热门推荐的标题" if language == "zh" else "heading of the popular list") in page
    response = await staff.post("/experiments", replies_form())
    assert response.status == 303, (await response.text())[:500]
    cli_arms = with_wordings(
        [parse_arm("control:50"), parse_arm("warm:50")],
        [f"warm:rec_intro_popular:en={WARM['en']}", f"warm:rec_intro_popular:zh={WARM['zh']}"],
    )
    with empty() as session:
        created = get_experiment(session, "words-1")
        assert created.surface.value == "replies" and created.metric.value == "resolved"
        assert [(a.name, a.weight, a.parameters) for a in created.arms] == [
            (a.name, a.weight, a.parameters) for a in cli_arms
        ]
        start_experiment(session, "words-1")
        session.commit()
        worded = next(
            found
            for found in (arm_for(session, "replies", conversation_id=f"guest-{i}", channel="web") for i in range(50))
            if found is not None and found.arm == "warm"
        )
        assert worded.wording("rec_intro_popular") == WARM and "rec_intro_popular" in worded.varied
    listing = await staff.page("/experiments")
    row = re.search(r'<tr data-experiment="words-1">.*?</tr>', listing, re.S).group(0)
    assert "wording:rec_intro_popular" in row and ("回复措辞" if language == "zh" else "reply wording") in row


async def test_an_outreach_experiment_carries_each_treatment_arms_offer(
    client: TestClient, empty: sessionmaker[Session]
) -> None:
    staff = await sign_in(client, empty)
    await staff.page("/experiments")
    offer = {"en": "Welcome back: 10 % off, code TEN10.", "zh": "欢迎回来:九折,优惠码 TEN10。"}
    data = replies_form(
        "offers-1",
        surface="outreach",
        metric="purchase",
        wording_key="",
        arm_name_0="holdout",
        arm_wording_en_1=offer["en"],
        arm_wording_zh_1=offer["zh"],
        arm_name_2="campaign",
        arm_weight_2="50",
    )
    response = await staff.post("/experiments", data)
    assert response.status == 303, (await response.text())[:500]
    with empty() as session:
        arms = {a.name: a.parameters for a in get_experiment(session, "offers-1").arms}
    assert arms == {"holdout": {}, "warm": {"wording": {"outreach_message": offer}}, "campaign": {}}


WORDING_REFUSED = {
    "wording on recommendations": (
        form(arm_wording_en_1="Hi", arm_wording_zh_1="你好"),
        "wordings are for reply-wording and outreach experiments",
        "措辞只用于回复措辞和营销触达实验",
    ),
    "ranking on replies": (
        replies_form(arm_strategy_1="als"),
        "arm &#39;warm&#39;: this experiment changes wordings only",
        "实验组 &#39;warm&#39;:此实验只改变措辞",
    ),
    "no wording": (
        replies_form(arm_wording_en_1="", arm_wording_zh_1=""),
        "needs a wording in at least one arm",
        "至少需要一组填写中英文措辞",
    ),
    "one language": (
        replies_form(arm_wording_zh_1=""),
        "arm &#39;warm&#39;: give the wording in both English and Chinese",
        "措辞需要同时填写英文和中文",
    ),
    "too long": (replies_form(arm_wording_zh_1="好" * 301), "at most 300 characters", "措辞最多 300 个字符"),
    "braces": (replies_form(arm_wording_en_1="Hi {name}"), "cannot hold { or }", "不能包含 { 或 }"),
    "unknown message": (replies_form(wording_key="ask_order_id"), "choose the message the arms reword", "请选择"),
    "hold-out worded": (
        replies_form(surface="outreach", arm_wording_en_0="Hi", arm_wording_zh_0="你好"),
        "arm &#39;control&#39; is the hold-out",
        "实验组 &#39;control&#39; 是不触达的对照组",
    ),
}


@pytest.mark.parametrize("case", sorted(WORDING_REFUSED))
async def test_wording_mistakes_are_refused_in_the_pages_language_and_nothing_is_written(
    client: TestClient, empty: sessionmaker[Session], case: str
) -> None:
    data, english, chinese = WORDING_REFUSED[case]
    for language, expected in (("en", english), ("zh", chinese)):
        staff = await sign_in(client, empty, language=language)
        await staff.page("/experiments")
        response = await staff.post("/experiments", data)
        page = await response.text()
        assert response.status == 400 and expected in page, (language, page[page.find("form-error") :][:300])
        if "arm_wording_en_1" in data and data["arm_wording_en_1"]:
            assert f'value="{escape(data["arm_wording_en_1"])}"' in page  # the form keeps what was typed
    assert experiments_in(empty) == 0


# --- start and stop ------------------------------------------------------------------------------------------


async def test_start_and_stop_refusals_and_schedules(client: TestClient, empty: sessionmaker[Session]) -> None:
    staff = await sign_in(client, empty)
    await staff.page("/experiments")
    for key in ("first", "second"):
        assert (await staff.post("/experiments", form(key))).status == 303
    await staff.page("/experiments/first")
    stop_draft = await staff.post("/experiments/first/stop")
    assert stop_draft.status == 400
    assert "The CRM refused: experiment &#39;first&#39; is draft, not running" in await stop_draft.text()
    bad_time = await staff.post("/experiments/first/start", {"at": "next tuesday"})
    assert bad_time.status == 400 and "&#39;next tuesday&#39; is not a date and time" in await bad_time.text()

    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    local = later.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")  # as a browser's datetime field sends it
    assert (await staff.post("/experiments/first/start", {"at": local})).status == 303
    with empty() as session:
        assert get_experiment(session, "first").starts_at == later.replace(second=0)
    page = await staff.page("/experiments/first")
    assert f"Assignment starts at {format_moment('en', later, SHANGHAI)}." in page

    second = await staff.post("/experiments/second/start")
    assert second.status == 400
    assert "experiment &#39;first&#39; already runs on recommendations; stop it first" in await second.text()
    too_early = await staff.post("/experiments/first/stop", {"at": "2025-01-01T00:00"})
    assert too_early.status == 400 and "it cannot stop before that" in await too_early.text()
    stop_at = later + timedelta(days=14)
    response = await staff.post("/experiments/first/stop", {"at": stop_at.isoformat()})
    assert response.status == 303 and response.headers["Location"] == "/experiments/first?done=stop_scheduled"
    with empty() as session:
        scheduled = get_experiment(session, "first")
        assert scheduled.status == ExperimentStatus.RUNNING and scheduled.stops_at == stop_at
    page = await staff.page("/experiments/first?done=stop_scheduled")
    assert f"Assignment stops at {format_moment('en', stop_at, SHANGHAI)}." in page and "/stop" not in page


async def test_unknown_and_malformed_keys_are_not_found(client: TestClient, empty: sessionmaker[Session]) -> None:
    staff = await sign_in(client, empty)
    await staff.page("/experiments/nothing-here", status=404)
    await staff.page("/experiments/NOT%20A%20KEY", status=404)
    await staff.page("/experiments/nothing-here/charts/rates.svg", status=404)
    assert (await staff.post("/experiments/nothing-here/start")).status == 404
    assert (await staff.post("/experiments/x" * 40 + "/stop")).status == 404


# --- who may, and CSRF ---------------------------------------------------------------------------------------


async def test_agents_neither_see_nor_use_the_page(client: TestClient, empty: sessionmaker[Session]) -> None:
    supervisor = await sign_in(client, empty)
    await supervisor.page("/experiments")
    assert (await supervisor.post("/experiments", form())).status == 303

    agent = await sign_in(client, empty, StaffRole.AGENT)
    inbox = await agent.page("/inbox")
    assert 'href="/experiments"' not in inbox
    for path in ("/experiments", "/experiments/recs-1", "/experiments/recs-1/report.json"):
        page = await agent.page(path, status=403)
        assert "This page is for supervisors and above." in page
    refused = await agent.post("/experiments", form("agents-own"))
    assert refused.status == 403
    assert (await agent.post("/experiments/recs-1/start")).status == 403
    with empty() as session:
        assert get_experiment(session, "recs-1").status == ExperimentStatus.DRAFT
    assert experiments_in(empty) == 1


async def test_every_change_needs_the_csrf_token(client: TestClient, empty: sessionmaker[Session]) -> None:
    staff = await sign_in(client, empty)
    await staff.page("/experiments")
    assert (await staff.post("/experiments", form())).status == 303
    for path, data in (("/experiments", form("forged")), ("/experiments/recs-1/start", {})):
        for token in (None, "not-the-token"):
            fields = {k: v for k, v in data.items()} | ({} if token is None else {"csrf_token": token})
            response = await client.post(path, data=fields, allow_redirects=False)
            assert response.status == 403 and "CSRF" in await response.text()
    cross = await client.post(
        "/experiments/recs-1/start",
        data={"csrf_token": staff.csrf},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert cross.status == 403
    with empty() as session:
        assert get_experiment(session, "recs-1").status == ExperimentStatus.DRAFT
    assert experiments_in(empty) == 1


# --- the report ----------------------------------------------------------------------------------------------


def exposed(crm: sessionmaker[Session], key: str, customers: int) -> None:
    """`customers` known customers see their arm from T0 on; a third of the ALS arm and a fifth of the control
    click a recommendation a day later."""
    with transaction(crm) as session:
        category = Category(slug="kitchen", name_en="Kitchen", name_zh="厨房")
        session.add(category)
        session.flush()
        product = Product(
            sku="SKU-1",
            name_en="Kettle",
            name_zh="水壶",
            description_en="",
            description_zh="",
            category_id=category.id,
            brand="B",
            price=10,
            stock=5,
            created_at=T0,
        )
        session.add(product)
        seen = {"control": 0, "als": 0}
        for i in range(customers):
            customer = Customer(created_at=T0 - timedelta(days=30))
            session.add(customer)
            session.flush()
            at = T0 + timedelta(hours=i % 72)
            assignment = arm_for(session, "recommendations", customer_id=customer.id, channel="web", now=at)
            assert assignment is not None and record_exposure(session, assignment, "web", now=at)
            seen[assignment.arm] += 1
            if seen[assignment.arm] % (3 if assignment.arm == "als" else 5) == 0:
                session.add(
                    Interaction(
                        customer_id=customer.id,
                        product_id=product.id,
                        kind=InteractionKind.REC_CLICK,
                        weight=3.0,
                        channel=Channel.WEB,
                        occurred_at=at + timedelta(days=1),
                    )
                )
    assert key


def cli_report(crm: sessionmaker[Session], key: str, capsys: pytest.CaptureFixture[str]) -> dict:
    url = crm.kw["bind"].url.render_as_string(hide_password=False)
    capsys.readouterr()
    assert crm_cli(["--database-url", url, "experiments", "report", key, "--as-of", AS_OF, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


async def test_the_report_is_the_clis_report(
    client: TestClient, empty: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON download is the CLI's document, and the page shows each of its figures."""
    staff = await sign_in(client, empty)
    await staff.page("/experiments")
    assert (await staff.post("/experiments", form(sample_size="150"))).status == 303
    assert (await staff.post("/experiments/recs-1/start", {"at": T0.isoformat()})).status == 303
    exposed(empty, "recs-1", 400)

    cli = cli_report(empty, "recs-1", capsys)
    response = await client.get(f"/experiments/recs-1/report.json?as_of={quote(AS_OF)}")
    assert response.status == 200 and response.content_type == "application/json"
    assert await response.json() == cli
    analysis = cli["analysis"]
    assert sum(a["exposed"] for a in analysis["arms"]) == 400 and analysis["reached"]
    assert analysis["arms"][1]["p_value"] is not None and analysis["srm_p"] is not None

    page = await staff.page(f"/experiments/recs-1?as_of={quote(AS_OF)}")
    for arm in analysis["arms"]:
        row = re.search(rf'<tr data-arm="{arm["name"]}">.*?</tr>', page, re.S).group(0)
        assert f'<td class="exposed">{arm["exposed"]:,}</td>' in row
        assert f'<td class="analysed">{arm["analysed"]:,}</td>' in row
        assert f'<td class="converted">{arm["conversions"]:,}</td>' in row
        rates = [f"{arm[k] * 100:.2f} %" for k in ("rate", "rate_low", "rate_high")]
        assert f'<td class="rate">{rates[0]} [{rates[1]}, {rates[2]}]</td>' in row
        if arm is analysis["arms"][0]:
            assert '<td class="lift">control</td>' in row
            continue
        lifts = [f"{arm[k] * 100:+.1f} %" for k in ("lift", "lift_low", "lift_high")]
        assert f'<td class="lift">{lifts[0]} [{lifts[1]}, {lifts[2]}]</td>' in row
        assert f'<td class="p">{arm["p_value"]:.3g}</td>' in row
        assert f'<td class="p-holm">{arm["adjusted_p"]:.3g}</td>' in row
    assert f"fine (chi-square p = {analysis['srm_p']:.3g})" in page
    assert f"{analysis['mde'] * 100:+.1f} % relative change (80 % power)" in page
    assert f"reached: every arm has at least {analysis['planned_per_arm']:,} analysed units" in page
    verdict = "winner" if analysis["winner"] == "als" else ("control" if analysis["winner"] else "none")
    assert f'data-verdict="{verdict}"' in page
    if verdict == "winner":
        assert "als beats control: lift" in page
    assert "one treatment arm: Holm leaves it unchanged" in page and "Wilson score intervals" in page


async def test_before_the_horizon_the_page_says_not_to_read_the_results(
    client: TestClient, empty: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    staff = await sign_in(client, empty, language="zh")
    await staff.page("/experiments")
    assert (await staff.post("/experiments", form(sample_size="5000"))).status == 303
    assert (await staff.post("/experiments/recs-1/start", {"at": T0.isoformat()})).status == 303
    exposed(empty, "recs-1", 120)
    cli = cli_report(empty, "recs-1", capsys)
    assert not cli["analysis"]["reached"] and cli["analysis"]["winner"] is None
    page = await staff.page(f"/experiments/recs-1?as_of={quote(AS_OF)}")
    smallest = min(a["analysed"] for a in cli["analysis"]["arms"])
    assert 'data-verdict="early"' in page
    assert f"现在还不能解读结果:样本最少的一组只有 {smallest} 个已分析样本,计划为 5,000 个。" in page
    assert f"未达到:最少的一组有 {smallest}/5,000 个已分析样本" in page
    assert "实验 recs-1" in page and "进行中" in page and "曝光后 7 天内的推荐点击" in page and "对照组" in page
    assert format_moment("zh", T0, SHANGHAI) in page  # the start, as Chinese writes dates


async def test_the_charts_draw_the_reports_figures(
    client: TestClient, empty: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    staff = await sign_in(client, empty)
    await staff.page("/experiments")
    assert (await staff.post("/experiments", form(sample_size="150"))).status == 303
    for name in ("rates", "daily"):  # a draft: nothing to draw yet, said in words
        response = await client.get(f"/experiments/recs-1/charts/{name}.svg")
        assert response.status == 200 and response.content_type == "image/svg+xml"
        assert "No analysed units yet" in await response.text()
    assert (await staff.post("/experiments/recs-1/start", {"at": T0.isoformat()})).status == 303
    exposed(empty, "recs-1", 400)
    cli = cli_report(empty, "recs-1", capsys)

    rates = await (await client.get(f"/experiments/recs-1/charts/rates.svg?as_of={quote(AS_OF)}")).text()
    for arm in cli["analysis"]["arms"]:
        assert arm["name"] in rates and f"{arm['rate'] * 100:.2f} %" in rates
    daily_svg = await (await client.get(f"/experiments/recs-1/charts/daily.svg?as_of={quote(AS_OF)}")).text()
    assert "cumulative rate (%)" in daily_svg and "11-01" in daily_svg
    assert (await client.get("/experiments/recs-1/charts/other.svg")).status == 404

    with empty() as session:
        series = pages.daily(session, "recs-1", datetime.fromisoformat(AS_OF), SHANGHAI)
    assert series.days[0].isoformat() == "2025-11-01" and series.days[-1].isoformat() == "2025-11-20"
    assert [rates[-1] for rates in series.rates] == [a["rate"] for a in cli["analysis"]["arms"]]
    assert all(r is None for rates in series.rates for r in rates[:7])  # no window has ended in the first week

    zh = await sign_in(client, empty, language="zh")
    chart = await (await zh.client.get(f"/experiments/recs-1/charts/rates.svg?as_of={quote(AS_OF)}")).text()
    assert "转化率(%)及 95% 置信区间" in chart

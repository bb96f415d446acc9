"""The console over HTTP (aiohttp's test client against the real application and a small demo CRM, with a
stand-in Rasa server): sign-in, cookies, CSRF, roles, TOTP, masking and its audited reveal, corrections and
their export, the hand-off workspace, customer 360 and the dashboard."""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyotp
import pytest
import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from kelian.agent_voice import encode

from crm.db import run_transaction
from crm.models import (
    AuditEntry,
    Conversation,
    ConversationStatus,
    HandoffRequest,
    HandoffStatus,
    NluCorrection,
    StaffRole,
    StaffUser,
)
from crm.repository import find_customer, open_conversation, record_message, request_handoff
from console.app import make_app
from console.config import ConsoleConfig
from tests.console.conftest import PASSWORD, new_user
from tests.console.fake_rasa import TOKEN, FakeRasa

# Every console a test builds retrains with the stand-in trainer, never a real `rasa train` in the background
# (the hostile-input tests post to every route, /model/retrain included).
FAKE_TRAINER = Path(__file__).with_name("fake_trainer.py")
FAKE = f"{sys.executable} {FAKE_TRAINER}"
os.environ.setdefault("KELIAN_TRAIN_COMMAND", f"{FAKE} train --out {{out}}")
os.environ.setdefault("KELIAN_EVAL_COMMAND", f"{FAKE} evaluate --model {{model}} --json {{json}}")

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


class Staff:
    """One browser: its cookie jar, and the CSRF token of the last page it read."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    async def login(self, name: str, password: str = PASSWORD, next_page: str = "/inbox") -> ClientResponse:
        form = await self.client.get("/login")
        found = CSRF.search(await form.text())
        assert found is not None, "no CSRF token on the sign-in page"
        token = found.group(1)
        return await self.client.post(
            "/login",
            data={"csrf_token": token, "username": name, "password": password, "next": next_page},
            allow_redirects=False,
        )

    async def page(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path)
        text = await response.text()
        assert response.status == status, text[:500]
        found = CSRF.search(text)
        if found and found.group(1):
            self.csrf = found.group(1)
        return text

    async def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> ClientResponse:
        return await self.client.post(
            path, data={"csrf_token": self.csrf, **(data or {})}, allow_redirects=False, **kwargs
        )


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


def console_config(engine: Engine, tmp_path: Path, rasa_url: str, **changes: Any) -> ConsoleConfig:
    return ConsoleConfig(
        database_url=engine.url.render_as_string(hide_password=False),
        rasa_url=rasa_url,
        rasa_token=TOKEN,
        var_dir=tmp_path,
        recommender_path=tmp_path / "no-recommender",
        # corrections exported by a test (a retraining) go to the test's folder, never to the repository's data/
        # and a model a test activates goes to its models folder, never to the one the Rasa server loads
        **{"secure_cookies": False, "nlu_dir": tmp_path / "nlu", "models_dir": tmp_path / "models", **changes},
    )


@pytest.fixture
async def client(demo_engine: Engine, tmp_path: Path, rasa: FakeRasa) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(make_app(console_config(demo_engine, tmp_path, rasa.url))))
    await client.start_server()
    yield client
    await client.close()


async def signed_in(client: TestClient, demo: sessionmaker[Session], role: str = "agent") -> tuple[Staff, str]:
    name = new_user(demo, role)
    staff = Staff(client)
    response = await staff.login(name)
    assert response.status == 303
    await staff.page("/inbox")
    return staff, name


def staff_id(demo: sessionmaker[Session], username: str) -> int:
    with demo() as session:
        return session.scalars(select(StaffUser.id).where(StaffUser.username == username)).one()


def audit_actions(demo: sessionmaker[Session], actor: str) -> list[str]:
    with demo() as session:
        return [
            e.action
            for e in session.scalars(select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id))
        ]


# --- signing in, cookies, CSRF, roles ---------------------------------------------------------------


async def test_health_and_security_headers(client: TestClient) -> None:
    response = await client.get("/health")
    assert response.status == 200 and (await response.json()) == {"status": "ok"}
    login = await client.get("/login")
    headers = login.headers
    assert (
        "default-src 'self'" in headers["Content-Security-Policy"]
        and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    )
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


async def test_pages_need_signing_in(client: TestClient) -> None:
    response = await client.get("/conversations?q=x", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login?next=/conversations?q=x"
    response = await client.get("/handoffs/1/live", headers={"Accept": "application/json"}, allow_redirects=False)
    assert response.status == 401


async def test_login_with_a_wrong_then_the_right_password(client: TestClient, demo: sessionmaker[Session]) -> None:
    name = new_user(demo)
    staff = Staff(client)
    wrong = await staff.login(name, "not my password at all")
    assert wrong.status == 401 and "Wrong username or password." in await wrong.text()
    unknown = await staff.login("nobody-here", PASSWORD)
    assert unknown.status == 401 and "Wrong username or password." in await unknown.text()
    right = await staff.login(name, next_page="/conversations")
    assert right.status == 303 and right.headers["Location"] == "/conversations"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith("kelian_console=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert f">{name}</a>" in await staff.page("/conversations")
    assert audit_actions(demo, name) == ["staff_login_failed", "staff_login"]


async def test_a_login_redirect_stays_inside_the_console(client: TestClient, demo: sessionmaker[Session]) -> None:
    staff = Staff(client)
    response = await staff.login(new_user(demo), next_page="//evil.example/")
    assert response.headers["Location"] == "/"


async def test_lock_out_through_the_sign_in_form(client: TestClient, demo: sessionmaker[Session]) -> None:
    name = new_user(demo)
    staff = Staff(client)
    statuses = [(await staff.login(name, "wrong password here")).status for _ in range(5)]
    assert statuses == [401] * 5  # the lock is not announced: that would tell that the account exists
    locked = await staff.login(name)
    assert locked.status == 401 and "Wrong username or password." in await locked.text()
    assert "lock the account for 15 minutes" in await locked.text()  # the page's standing hint
    assert audit_actions(demo, name)[-2:] == ["staff_login_locked", "staff_login_refused"]


async def test_secure_cookies_by_default(
    demo_engine: Engine, demo: sessionmaker[Session], tmp_path: Path, rasa: FakeRasa
) -> None:
    config = console_config(demo_engine, tmp_path, rasa.url, secure_cookies=True)
    async with TestClient(TestServer(make_app(config))) as client:
        form = await client.get("/login")
        login_cookie = form.cookies["kelian_console_login"]
        assert login_cookie["secure"] and login_cookie["httponly"] and login_cookie["samesite"] == "Strict"
        # A client keeps Secure cookies for https only: sent back by hand, as a browser on https would.
        response = await client.post(
            "/login",
            headers={"Cookie": f"kelian_console_login={login_cookie.value}"},
            data={
                "csrf_token": CSRF.search(await form.text()).group(1),
                "username": new_user(demo),
                "password": PASSWORD,
            },
            allow_redirects=False,
        )
        cookie = response.cookies["__Host-kelian_console"]
        assert response.status == 303 and cookie["secure"] and cookie["httponly"] and cookie["path"] == "/"


async def test_state_changes_need_the_csrf_token(client: TestClient, demo: sessionmaker[Session]) -> None:
    staff, name = await signed_in(client, demo)
    for data in ({}, {"csrf_token": "forged"}):
        response = await client.post("/account/totp/start", data=data, allow_redirects=False)
        assert response.status == 403 and "CSRF" in await response.text()
    cross_site = await staff.post("/account/totp/start", headers={"Origin": "https://evil.example"})
    assert cross_site.status == 403
    assert (await staff.post("/account/totp/start")).status == 200
    header = await client.post("/account/totp/start", headers={"X-CSRF-Token": staff.csrf}, allow_redirects=False)
    assert header.status == 200
    # The sign-in form has its own token, tied to a cookie of the browser that loaded it.
    stranger = await client.post(
        "/login", data={"csrf_token": "x", "username": name, "password": PASSWORD}, allow_redirects=False
    )
    assert stranger.status == 403


async def test_roles(client: TestClient, demo: sessionmaker[Session]) -> None:
    agent, _ = await signed_in(client, demo, "agent")
    for path in ("/dashboard", "/admin/users", "/corrections/export/en.yml"):
        assert "This page is for" in await agent.page(path, status=403)
    inbox = await agent.page("/inbox")
    assert 'href="/dashboard"' not in inbox and 'href="/admin/users"' not in inbox
    await agent.post("/logout")
    supervisor, _ = await signed_in(client, demo, "supervisor")
    assert 'id="service-containment"' in await supervisor.page("/dashboard")
    assert "This page is for admins" in await supervisor.page("/admin/users", status=403)
    await supervisor.post("/logout")
    admin, _ = await signed_in(client, demo, "admin")
    assert "Console users" in await admin.page("/admin/users")
    created = await admin.post("/admin/users", {"username": "new.agent", "role": "agent", "password": PASSWORD})
    assert created.status == 303
    assert 'data-user="new.agent"' in await admin.page("/admin/users?done=created")


async def test_sign_out_ends_the_session(client: TestClient, demo: sessionmaker[Session]) -> None:
    staff, _ = await signed_in(client, demo)
    response = await staff.post("/logout")
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert (await client.get("/inbox", allow_redirects=False)).status == 303


async def test_totp_enrolment_and_two_step_sign_in(client: TestClient, demo: sessionmaker[Session]) -> None:
    staff, name = await signed_in(client, demo)
    page = await (await staff.post("/account/totp/start")).text()
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page and "otpauth://totp/" in page
    wrong = await staff.post("/account/totp/confirm", {"secret": secret, "code": "12345"})
    assert wrong.status == 400
    done = await staff.post("/account/totp/confirm", {"secret": secret, "code": pyotp.TOTP(secret).now()})
    assert done.status == 303
    await staff.post("/logout")

    first = await staff.login(name)
    assert first.status == 303 and first.headers["Location"].startswith("/login/totp")
    # Half signed in: nothing but the code step.
    assert (await client.get("/conversations", allow_redirects=False)).headers["Location"] == "/login/totp"
    await staff.page("/login/totp")
    bad = await staff.post("/login/totp", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert bad.status == 401
    # The enrolment used the current code; the next one (one step of clock drift is accepted) is new.
    next_code = pyotp.TOTP(secret).at(datetime.now(timezone.utc) + timedelta(seconds=30))
    ok = await staff.post("/login/totp", {"code": next_code, "next": "/conversations"})
    assert ok.status == 303 and ok.headers["Location"] == "/conversations"
    await staff.page("/conversations")


# --- transcripts, masking, corrections -------------------------------------------------------------


@pytest.fixture
def alice_conversation(demo: sessionmaker[Session]) -> tuple[int, int]:
    """A conversation of demo-alice with personal data in a message; (conversation id, that message's id)."""
    word = uuid.uuid4().hex[:10]

    def setup(session: Session) -> tuple[int, int]:
        alice = find_customer(session, "rest", "demo-alice")
        conversation = open_conversation(session, "rest", f"alice-{word}", customer_id=alice.id, language="en")
        message = record_message(
            session,
            conversation,
            "customer",
            f"hi I'm Alice Chen, where is my jacket {word}? mail me at alice@example.com or call 13800138000",
            intent="product_info",
            confidence=0.41,
            entities=[{"entity": "email", "value": "alice@example.com"}],
        )
        record_message(session, conversation, "bot", "Let me check that for you.")
        return conversation, message

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    return run_transaction(demo, setup)


async def test_transcript_search_filters_and_masking(
    client: TestClient, demo: sessionmaker[Session], alice_conversation: tuple[int, int]
) -> None:
    staff, name = await signed_in(client, demo)
    conversation, _ = alice_conversation
    with demo() as session:
        word = re.search(r"jacket (\w+)", session.get(Conversation, conversation).messages[0].text).group(1)
    found = await staff.page(f"/conversations?q={word.upper()}")
    assert f'href="/conversations/{conversation}"' in found and "1 conversation mention" in found
    assert "Alice Chen" not in found and "alice@example.com" not in found and "13800138000" not in found
    assert "a***@example.com" in found and "138****8000" in found
    low = await staff.page("/conversations?low_confidence=1&channel=rest&language=en&customer=rest:demo-alice")
    assert f'href="/conversations/{conversation}"' in low
    assert f'href="/conversations/{conversation}"' not in await staff.page("/conversations?channel=wechat")
    assert f'href="/conversations/{conversation}"' not in await staff.page(
        f"/conversations?q={word}&outcome=resolved_by_bot"
    )
    assert "is not a date" in await staff.page("/conversations?from=yesterday")
    assert "search_transcripts" in audit_actions(demo, name)


async def test_a_conversation_shows_the_nlu_and_reveals_personal_data_on_request(
    client: TestClient, demo: sessionmaker[Session], alice_conversation: tuple[int, int]
) -> None:
    staff, name = await signed_in(client, demo)
    conversation, message = alice_conversation
    page = await staff.page(f"/conversations/{conversation}")
    assert "product_info" in page and 'class="low">confidence 0.41' in page
    assert "Alice Chen" not in page and "alice@example.com" not in page and "A*** C***" in page
    revealed = await (await staff.post(f"/conversations/{conversation}")).text()
    assert "Alice Chen" in revealed and "alice@example.com" in revealed and "13800138000" in revealed
    with demo() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.actor == name, AuditEntry.action == "reveal_personal_data")
        ).one()
        assert entry.detail["conversation_id"] == conversation and entry.detail["revealed"] is True
        assert "alice" not in str(entry.detail).lower()


async def test_correcting_an_intent_and_exporting_it(
    client: TestClient, demo: sessionmaker[Session], alice_conversation: tuple[int, int]
) -> None:
    agent, name = await signed_in(client, demo)
    conversation, message = alice_conversation
    await agent.page(f"/conversations/{conversation}")
    kept = await agent.post(
        f"/messages/{message}/correction",
        {"intent": "track_order", "entity_value_0": "not in the text", "entity_type_0": "product"},
    )  # saved without the entity, and the page says why (tests/console/test_corrections_web.py)
    assert kept.status == 200 and "does not appear in the example" in await kept.text()
    unknown = await agent.post(f"/messages/{message}/correction", {"intent": "make_coffee"})
    assert unknown.status == 400
    saved = await agent.post(
        f"/messages/{message}/correction",
        {
            "intent": "track_order",
            "text": "where is my jacket? mail me at sam@example.org",
            "entity_value_0": "jacket",
            "entity_type_0": "product",
            "entity_value_1": "sam@example.org",
            "entity_type_1": "email",
        },
    )
    assert (
        saved.status == 303 and saved.headers["Location"] == f"/conversations/{conversation}?fixed={message}#m{message}"
    )
    with demo() as session:
        correction = session.scalars(select(NluCorrection).where(NluCorrection.message_id == message)).one()
        assert (correction.intent, correction.predicted_intent, correction.author) == (
            "track_order",
            "product_info",
            name,
        )
        assert [e["entity"] for e in correction.entities] == ["product", "email"]
    listing = await agent.page("/corrections")
    assert "track_order" in listing and "Supervisors and admins export them." in listing
    await agent.post("/logout")

    supervisor, _ = await signed_in(client, demo, "supervisor")
    response = await client.get("/corrections/export/en.yml")
    assert response.status == 200 and "corrections-en.yml" in response.headers["Content-Disposition"]
    exported = yaml.safe_load(await response.text())
    assert exported["version"] == "3.1"
    blocks = {b["intent"]: b["examples"] for b in exported["nlu"]}
    assert "- where is my [jacket](product)? mail me at [sam@example.org](email)\n" in blocks["track_order"]
    with demo() as session:
        assert session.scalars(select(NluCorrection).where(NluCorrection.message_id == message)).one().exported_at


# --- the hand-off workspace ----------------------------------------------------------------------------


@pytest.fixture
def waiting(demo: sessionmaker[Session]) -> tuple[int, str]:
    """A conversation of demo-li queued for a person, with its Rasa sender; (hand-off id, sender)."""
    sender = f"li-{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> int:
        li = find_customer(session, "rest", "demo-li")
        conversation = open_conversation(session, "rest", sender, customer_id=li.id, language="zh")
        record_message(
            session, conversation, "customer", "我要找人工客服", intent="contact_human_agent", confidence=0.97
        )
        handoff = request_handoff(
            session,
            conversation,
            reason="customer asked",
            summary="customer: 我要找人工客服",
            priority=100,
            sender_id=sender,
        )
        return handoff

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    handoff = run_transaction(demo, setup)
    return handoff, sender


async def test_taking_answering_and_handing_back(
    client: TestClient, demo: sessionmaker[Session], rasa: FakeRasa, waiting: tuple[int, str]
) -> None:
    handoff, sender = waiting
    rasa.events[sender] = [
        {"event": "session_started"},
        {
            "event": "user",
            "text": "我要找人工客服，我的电话13912345678",
            "timestamp": 1767000000.0,
            "parse_data": {"intent": {"name": "contact_human_agent"}},
        },
        {"event": "action", "name": "action_handoff"},
        {"event": "pause"},
    ]
    agent, name = await signed_in(client, demo)
    inbox = await agent.page("/inbox")
    assert inbox.index(f'data-handoff="{handoff}"') < inbox.index("</table>")  # priority 100 is served first
    page = await agent.page(f"/handoffs/{handoff}")
    assert "139****5678" in page and "13912345678" not in page and "Take this conversation" in page
    assert (await agent.post(f"/handoffs/{handoff}/reply", {"text": "hello"})).status == 409  # not taken yet
    assert (await agent.post(f"/handoffs/{handoff}/take")).status == 303

    reply = await agent.post(f"/handoffs/{handoff}/reply", {"text": "您好，我是客服小美，马上为您处理。"})
    assert reply.status == 303
    kinds = [
        (kind, query.get("output_channel"), body)
        for kind, who, query, body in rasa.requests
        if who == sender and kind != "GET"
    ]
    agent_id = staff_id(demo, name)
    # Taking it told the customer who joined; the reply goes under the same name (kelian.agent_voice).
    assert kinds[0] == (
        "events",
        None,
        [{"event": "slot", "name": "agent_message", "value": encode("joined", f"客服{agent_id}号")}],
    )
    assert kinds[2] == (
        "events",
        None,
        [
            {
                "event": "slot",
                "name": "agent_message",
                "value": encode("message", f"客服{agent_id}号", "您好，我是客服小美，马上为您处理。"),
            }
        ],
    )
    assert kinds[1] == kinds[3] == ("execute", "latest", {"name": "action_agent_message"})
    live = await (await client.get(f"/handoffs/{handoff}/live", headers={"Accept": "application/json"})).json()
    assert {"who": "agent", "text": "您好，我是客服小美，马上为您处理。"} in [
        {"who": m["who"], "text": m["text"]} for m in live["messages"]
    ]

    back = await agent.post(f"/handoffs/{handoff}/close")
    assert back.status == 303 and back.headers["Location"] == "/inbox?done=closed"
    assert rasa.requests[-3][0] == "events" and rasa.requests[-3][3] == [
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
    ]
    assert rasa.requests[-5][3] == [
        {"event": "slot", "name": "agent_message", "value": encode("left", f"客服{agent_id}号")}
    ]
    # then the bot asks the customer to rate the help (CSAT), on their channel, and listens
    assert rasa.requests[-2][0] == "execute" and rasa.requests[-2][2]["output_channel"] == "latest"
    assert rasa.requests[-2][3] == {"name": "action_ask_csat"}
    assert rasa.requests[-1][0] == "events" and rasa.requests[-1][3] == [{"event": "action", "name": "action_listen"}]
    with demo() as session:
        request = session.get(HandoffRequest, handoff)
        assert (request.status, request.agent) == (HandoffStatus.CLOSED, name)
        assert session.get(Conversation, request.conversation_id).status == ConversationStatus.RESOLVED_BY_AGENT
    assert {"handoff_take", "handoff_reply", "handoff_hand_back"} <= set(audit_actions(demo, name))


async def test_a_taken_conversation_is_not_taken_twice(
    demo_engine: Engine, demo: sessionmaker[Session], tmp_path: Path, rasa: FakeRasa, waiting: tuple[int, str]
) -> None:
    handoff, _ = waiting
    app = make_app(console_config(demo_engine, tmp_path, rasa.url))
    async with TestClient(TestServer(app)) as first_browser:
        first, first_name = await signed_in(first_browser, demo)
        assert (await first.post(f"/handoffs/{handoff}/take")).status == 303
        async with TestClient(TestServer(make_app(console_config(demo_engine, tmp_path, rasa.url)))) as second_browser:
            second, _ = await signed_in(second_browser, demo)
            refused = await second.post(f"/handoffs/{handoff}/take")
            assert refused.status == 409 and f"{first_name} has already taken" in await refused.text()
            assert (await second.post(f"/handoffs/{handoff}/close")).status == 409
            supervisor, boss = await signed_in(second_browser, demo, "supervisor")
            assert (await supervisor.post(f"/handoffs/{handoff}/take")).status == 303
    with demo() as session:
        assert session.get(HandoffRequest, handoff).agent == boss


async def test_rasa_down_keeps_the_conversation_with_the_agent(
    demo_engine: Engine, demo: sessionmaker[Session], tmp_path: Path, waiting: tuple[int, str]
) -> None:
    handoff, _ = waiting
    async with TestClient(TestServer(make_app(console_config(demo_engine, tmp_path, "http://127.0.0.1:9")))) as browser:
        agent, _ = await signed_in(browser, demo)
        await agent.post(f"/handoffs/{handoff}/take")
        page = await agent.page(f"/handoffs/{handoff}")
        assert "Live exchange unavailable" in page
        reply = await agent.post(f"/handoffs/{handoff}/reply", {"text": "hello"})
        assert reply.status == 502 and "Not delivered" in await reply.text()
        back = await agent.post(f"/handoffs/{handoff}/close")
        assert back.status == 502 and "Not handed back" in await back.text()
    with demo() as session:
        assert session.get(HandoffRequest, handoff).status == HandoffStatus.ASSIGNED


# --- customer 360 and the dashboard -----------------------------------------------------------------------


async def test_customer_360_masked_with_a_recommender_notice(client: TestClient, demo: sessionmaker[Session]) -> None:
    staff, name = await signed_in(client, demo)
    response = await client.get("/customers?q=rest:demo-alice", allow_redirects=False)
    assert response.status == 303
    path = response.headers["Location"]
    page = await staff.page(path)
    assert "A*** C***" in page and "Alice Chen" not in page and "alice@example.com" not in page
    assert "Churn risk" in page and "CLV (12 months)" in page and "Orders" in page and "Interests" in page
    assert "no trained recommender" in page or "recommender is loading" in page
    revealed = await (await staff.post(path)).text()
    assert "Alice Chen" in revealed
    assert audit_actions(demo, name).count("read_personal_data") == 2
    assert "no customer" in await staff.page("/customers/999999", status=404)


async def test_dashboard_and_its_charts(client: TestClient, demo: sessionmaker[Session]) -> None:
    staff, _ = await signed_in(client, demo, "supervisor")
    page = await staff.page("/dashboard?days=90")
    for label in (
        "Conversations",
        "Containment",
        "Fallback rate",
        "Hand-off rate",
        "Hand-off wait",
        "Longest open wait",
        "CSAT",
        "Click-through rate",
        "Conversion after a click",
        "Conversion rate",
        "Service efficiency",
    ):
        assert label in page
    assert 'title="Containment: conversations started in the period that ended with the customer&#39;s goal met' in page
    assert "Self-service" not in page and "resolved without a person" not in page  # the flattering definition
    for chart in ("conversations", "rates", "waits", "funnel", "intents"):
        response = await client.get(f"/dashboard/charts/{chart}.svg?days=90")
        assert response.status == 200 and response.content_type == "image/svg+xml"
        assert (await response.text()).lstrip().startswith("<?xml") and "<svg" in await response.text()
    assert (await client.get("/dashboard/charts/nothing.svg")).status == 404


@pytest.mark.parametrize("role", [StaffRole.AGENT])
async def test_account_page_changes_the_password(
    client: TestClient, demo: sessionmaker[Session], role: StaffRole
) -> None:
    staff, name = await signed_in(client, demo, role)
    await staff.page("/account")
    differ = await staff.post(
        "/account/password", {"current_password": PASSWORD, "new_password": "x" * 12, "repeat_password": "y" * 12}
    )
    assert differ.status == 400
    done = await staff.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a new long password", "repeat_password": "a new long password"},
    )
    assert done.status == 303 and done.headers["Location"] == "/login"
    assert (await client.get("/inbox", allow_redirects=False)).status == 303  # signed out everywhere
    assert (await Staff(client).login(name, "a new long password")).status == 303

"""The console's two UI languages (issue #16): the catalogue is complete in both languages and covers every key
the pages and handlers use, no template carries words outside it, a page's language is the account's (Chinese
for a new one) or, before sign-in, the browser's, and the names the CRM stores (intents, hand-off reasons,
statuses, button payloads, dates) read in the staff member's language."""

from __future__ import annotations

import re
import string
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction, transaction
from crm.errors import InvalidInput
from crm.models import AuditEntry, Language, StaffUser
from crm.repository import open_conversation, record_message, request_handoff

from console import accounts
from console.config import ConsoleConfig
from console.i18n import (
    ACCEPT_LANGUAGE_MAX_CHARS,
    LABELLED,
    MESSAGES,
    as_read,
    choose_language,
    describe,
    format_moment,
    intent_label,
    intent_labels,
    label,
    readable_summary,
    refusal,
    translate,
)
from tests.console.conftest import PASSWORD
from tests.console.test_web import CSRF, Staff, client, rasa  # noqa: F401 - fixtures

CONSOLE = Path(__file__).resolve().parents[2] / "console"
TEMPLATES = sorted((CONSOLE / "templates").glob("*.html"))
SOURCES = sorted([*(CONSOLE / "views").glob("*.py"), *CONSOLE.glob("*.py")])
LABELS = intent_labels(ConsoleConfig().intent_labels_path)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --- the catalogue -------------------------------------------------------------------------------------------


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for key, (english, chinese) in MESSAGES.items():
        assert english.strip() and chinese.strip(), key
        assert fields(english) == fields(chinese), key
        words = re.sub(r"\{\w+\}", "", chinese)
        assert re.search(r"[\u4e00-\u9fff]", words) or not re.search(r"[A-Za-z]", words), key  # Chinese, or no words
        if key.endswith(".one"):
            assert key.removesuffix(".one") in MESSAGES, key


def test_every_stored_name_has_a_label_in_both_languages() -> None:
    for kind, values in LABELLED.items():
        for value in values:
            assert f"{kind}.{value}" in MESSAGES, (kind, value)
            assert label("zh", kind, value) != label("en", kind, value) or value == "", (kind, value)


def test_every_key_the_templates_and_handlers_use_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for template in TEMPLATES:
        source = template.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\(\s*'([^']+)'", source))
        for kind in re.findall(r"\blabel\(\s*'([^']+)'", source):
            assert kind in LABELLED, (template.name, kind)
    for module in SOURCES:
        source = module.read_text(encoding="utf-8")
        used |= set(re.findall(r"\btext\(\s*request,\s*\"([^\"{]+)\"", source))
        used |= set(re.findall(r"\brefusal\(\w+,\s*\"([^\"]+)\"", source))
    assert len(used) > 300
    missing = sorted(key for key in used if key not in MESSAGES)
    assert missing == []


def test_no_template_shows_words_outside_the_catalogue() -> None:
    """Text between tags and the attributes people read (title, placeholder, alt, aria-label) hold only Jinja
    expressions, punctuation and a few names that are the same in both languages."""
    allowed = {"Kelian", "RFM", "otpauth"}
    for template in TEMPLATES:
        source = template.read_text(encoding="utf-8")
        code = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
        for attribute in re.findall(r'(?:title|placeholder|alt|aria-label)="([^"]*)"', code):
            assert not re.search(r"[A-Za-z]{2,}", attribute), (template.name, attribute)
        prose = re.sub(r"<[^>]*>|&\w+;", " ", code)
        words = set(re.findall(r"[A-Za-z]{2,}", prose)) - allowed
        assert words == set(), (template.name, words)


def test_translate_fills_fields_and_picks_the_singular() -> None:
    assert translate("en", "conversations.count", n=1) == "1 conversation"
    assert translate("en", "conversations.count", n=3) == "3 conversations"
    assert translate("zh", "conversations.count", n=3) == "3 个对话"
    assert translate("zh", "handoff.served_by", agent="{n}") == "{n} 正在接待此对话。"  # a value is not a format
    assert translate("en", "corrections.download", language="English") == "Download English corrections (YAML)"
    with pytest.raises(KeyError):
        translate("en", "no.such.key")


# --- choosing the language ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("ZH-tw", "zh"),
        ("zh-Hant-TW;q=0.8, en;q=0.5", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("en;q=0.4, zh;q=0.9", "zh"),
        ("fr-FR,fr;q=0.9", "en"),
        ("fr, zh;q=0.5", "zh"),
        ("zh;q=0", "en"),
        ("zh;q=abc", "en"),
        ("zh;q=" + "9" * 50, "en"),
        ("", "en"),
        (None, "en"),
        ("\x00zh\n;;;,,,", "en"),
        ("en," * 200 + "zh", "en"),  # only the beginning of a long header is read
        ("x" * (ACCEPT_LANGUAGE_MAX_CHARS + 10) + ",zh", "en"),
    ],
)
def test_the_sign_in_page_follows_accept_language(header: str | None, expected: str) -> None:
    assert choose_language(header) == expected


def test_a_new_account_reads_chinese_and_may_switch(empty: sessionmaker[Session]) -> None:
    with transaction(empty) as session:
        mei = accounts.create_user(session, "mei", PASSWORD, "agent")
        jo = accounts.create_user(session, "jo", PASSWORD, "agent", language="en")
    assert (mei.language, jo.language) == (Language.ZH, Language.EN)
    with transaction(empty) as session:
        accounts.set_language(session, mei.id, "en")
        with pytest.raises(InvalidInput):
            accounts.set_language(session, jo.id, "fr")
        with pytest.raises(InvalidInput):
            accounts.create_user(session, "li", PASSWORD, "agent", language="de")
    with empty() as session:
        assert accounts.get_user(session, mei.id).language == Language.EN
        assert accounts.get_user(session, jo.id).language == Language.EN
        assert session.query(StaffUser).filter_by(username="li").first() is None
        assert [e.detail for e in session.query(AuditEntry).filter_by(action="staff_ui_language")] == [
            {"language": "en"}
        ]


def test_a_refusal_reads_in_the_staff_members_language() -> None:
    with pytest.raises(InvalidInput) as short:
        accounts.check_password_rules("short", "mei")
    assert str(short.value) == "a password has at least 10 characters"  # logs and the command line: English
    assert describe("zh", short.value) == "密码至少 10 个字符"
    unknown = refusal(InvalidInput, "refusal.not_an_intent", intent="'make_coffee'")
    assert str(unknown) == "'make_coffee' is not an intent of the domain"
    assert describe("zh", unknown) == "'make_coffee' 不是领域中的意图"
    assert describe("zh", InvalidInput("from elsewhere")) == "from elsewhere"


# --- names the CRM stores ------------------------------------------------------------------------------------


def test_intents_read_as_the_assistants_own_labels() -> None:
    assert intent_label("zh", "contact_human_agent", LABELS) == "转人工客服"
    assert intent_label("en", "contact_human_agent", LABELS) == "talking to a person"
    assert intent_label("zh", "nlu_fallback", LABELS) == "未能识别(兜底)"
    assert intent_label("zh", "an_intent_nobody_named", LABELS) == "an_intent_nobody_named"
    assert intent_label("zh", None, LABELS) == ""


def test_hand_off_reasons_and_statuses_are_translated() -> None:
    assert label("zh", "reason", "customer asked") == "客户要求转人工"
    assert label("en", "reason", "customer asked") == "customer asked"
    assert label("zh", "reason", "complaint") == "投诉"
    assert label("zh", "reason", "a reason from a newer assistant") == "a reason from a newer assistant"
    assert label("zh", "handoff_status", "waiting") == "等待中"
    assert label("zh", "conversation_status", "resolved_by_bot") == "机器人已解决"
    assert label("en", "channel", "wechat") == "WeChat"
    assert label("zh", "language", None) == ""


def test_a_raw_button_payload_reads_as_its_label() -> None:
    assert as_read("zh", "/affirm", LABELS) == "是的"
    assert as_read("en", " /contact_human_agent ", LABELS) == "talking to a person"
    assert as_read("zh", "/affirm please", LABELS) == "/affirm please"  # not a payload: the customer's words
    assert as_read("zh", "/no_such_intent", LABELS) == "/no_such_intent"
    assert as_read("en", "track my order 123", LABELS) == "track my order 123"


def test_a_hand_off_summary_reads_in_the_staff_members_language() -> None:
    summary = "customer [contact_human_agent 0.97]: /contact_human_agent\nbot: Sure.\nsender: abc"
    assert readable_summary("zh", summary, LABELS) == "客户 [转人工客服 0.97]: 转人工客服\n机器人: Sure.\nsender: abc"
    assert readable_summary("en", summary, LABELS).splitlines()[0] == (
        "customer [talking to a person 0.97]: talking to a person"
    )


def test_dates_are_in_the_shops_time_zone_as_each_language_writes_them() -> None:
    moment = datetime(2026, 12, 6, 16, 5, 9, tzinfo=timezone.utc)  # 00:05 on 7 December in Shanghai
    assert format_moment("zh", moment, SHANGHAI) == "2026年12月7日 00:05"
    assert format_moment("en", moment, SHANGHAI) == "7 Dec 2026, 00:05"
    assert format_moment("zh", moment, SHANGHAI, "date") == "2026年12月7日"
    assert format_moment("en", moment, SHANGHAI, "time") == "00:05:09"
    assert format_moment("en", moment, ZoneInfo("UTC"), "minute") == "16:05"
    assert format_moment("en", None, SHANGHAI) == ""
    with pytest.raises(ValueError):
        format_moment("en", moment, SHANGHAI, "%Y")


# --- over HTTP ------------------------------------------------------------------------------------------------


async def test_the_sign_in_page_speaks_the_browsers_language(client: TestClient) -> None:  # noqa: F811
    chinese = await (await client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})).text()
    assert '<html lang="zh-CN">' in chinese and "<h1>登录</h1>" in chinese and "用户名" in chinese
    english = await (await client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})).text()
    assert '<html lang="en">' in english and "<h1>Sign in</h1>" in english
    refused = await client.post(
        "/login",
        data={"csrf_token": CSRF.search(chinese).group(1), "username": "nobody", "password": "wrong"},
        headers={"Accept-Language": "zh"},
    )
    assert refused.status == 401 and "用户名或密码错误。" in await refused.text()


async def test_a_new_accounts_inbox_is_chinese_and_switching_changes_the_next_page(
    client: TestClient, demo: sessionmaker[Session]
) -> None:  # noqa: F811
    sender = f"zh-{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> int:
        conversation = open_conversation(session, "wechat", sender, language="zh")
        record_message(
            session, conversation, "customer", "/contact_human_agent", intent="contact_human_agent", confidence=0.99
        )
        handoff = request_handoff(
            session,
            conversation,
            reason="customer asked",
            sender_id=sender,
            summary="customer [contact_human_agent 0.99]: /contact_human_agent",
        )
        return handoff

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    handoff = run_transaction(demo, setup)
    name = f"mei-{uuid.uuid4().hex[:6]}"

    def make_user(session: Session) -> None:
        accounts.create_user(session, name, PASSWORD, "agent")  # no language given: Chinese

    run_transaction(demo, make_user)
    staff = Staff(client)
    assert (await staff.login(name)).status == 303
    inbox = await staff.page("/inbox")
    row = inbox[inbox.index(f'data-handoff="{handoff}"') :]
    row = row[: row.index("</tr>")]
    assert "客户要求转人工" in row and "微信" in row and "中文" in row and "接待" in row
    assert "<h1>转人工收件箱</h1>" in inbox and "customer asked" not in row
    page = await staff.page(f"/handoffs/{handoff}")
    assert "客户 [转人工客服 0.99]: 转人工客服" in page and "/contact_human_agent" not in page

    account = await staff.page("/account")
    assert "界面语言" in account
    without_token = await client.post("/account/language", data={"language": "en"}, allow_redirects=False)
    assert without_token.status == 403 and "CSRF 令牌" in await without_token.text()
    refused = await staff.post("/account/language", {"language": "fr"})
    assert refused.status == 400 and "请选择中文或英文。" in await refused.text()
    assert "<h1>转人工收件箱</h1>" in await staff.page("/inbox")

    switched = await staff.post("/account/language", {"language": "en"})
    assert switched.status == 303 and switched.headers["Location"] == "/account?done=language"
    assert "The console now speaks English." in await staff.page("/account?done=language")
    inbox = await staff.page("/inbox")
    row = inbox[inbox.index(f'data-handoff="{handoff}"') :]
    assert "<h1>Hand-off inbox</h1>" in inbox and "customer asked" in row[: row.index("</tr>")]
    page = await staff.page(f"/handoffs/{handoff}")
    assert "customer [talking to a person 0.99]: talking to a person" in page

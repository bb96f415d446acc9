"""The web chat page in a real browser (Debian's Chromium, headless, driven by Playwright) against the
whole stack: the page served by the Rasa server, the socket.io channel (bot/channels/web.py), the
action server and the demo CRM. Who is talking is checked in Rasa's tracker, never only on screen.

The page is driven through tests/e2e/webchat_page.py (`Chat`; the fixtures `context`, `secret` and
`chat` are in conftest.py): every wait is Playwright's auto-waiting on something the page shows, there
is no sleep and no timing assertion."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from playwright.sync_api import expect

from bot.channels.web_auth import issue_user_token
from devstack.config import ROOT
from devstack.stack import Stack
from tests.e2e.webchat_page import Chat

pytestmark = pytest.mark.e2e

SCREENSHOT = ROOT / "results" / "webchat.png"  # copied to docs/webchat.png for the README
MOBILE = {"width": 375, "height": 667}


def user_texts(stack: Stack, sender: str) -> list[str]:
    return [e.get("text") for e in stack.tracker(sender)["events"] if e.get("event") == "user"]


def input_channels(stack: Stack, sender: str) -> set[str]:
    return {e.get("input_channel") for e in stack.tracker(sender)["events"] if e.get("event") == "user"}


def unsigned_token(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# --- talking ------------------------------------------------------------------------------------


def test_english_and_chinese_messages_get_answers(chat, stack):
    chat.open()
    assert chat.sender.startswith("guest-")
    assert "Kelian" in chat.say("hi there")
    assert "工作日" in chat.say("一般几天能送到")
    assert user_texts(stack, chat.sender) == ["hi there", "一般几天能送到"]
    assert input_channels(stack, chat.sender) == {"web"}


def test_the_typing_indicator_shows_until_the_answer_is_complete(chat, stack):
    chat.open()
    typing = chat.page.locator("#typing")
    expect(typing).to_be_hidden()
    with stack.frozen("actions"):  # every turn calls the action server: no answer can arrive meanwhile
        chat.page.fill("#input", "hello")
        chat.page.press("#input", "Enter")
        expect(typing).to_be_visible()
    expect(chat.page.locator(".message.bot").last).to_contain_text("Kelian")
    expect(typing).to_be_hidden()


def test_a_quick_reply_sends_its_payload_and_shows_its_title(chat, stack):
    chat.open()
    assert "Checkout" in chat.say("how do i place an order on your site")
    button = chat.page.locator(".quick-replies button", has_text="Recommend something").last
    expect(button).to_have_attribute("data-payload", "/recommend_products")
    chat.click(button)
    expect(chat.page.locator(".message.user").last).to_have_text("Recommend something")
    expect(button).to_be_disabled()
    assert stack.tracker(chat.sender)["latest_message"]["intent"]["name"] == "recommend_products"
    expect(chat.page.locator(".product").first).to_be_visible()


def test_recommendations_are_product_cards_with_buttons(chat, stack):
    chat.open()
    chat.say("what would you recommend for me?")
    cards = chat.page.locator(".product")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2
    first = cards.first
    name = first.locator("h3").inner_text()
    assert name and first.get_attribute("data-sku")
    expect(first.locator(".price")).to_contain_text("¥")
    expect(first.locator(".card-buttons button")).to_have_text(["More like this", "Details"])
    answer = chat.click(first.locator(".card-buttons button", has_text="Details"))
    expect(chat.page.locator(".message.user").last).to_have_text("Details")
    assert name in answer and "¥" in answer
    assert stack.tracker(chat.sender)["latest_message"]["intent"]["name"] == "product_info"


def test_the_page_switches_its_own_language(chat):
    chat.open()
    chat.page.locator("button[data-lang=zh]").click()
    expect(chat.page.locator("#input")).to_have_attribute("placeholder", "请输入您的问题…")
    expect(chat.page.locator("#send")).to_have_text("发送")
    expect(chat.page.locator(".welcome")).to_contain_text("您好")
    expect(chat.page.locator("html")).to_have_attribute("lang", "zh-CN")
    chat.page.reload()
    chat.wait_until_online()
    expect(chat.page.locator("#send")).to_have_text("发送")  # the choice is remembered
    chat.page.locator("button[data-lang=en]").click()
    expect(chat.page.locator("#input")).to_have_attribute("placeholder", "Type your message…")
    expect(chat.page.locator("#send")).to_have_text("Send")


# --- who is talking -------------------------------------------------------------------------------


def test_a_signed_in_customer_sees_their_order(chat, stack, secret):
    chat.open(issue_user_token("demo-alice", secret))
    assert chat.sender == "demo-alice"
    expect(chat.page.locator("#identity")).to_have_text("Signed in as demo-alice")
    answer = chat.say("can you track KL20250104?")
    assert "shipped" in answer and "last 4 digits" not in answer
    assert input_channels(stack, "demo-alice") == {"web"}


def test_an_anonymous_visitor_is_asked_to_prove_the_order(chat):
    chat.open()
    answer = chat.say("can you track KL20250104?")
    assert "last 4 digits" in answer and "shipped" not in answer


@pytest.mark.parametrize("kind", ["forged", "expired", "unsigned", "tampered"])
def test_a_bad_token_is_treated_as_anonymous(chat, secret, kind):
    later = int(time.time()) + 3600
    token = {
        "forged": jwt.encode(
            {"sub": "demo-alice", "exp": later}, "not-the-shops-secret-but-long-enough-0123", algorithm="HS256"
        ),
        "expired": issue_user_token("demo-alice", secret, minutes=-5),
        "unsigned": unsigned_token({"sub": "demo-alice", "exp": later}),
        "tampered": ".".join(
            [
                issue_user_token("demo-li", secret).split(".")[0],
                unsigned_token({"sub": "demo-alice", "exp": later}).split(".")[1],
                issue_user_token("demo-li", secret).split(".")[2],
            ]
        ),
    }[kind]
    chat.open(token)
    assert chat.sender.startswith("guest-")
    expect(chat.page.locator("#identity")).to_have_text("Guest")
    if kind == "forged":
        answer = chat.say("can you track KL20250104?")
        assert "last 4 digits" in answer and "shipped" not in answer


def test_the_conversation_id_is_never_taken_from_the_browser(chat, stack):
    """What a hostile page could send: a message before any session, and someone else's id with
    every message. Neither reaches that person's conversation."""
    chat.open()
    victim = f"demo-customer-{uuid.uuid4().hex[:8]}"
    sender = chat.page.evaluate(
        """async (victim) => {
        const socket = io({path: "/socket.io", forceNew: true, reconnection: false});
        await new Promise((resolve) => socket.on("connect", resolve));
        socket.emit("user_uttered", {message: "written before any session", session_id: victim});
        const confirmed = new Promise((resolve) => socket.on("session_confirm", resolve));
        socket.emit("session_request", {session_id: victim, customData: {token: victim}});
        const session = await confirmed;
        const done = new Promise((resolve) => socket.on("bot_done", resolve));
        socket.emit("user_uttered", {message: "hello", session_id: victim, sender: victim});
        await done;
        socket.close();
        return session.sender;
    }""",
        victim,
    )
    assert sender.startswith("guest-") and sender != chat.sender
    assert user_texts(stack, sender) == ["hello"]
    assert user_texts(stack, victim) == []


# --- staying in the conversation --------------------------------------------------------------------


def test_a_reload_continues_the_same_conversation(chat, stack):
    chat.open()
    sender = chat.sender
    chat.say("hi")
    chat.page.reload()
    chat.wait_until_online()
    assert chat.sender == sender
    expect(chat.page.locator(".message.user")).to_have_text(["hi"])  # the transcript is shown again
    assert "工作日" in chat.say("一般几天能送到")
    assert user_texts(stack, sender) == ["hi", "一般几天能送到"]


def test_a_tampered_guest_id_starts_a_new_conversation(chat, stack):
    chat.open()
    sender = chat.sender
    stored = chat.page.evaluate("localStorage.getItem('kelian.web.guest')")
    assert stored.startswith(sender + ".")
    other = "guest-" + ("0" * 16 if not sender.endswith("0" * 16) else "1" * 16)
    chat.page.evaluate("(value) => localStorage.setItem('kelian.web.guest', value)", other + stored[len(sender) :])
    chat.page.reload()
    chat.wait_until_online()
    assert chat.sender.startswith("guest-") and chat.sender not in (sender, other)


def test_a_dropped_connection_comes_back_to_the_same_conversation(chat, context, stack):
    chat.open()
    sender = chat.sender
    assert "Kelian" in chat.say("hello")
    context.set_offline(True)
    expect(chat.body).to_have_attribute("data-status", "offline")
    expect(chat.page.locator("#status")).to_contain_text("Reconnecting")
    chat.page.fill("#input", "一般几天能送到")
    chat.page.press("#input", "Enter")
    expect(chat.page.locator(".message.user.queued")).to_have_count(1)  # kept until the line is back
    context.set_offline(False)
    chat.wait_until_online()
    expect(chat.page.locator(".message.user.queued")).to_have_count(0)
    expect(chat.body).to_have_attribute("data-waiting", "0")
    expect(chat.page.locator(".message.bot").last).to_contain_text("工作日")
    assert chat.sender == sender
    assert "Checkout" in chat.say("how do i place an order on your site")
    assert user_texts(stack, sender) == ["hello", "一般几天能送到", "how do i place an order on your site"]


# --- phones and the picture for the README ------------------------------------------------------------


def test_the_page_fits_a_phone(browser, stack):
    context = browser.new_context(viewport=MOBILE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        chat = Chat(context.new_page(), stack).open()
        chat.say("what would you recommend for me?")
        expect(chat.page.locator(".product").first).to_be_visible()
        assert chat.page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
        for selector in ("#input", "#send", "button[data-lang=zh]", ".product"):
            box = chat.page.locator(selector).first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], selector
        chat.page.locator("#input").tap()
        chat.page.fill("#input", "hi")
        chat.page.locator("#send").tap()
        expect(chat.body).to_have_attribute("data-waiting", "0")
        expect(chat.page.locator(".message.bot").last).to_contain_text("Kelian")
    finally:
        context.close()


def test_a_conversation_for_the_readme(browser, stack, secret):
    context = browser.new_context(viewport={"width": 430, "height": 1060}, locale="zh-CN")
    try:
        chat = Chat(context.new_page(), stack).open(issue_user_token("demo-li", secret))
        assert chat.sender == "demo-li"
        expect(chat.page.locator("#identity")).to_have_text("已登录:demo-li")
        assert "已发货" in chat.say("帮我查一下订单KL20251104到哪了")
        chat.say("给我推荐几样东西")
        expect(chat.page.locator(".product").first).to_be_visible()
        chat.page.locator(".message.user").first.evaluate("(element) => element.scrollIntoView({block: 'start'})")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        chat.page.screenshot(path=str(SCREENSHOT))
        assert SCREENSHOT.stat().st_size > 0
    finally:
        context.close()

"""A pressed button reads as its title wherever a person reads the conversation: the agent's handoff
summary (actions.handoff), the console's live view (console.rasa) and the stored transcript (the feedback
consumer). Before, all three showed the payload: "customer [affirm 1.00]: /affirm"."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select, text

from actions.handoff import ActionHandoff, conversation_summary
from console.rasa import live_messages
from crm.consumer import FeedbackWriter, SqlEventSource, consume_once
from crm.models import Conversation, HandoffRequest, Message
from crm.rasa_events import PressedButtons, as_said, offered_buttons, parse_event
from crm.repository import sender_key
from devstack import dialogue_rules
from tests.actions.conftest import make_tracker

COMPLAINT_ZH = "已为您登记投诉,工单号 C-1024。需要为您转接人工客服吗?"
COMPLAINT_BUTTONS = [
    {"title": "好的,转人工", "payload": "/contact_human_agent"},
    {"title": "不用了", "payload": "/deny"},
]


def user(text_: str, intent: str, at: float = 0.0) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": at,
        "text": text_,
        "input_channel": "rest",
        "parse_data": {"text": text_, "intent": {"name": intent, "confidence": 1.0}, "entities": []},
    }


def bot(text_: str, buttons: list[Any] | None = None, at: float = 0.0) -> dict[str, Any]:  # malformed ones too
    return {
        "event": "bot",
        "timestamp": at,
        "text": text_,
        "metadata": {},
        "data": {
            "elements": None,
            "quick_replies": None,
            "buttons": buttons,
            "attachment": None,
            "image": None,
            "custom": None,
        },
    }


def complaint_then_pressed(payload: str) -> list[dict[str, Any]]:
    return [
        user("快递员态度很恶劣,我要投诉他", "complaint"),
        {"event": "action", "name": "action_open_complaint"},
        bot(COMPLAINT_ZH, COMPLAINT_BUTTONS),
        user(payload, "contact_human_agent"),
    ]


# --- the lookup ---------------------------------------------------------------------------------


def test_the_title_of_a_pressed_button_is_found_by_its_payload():
    offered = offered_buttons(bot(COMPLAINT_ZH, COMPLAINT_BUTTONS))
    assert offered == {"/contact_human_agent": "好的,转人工", "/deny": "不用了"}
    assert as_said("/contact_human_agent", offered) == "好的,转人工"
    assert as_said("/affirm", offered) == "/affirm"  # typed, or a button not offered: the text as it came
    assert as_said("转人工", offered) == "转人工"


def test_buttons_with_entities_are_matched_exactly_and_payloads_in_words_stay():
    offered = offered_buttons(
        bot(
            "Here you go",
            [
                {"title": "More like this", "payload": '/similar_products{"product_sku":"SKU-0042"}'},
                {"title": "KL20250104 · shipped", "payload": "KL20250104"},
            ],
        )
    )
    assert as_said('/similar_products{"product_sku":"SKU-0042"}', offered) == "More like this"
    assert as_said("KL20250104", offered) == "KL20250104"  # typed or pressed, the number reads as it is
    assert (
        as_said('/similar_products{"product_sku":"SKU-0001"}', offered) == '/similar_products{"product_sku":"SKU-0001"}'
    )


def test_malformed_buttons_are_skipped():
    assert offered_buttons(bot("hi")) == {}
    assert offered_buttons({"event": "bot", "data": {"buttons": "nope"}}) == {}
    assert offered_buttons(
        bot(
            "hi",
            [{"title": 3, "payload": "/affirm"}, "x", {"payload": "/deny"}, {"title": "Yes", "payload": "/affirm"}],
        )
    ) == {"/affirm": "Yes"}


def test_only_the_buttons_since_the_customers_previous_message_count():
    reader = PressedButtons()
    said = [
        reader.read(e)
        for e in [
            bot("Cancel it?", [{"title": "Yes, cancel it", "payload": "/affirm"}]),
            user("/affirm", "affirm"),
            user("/affirm", "affirm"),
            bot("Cancel it?", [{"title": "Yes, cancel it", "payload": "/affirm"}]),
            {"event": "session_started"},
            user("/affirm", "affirm"),
        ]
    ]
    assert said == [None, "Yes, cancel it", "/affirm", None, None, "/affirm"]


# --- where people read it -----------------------------------------------------------------------


def test_the_handoff_summary_shows_the_pressed_buttons_title():
    tracker = make_tracker(
        "/contact_human_agent",
        intent="contact_human_agent",
        history=complaint_then_pressed("/contact_human_agent")[:-1],
    )
    summary = conversation_summary(tracker)
    assert summary.splitlines() == [
        "customer [complaint 1.00]: 快递员态度很恶劣,我要投诉他",
        f"bot: {COMPLAINT_ZH}",
        "customer [contact_human_agent 0.90]: 好的,转人工",
    ]


async def test_the_stored_handoff_request_carries_the_title(crm):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "/contact_human_agent",
        intent="contact_human_agent",
        sender=f"rest-{uuid.uuid4().hex[:8]}",
        history=complaint_then_pressed("/contact_human_agent")[:-1],
        slots={"language": "zh"},
    )
    await ActionHandoff().run(dispatcher, tracker, {})
    with crm() as session:
        handoff = session.scalars(select(HandoffRequest).order_by(HandoffRequest.id.desc())).first()
    assert handoff.reason == "complaint"
    assert "好的,转人工" in handoff.summary and "/contact_human_agent" not in handoff.summary


def test_the_consoles_live_view_shows_the_title():
    events = [{"event": "session_started"}, *complaint_then_pressed("/contact_human_agent")]
    assert [(m["who"], m["text"]) for m in live_messages({"events": events})] == [
        ("customer", "快递员态度很恶劣,我要投诉他"),
        ("bot", COMPLAINT_ZH),
        ("customer", "好的,转人工"),
    ]


def test_the_stored_transcript_shows_the_title(services, tmp_path: Path):
    sender, start = f"buttons-{uuid.uuid4().hex[:6]}", 1_900_000_000.0
    events = [
        {"event": "session_started"},
        user("i want to file a complaint, the box arrived crushed", "complaint"),
        {"event": "action", "name": "action_open_complaint"},
        bot(
            "Sorry about that. Would you like a person?",
            [
                {"title": "Yes, a person please", "payload": "/contact_human_agent"},
                {"title": "No, that's fine", "payload": "/deny"},
            ],
        ),
        user("/deny", "deny"),
        {"event": "action", "name": "utter_anything_else"},
        bot("Anything else?"),
        user("/deny", "deny"),
    ]
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"))
        for position, event in enumerate(events):
            stamped = {**event, "sender_id": sender, "timestamp": start + position}
            connection.execute(
                text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"), {"s": sender, "d": json.dumps(stamped)}
            )
    assert parse_event({**events[3], "sender_id": sender, "timestamp": start}).buttons[0] == (
        "/contact_human_agent",
        "Yes, a person please",
    )
    consume_once(services.crm, SqlEventSource(f"sqlite:///{tmp_path / 'events.db'}"), FeedbackWriter())
    with services.crm() as session:
        conversation = session.scalar(
            select(Conversation.id).where(Conversation.sender_key == sender_key("rest", sender))
        )
        stored = [
            (m.sender.value, m.text)
            for m in session.scalars(
                select(Message).where(Message.conversation_id == conversation).order_by(Message.created_at)
            )
        ]
    assert stored == [
        ("customer", "i want to file a complaint, the box arrived crushed"),
        ("bot", "Sorry about that. Would you like a person?"),
        ("customer", "No, that's fine"),
        ("bot", "Anything else?"),
        ("customer", "/deny"),
    ]  # typed, no button offered: as it came


# --- every button works wherever it can be pressed ----------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "data" / "rasa" / "rules"
# The yes/no buttons and the questions that offer them (actions/orders.py, feedback.py, faq.py; bot/domain)
YES_NO_QUESTIONS = {
    "action_confirm_cancel": ("affirm", "deny"),
    "utter_confirm_address": ("affirm", "deny"),
    "utter_confirm_delete_account": ("affirm", "deny"),
    "action_open_complaint": ("affirm", "deny"),
    "action_answer_faq": ("affirm", "deny"),
}


def button_intents() -> set[str]:
    """The intent of every payload the bot can send: written in the actions and the domain, and the
    "did you mean" suggestions (any intent with a label, actions.faq.likely_intents)."""
    sources = [*ROOT.joinpath("actions").glob("*.py"), *ROOT.joinpath("bot", "domain").glob("*.yml")]
    written = {
        m
        for path in sources
        for m in re.findall(r"""payload["']?\s*[:=,]\s*f?["']?/(\w+)""", path.read_text(encoding="utf-8"))
    }
    written |= {
        m for path in sources for m in re.findall(r"""button\([^)]*["']/(\w+)""", path.read_text(encoding="utf-8"))
    }
    labels = yaml.safe_load((ROOT / "data" / "knowledge" / "intent_labels.yml").read_text(encoding="utf-8"))
    return written | set(labels)


def rules() -> list[dict[str, Any]]:
    return [rule for path in RULES.glob("*.yml") for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]]


def first_intent(rule: dict[str, Any]) -> str | None:
    steps = rule.get("steps") or []
    return steps[0].get("intent") if steps else None


def test_the_payloads_found_are_the_ones_the_bot_sends():
    intents = button_intents()
    assert {
        "affirm",
        "deny",
        "contact_human_agent",
        "cancel_order",
        "get_refund",
        "get_invoice",
        "change_shipping_address",
        "recommend_products",
        "place_order",
        "similar_products",
        "product_info",
    } <= intents


def test_every_button_has_a_rule_with_no_form_and_in_every_form():
    all_rules = rules()
    unconditioned = {first_intent(r) for r in all_rules if not r.get("condition")}
    in_form: dict[str, set[str | None]] = {}
    for rule in all_rules:
        for condition in rule.get("condition") or []:
            if "active_loop" in condition:
                in_form.setdefault(condition["active_loop"], set()).add(first_intent(rule))
    for intent in button_intents() - {"affirm", "deny"}:
        assert intent in unconditioned, f"/{intent} pressed outside a form has no rule"
        for form in dialogue_rules.FORMS:
            assert intent in in_form.get(form, set()), f"/{intent} pressed in {form} has no rule"
    for form in dialogue_rules.FORMS:
        assert "deny" in in_form[form], f"/deny in {form}"


def test_every_yes_no_question_has_a_rule_for_each_of_its_buttons():
    after = {
        (r["steps"][0].get("action"), r["steps"][1].get("intent")) for r in rules() if len(r.get("steps") or []) > 1
    }
    for question, intents in YES_NO_QUESTIONS.items():
        for intent in intents:
            assert (question, intent) in after, f"/{intent} after {question} has no rule"

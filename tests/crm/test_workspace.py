"""The agent workspace's records (#16 item 2): quick replies and their variables, internal notes, tags and the
lists filtered by them, on both databases; bounded input, normalised tags, erasure of what staff wrote."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.demo import DEMO_QUICK_REPLIES
from crm.errors import NotFound
from crm.models import Conversation, ConversationTag, CustomerTag, Message, Order, QuickReply, StaffNote
from crm.privacy import erase_customer
from crm.repository import workspace as ws
from tests.crm.conftest import AS_OF

ALICE, LI = 1, 2


class _refused:
    def __init__(self, code: str) -> None:
        self.code = code

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> bool:
        assert isinstance(error, ws.WorkspaceInputError), f"expected a refusal {self.code}, got {error!r}"
        assert error.code == self.code and error.message_key == f"workspace.error.{self.code}"
        return True


def li_conversation(session: Session) -> int:
    return repo.open_conversation(session, "wechat", "wx-ws-li", customer_id=LI, language="zh")


# --- quick replies -------------------------------------------------------------------------------------------


def test_variables_must_be_known_and_braces_balanced() -> None:
    ws.check_variables("{customer_name}您好，订单 {order_number} 由{agent_name}为您处理")
    with _refused("unknown_variable"):
        ws.check_variables("Hi {customer_nmae}")
    with _refused("unknown_variable"):
        ws.check_variables("{}")
    for written in ("Hi {customer_name", "Hi customer_name}", "{{customer_name}}", "a } b"):
        with _refused("stray_brace"):
            ws.check_variables(written)


def test_a_quick_reply_is_checked_before_it_is_saved(session: Session) -> None:
    saved = ws.save_quick_reply(
        session, shortcut=" /Ｈello2 ", title=" 问候 ", text_zh="{customer_name}您好", text_en=None, actor="sup"
    )
    assert (saved.shortcut, saved.title, saved.text_zh) == ("hello2", "问候", "{customer_name}您好")
    assert saved.text_en is None
    good = {"shortcut": "x1", "title": "t", "text_zh": "好", "text_en": "ok", "actor": "sup"}
    for change, code in [
        ({"shortcut": "你好"}, "bad_shortcut"),
        ({"shortcut": "a b"}, "bad_shortcut"),
        ({"shortcut": "x" * (ws.SHORTCUT_MAX_CHARS + 1)}, "bad_shortcut"),
        ({"shortcut": "hello2"}, "shortcut_taken"),
        ({"title": "  "}, "no_title"),
        ({"title": "two\nlines"}, "no_title"),
        ({"title": "t" * (ws.TITLE_MAX_CHARS + 1)}, "title_too_long"),
        ({"text_zh": " ", "text_en": ""}, "no_text"),
        ({"text_en": "x" * (ws.QUICK_REPLY_MAX_CHARS + 1)}, "text_too_long"),
        ({"text_en": "Dear {name}"}, "unknown_variable"),
        ({"text_zh": "您好 {customer_name"}, "stray_brace"),
    ]:
        before = session.scalar(select(func.count()).select_from(QuickReply))
        fields: dict[str, Any] = {**good, **change}
        with _refused(code):
            ws.save_quick_reply(session, **fields)
        assert session.scalar(select(func.count()).select_from(QuickReply)) == before, change


def test_a_quick_reply_is_edited_in_place_and_deleted(session: Session) -> None:
    created = ws.save_quick_reply(session, shortcut="ship", title="发货", text_zh="已发货", text_en=None, actor="a")
    edited = ws.save_quick_reply(
        session, reply_id=created.id, shortcut="ship", title="Shipped", text_zh=None, text_en="Shipped", actor="b"
    )
    assert edited.id == created.id and (edited.text_zh, edited.text_en, edited.updated_by) == (None, "Shipped", "b")
    assert edited.text_for("zh") == "Shipped"  # the only text it has
    ws.delete_quick_reply(session, created.id)
    with pytest.raises(NotFound):
        ws.get_quick_reply(session, created.id)
    with pytest.raises(NotFound):
        ws.delete_quick_reply(session, created.id)


def test_filling_puts_values_in_as_text_and_reports_what_is_missing() -> None:
    template = "{customer_name}您好，订单 {order_number}，客服{agent_name}"
    values = {"customer_name": "<b>李伟</b>", "order_number": None, "agent_name": "{order_number}"}
    filled, missing = ws.fill(template, values)
    # values are inserted as they are (the console puts them in a text box) and never read as variables again
    assert filled == "<b>李伟</b>您好，订单 {order_number}，客服{order_number}"
    assert missing == ["order_number"]
    assert ws.unfilled(filled) == ["order_number", "order_number"]
    assert ws.unfilled("价格是 {100} 元 {name}") == []


def test_conversation_values_come_from_the_crm(session: Session) -> None:
    conversation_id = li_conversation(session)
    li = repo.get_customer(session, LI)
    theirs = list(session.scalars(select(Order.number).where(Order.customer_id == LI).order_by(Order.placed_at)))
    values = ws.conversation_values(session, conversation_id, agent="mei")
    assert values == {"customer_name": li.name, "order_number": theirs[-1], "agent_name": "mei"}
    # an order number the customer wrote is used when it is theirs; someone else's is not
    other = session.scalar(select(Order.number).where(Order.customer_id != LI).limit(1))
    repo.record_message(session, conversation_id, "customer", f"我的订单 {theirs[0]} 还没到")
    repo.record_message(session, conversation_id, "customer", f"还有 {other}")
    assert ws.conversation_values(session, conversation_id, agent="mei")["order_number"] == theirs[0]
    guest = repo.open_conversation(session, "web", "guest-ws-1")
    assert ws.conversation_values(session, guest, agent="mei") == {
        "customer_name": None,
        "order_number": None,
        "agent_name": "mei",
    }


def test_the_demo_shop_has_valid_quick_replies_in_both_languages(session: Session) -> None:
    shortcuts = {r.shortcut: r for r in ws.quick_replies(session)}
    assert set(shortcuts) >= {shortcut for shortcut, *_ in DEMO_QUICK_REPLIES} and len(DEMO_QUICK_REPLIES) >= 5
    for reply in shortcuts.values():
        assert reply.text_zh and reply.text_en
        ws.check_variables(reply.text_zh)
        ws.check_variables(reply.text_en)
        assert ws.normalize_shortcut(reply.shortcut) == reply.shortcut


# --- notes -----------------------------------------------------------------------------------------------


def test_notes_are_bounded_stored_apart_from_messages_and_listed_newest_first(session: Session) -> None:
    conversation_id = li_conversation(session)
    messages = session.scalar(select(func.count()).select_from(Message))
    first = ws.add_note(session, author="mei", text="  客户很着急\r\n先查物流  ", conversation_id=conversation_id)
    second = ws.add_note(session, author="lin", text="已加急", conversation_id=conversation_id)
    on_customer = ws.add_note(session, author="mei", text="老客户，VIP", customer_id=LI)
    assert first.text == "客户很着急\n先查物流"
    assert [n.id for n in ws.notes(session, conversation_id=conversation_id)] == [second.id, first.id]
    assert [n.id for n in ws.notes(session, customer_id=LI)] == [on_customer.id]
    # a note is no message of the conversation: nothing of it can be sent or shown to the customer
    assert session.scalar(select(func.count()).select_from(Message)) == messages
    with _refused("empty_note"):
        ws.add_note(session, author="mei", text=" \x00 ", conversation_id=conversation_id)
    with _refused("note_too_long"):
        ws.add_note(session, author="mei", text="字" * (ws.NOTE_MAX_CHARS + 1), conversation_id=conversation_id)
    with pytest.raises(ValueError):
        ws.add_note(session, author="mei", text="x", conversation_id=conversation_id, customer_id=LI)
    with pytest.raises(NotFound):
        ws.add_note(session, author="mei", text="x", conversation_id=10**9)
    # the text is sealed in the database
    stored = session.execute(text("SELECT text FROM staff_notes WHERE id = :id"), {"id": first.id}).scalar_one()
    assert "着急".encode() not in bytes(stored)


# --- tags ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (" VIP ", "vip"),
        ("ＶＩＰ", "vip"),
        ("Repeat   Buyer", "repeat buyer"),
        ("投诉", "投诉"),
        ("退款-加急", "退款-加急"),
    ],
)
def test_tag_names_are_normalised(raw: str, name: str) -> None:
    assert ws.normalize_tag(raw) == name


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("   ", "empty_tag"),
        ("x" * (ws.TAG_MAX_CHARS + 1), "tag_too_long"),
        ("<script>", "bad_tag"),
        ("a,b", "bad_tag"),
        ("-vip", "bad_tag"),
        ("v\x00ip", "bad_tag"),
    ],
)
def test_bad_tag_names_are_refused(raw: str, code: str) -> None:
    with _refused(code):
        ws.normalize_tag(raw)


def test_tags_on_conversations_and_customers_filter_the_lists(session: Session) -> None:
    conversation_id = li_conversation(session)
    other = repo.open_conversation(session, "web", "guest-ws-2")
    assert ws.add_tag(session, "Urgent", actor="mei", conversation_id=conversation_id) == "urgent"
    assert ws.add_tag(session, " URGENT ", actor="lin", conversation_id=conversation_id) == "urgent"  # once
    ws.add_tag(session, "退款", actor="mei", conversation_id=conversation_id)
    ws.add_tag(session, "vip", actor="mei", customer_id=LI)
    assert ws.tags_of(session, conversation_ids=[conversation_id, other]) == {conversation_id: ["urgent", "退款"]}
    assert ws.tags_of(session, customer_ids=[LI, ALICE]) == {LI: ["vip"]}
    assert set(session.scalars(ws.tagged_conversations("URGENT"))) == {conversation_id}
    assert (
        set(session.scalars(select(Conversation.id).where(Conversation.id.in_(ws.tagged_conversations("vip")))))
        == set()
    )
    assert ws.tagged_customers(session, "VIP") == [LI]
    assert {"urgent", "退款", "vip"} <= set(ws.all_tags(session))
    assert ws.tag_id(session, " URGENT ") == ws.tag_id(session, "urgent") is not None
    assert ws.tag_id(session, "never-used") is None
    assert ws.remove_tag(session, "urgent", conversation_id=conversation_id)
    assert not ws.remove_tag(session, "urgent", conversation_id=conversation_id)
    assert ws.tags_of(session, conversation_ids=[conversation_id]) == {conversation_id: ["退款"]}
    with pytest.raises(NotFound):
        ws.add_tag(session, "vip", actor="mei", customer_id=10**9)


def test_a_conversation_carries_at_most_so_many_tags(session: Session) -> None:
    conversation_id = li_conversation(session)
    for i in range(ws.TAGS_PER_SUBJECT_MAX):
        ws.add_tag(session, f"t{i}", actor="mei", conversation_id=conversation_id)
    with _refused("too_many_tags"):
        ws.add_tag(session, "one-more", actor="mei", conversation_id=conversation_id)
    assert session.execute(select(func.count()).select_from(ConversationTag)).scalar_one() >= ws.TAGS_PER_SUBJECT_MAX


def test_erasure_deletes_notes_and_customer_tags(session: Session) -> None:
    conversation_id = li_conversation(session)
    ws.add_note(session, author="mei", text="电话 13800138000", conversation_id=conversation_id)
    ws.add_note(session, author="mei", text="老客户", customer_id=LI)
    ws.add_tag(session, "vip", actor="mei", customer_id=LI)
    erase_customer(session, LI, actor="dpo", now=AS_OF)
    assert session.scalar(select(func.count()).select_from(StaffNote)) == 0
    assert session.scalar(select(func.count()).select_from(CustomerTag).where(CustomerTag.customer_id == LI)) == 0
    assert ws.tagged_customers(session, "vip") == []
    assert ws.conversation_values(session, conversation_id, agent="mei")["customer_name"] is None

"""The correction form over HTTP, submitted exactly as the page pre-fills it: an intent correction always saves.

The trap this guards against: the form is pre-filled with the entities the NLU extracted, and saving refused
the whole correction because of one of them — a masked value (the row kept its type and lost its value), a
value the NLU normalised (a synonym: not the customer's words), a type the domain does not have, or an
example the reviewer edited so the value is no longer in it."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import NluCorrection
from crm.repository import find_customer, open_conversation, record_message
from console.app import make_app
from tests.console.conftest import new_user
from tests.console.fake_rasa import FakeRasa
from tests.console.test_web import Staff, console_config, rasa  # noqa: F401 - fixture

INPUT = re.compile(r"<input ([^>]*)>")
SELECT = re.compile(r'<select name="([^"]+)"[^>]*>(.*?)</select>', re.S)
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def prefilled_form(page: str, message_id: int) -> dict[str, str]:
    """The fields of a message's correction form as a browser submits them untouched."""
    start = page.index(f'action="/messages/{message_id}/correction"')
    form = page[start : page.index("</form>", start)]
    fields: dict[str, str] = {}
    for tag in INPUT.findall(form):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    for name, options in SELECT.findall(form):
        chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)</option>', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        assert chosen is not None, name
        fields[name] = html.unescape(chosen.group(1) if chosen.group(1) is not None else chosen.group(2))
    return fields


@pytest.fixture
async def client(demo_engine: Engine, tmp_path: Path, rasa: FakeRasa) -> AsyncIterator[TestClient]:  # noqa: F811
    client = TestClient(TestServer(make_app(console_config(demo_engine, tmp_path, rasa.url))))
    await client.start_server()
    yield client
    await client.close()


async def reviewer(client: TestClient, demo: sessionmaker[Session], language: str = "en") -> Staff:
    staff = Staff(client)
    assert (await staff.login(new_user(demo, "agent", language=language))).status == 303
    return staff


def a_message(
    demo: sessionmaker[Session], text: str, entities: list[dict[str, object]], intent: str
) -> tuple[int, int]:
    def setup(session: Session) -> tuple[int, int]:
        alice = find_customer(session, "rest", "demo-alice")
        conversation = open_conversation(
            session, "rest", f"trap-{uuid.uuid4().hex[:8]}", customer_id=alice.id, language="en"
        )
        message = record_message(
            session, conversation, "customer", text, intent=intent, confidence=0.4, entities=entities
        )
        return conversation, message

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    return run_transaction(demo, setup)


def saved(demo: sessionmaker[Session], message_id: int) -> NluCorrection:
    with demo() as session:
        return session.scalars(select(NluCorrection).where(NluCorrection.message_id == message_id)).one()


async def test_a_masked_prefilled_entity_saves_with_its_value_from_the_crm(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    conversation, message = a_message(
        demo,
        "where is my order? mail me at alice@example.com",
        [{"entity": "email", "value": "alice@example.com", "start": 30, "end": 47}],
        "greet",
    )
    staff = await reviewer(client, demo)
    page = await staff.page(f"/conversations/{conversation}")
    assert "alice@example.com" not in page  # the page never shows it, not even in the form
    fields = prefilled_form(page, message)
    assert fields["entity_type_0"] == "email" and fields["entity_value_0"] == "" and fields["entity_own_0"] == "0"
    response = await staff.post(f"/messages/{message}/correction", {**fields, "intent": "track_order"})
    assert response.status == 303, await response.text()
    correction = saved(demo, message)
    assert correction.intent == "track_order"
    assert correction.entities == [{"entity": "email", "value": "alice@example.com", "start": 30, "end": 47}]


async def test_extracted_entities_that_do_not_fit_are_not_prefilled_and_the_correction_saves(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    conversation, message = a_message(
        demo,
        "is order KL20251107 the 苹果手机 x2",
        [
            {"entity": "order_id", "value": "KL20251107", "start": 9, "end": 19},
            {"entity": "order_id", "value": "KL20251107", "start": 9, "end": 19},
            {"entity": "product", "value": "iPhone 15"},
            {"entity": "number", "value": "2"},
        ],
        "greet",
    )
    staff = await reviewer(client, demo)
    page = await staff.page(f"/conversations/{conversation}")
    assert "Not pre-filled, they do not fit this message:" in page
    assert "“iPhone 15” (product) does not appear in the example" in page
    assert "number is not an entity type of the domain" in page
    fields = prefilled_form(page, message)
    assert (fields["entity_value_0"], fields["entity_type_0"]) == ("KL20251107", "order_id")
    assert fields["entity_value_1"] == fields["entity_type_1"] == ""
    response = await staff.post(f"/messages/{message}/correction", {**fields, "intent": "track_order"})
    assert response.status == 303, await response.text()
    assert [(e["entity"], e["value"]) for e in saved(demo, message).entities] == [("order_id", "KL20251107")]


async def test_an_edited_example_saves_and_says_which_entities_were_left_out(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    for language, left_out in (
        ("en", ("Correction saved.", "These entities were left out of it:", "“KL20251107” (order_id) does not appear")),
        ("zh", ("纠错已保存。", "以下实体未纳入其中:", "“KL20251107”(order_id)没有出现在样例中")),
    ):
        conversation, message = a_message(
            demo,
            "where is KL20251107 and my jacket",
            [{"entity": "order_id", "value": "KL20251107"}, {"entity": "product", "value": "jacket"}],
            "greet",
        )
        staff = await reviewer(client, demo, language)
        fields = prefilled_form(await staff.page(f"/conversations/{conversation}"), message)
        response = await staff.post(
            f"/messages/{message}/correction",
            {**fields, "intent": "track_order", "text": "where is my jacket"},
        )
        text = await response.text()
        assert response.status == 200 and all(words in text for words in left_out), text[:300]
        correction = saved(demo, message)
        assert (correction.text, correction.intent) == ("where is my jacket", "track_order")
        assert [(e["entity"], e["value"]) for e in correction.entities] == [("product", "jacket")]


async def test_an_entity_row_cannot_name_a_value_the_form_did_not_offer(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    """`entity_own_<row>` only names one of the message's own entities, by place and with the same type: a
    made-up place or type takes nothing from the CRM."""
    conversation, message = a_message(
        demo, "mail alice@example.com", [{"entity": "email", "value": "alice@example.com"}], "greet"
    )
    staff = await reviewer(client, demo)
    await staff.page(f"/conversations/{conversation}")
    response = await staff.post(
        f"/messages/{message}/correction",
        {
            "intent": "greet",
            "entity_type_0": "product",
            "entity_own_0": "0",
            "entity_type_1": "email",
            "entity_own_1": "7",
        },
    )
    assert response.status == 200
    assert saved(demo, message).entities == []

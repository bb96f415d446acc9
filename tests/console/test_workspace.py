"""The agent workspace over HTTP (#16 item 2): the quick-reply library (agents read it, supervisors and admins
change it), a quick reply filled for the conversation being served, internal notes that never reach the
customer, tags on conversations and customers and the lists filtered by them — roles, CSRF and bounded input."""

from __future__ import annotations

import uuid

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import AuditEntry, Customer, QuickReply, StaffNote
from crm.repository import find_customer, open_conversation, record_message, request_handoff
from crm.repository.workspace import TAG_MAX_CHARS
from tests.console.conftest import new_user
from tests.console.fake_rasa import FakeRasa
from tests.console.test_web import Staff, client, rasa, signed_in, staff_id  # noqa: F401 - fixtures

JSON = {"Accept": "application/json"}


def queue(demo: sessionmaker[Session], *, customer: bool = True) -> tuple[int, int, str]:
    """A conversation (of demo-li, or of a guest) queued for a person: (hand-off id, conversation id, sender)."""
    sender = f"ws-{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> tuple[int, int]:
        li = find_customer(session, "rest", "demo-li") if customer else None
        conversation = open_conversation(session, "rest", sender, customer_id=li.id if li else None, language="zh")
        record_message(session, conversation, "customer", "我要找人工客服", intent="contact_human_agent")
        handoff = request_handoff(session, conversation, reason="customer asked", sender_id=sender)
        return handoff, conversation

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    handoff, conversation = run_transaction(demo, setup)
    return handoff, conversation, sender


def li_name(demo: sessionmaker[Session]) -> tuple[int, str]:
    with demo() as session:
        li = find_customer(session, "rest", "demo-li")
        assert li is not None
        name = session.get_one(Customer, li.id).name
        assert name is not None
        return li.id, name


def sent_to(rasa: FakeRasa, sender: str, since: int = 0) -> list[object]:
    """What the console asked Rasa to do in this conversation (reads aside) after the first `since` requests."""
    return [body for kind, who, _, body in rasa.requests[since:] if who == sender and kind != "GET"]


def shortcut() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


# --- the library -------------------------------------------------------------------------------------------


async def test_agents_read_the_library_and_supervisors_manage_it(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    agent, _ = await signed_in(client, demo)
    page = await agent.page("/quick-replies")
    assert "/hello" in page and "{customer_name}" in page and 'id="quick-reply-form"' not in page
    name = shortcut()
    fields = {"shortcut": name, "title": "Delivery", "text_zh": "{customer_name}您好", "text_en": "Hi {customer_name}"}
    assert (await agent.post("/quick-replies", fields)).status == 403
    with demo() as session:
        hello = session.scalar(select(QuickReply.id).where(QuickReply.shortcut == "hello"))
    assert (await agent.post(f"/quick-replies/{hello}/delete")).status == 403
    assert (await agent.post(f"/quick-replies/{hello}", fields)).status == 403
    assert (await client.get(f"/quick-replies/{hello}")).status == 403

    supervisor, boss = await signed_in(client, demo, "supervisor")
    assert 'id="quick-reply-form"' in await supervisor.page("/quick-replies")
    created = await supervisor.post("/quick-replies", fields)
    assert created.status == 303 and created.headers["Location"] == "/quick-replies?done=saved"
    with demo() as session:
        row = session.scalar(select(QuickReply).where(QuickReply.shortcut == name))
        assert (row.title, row.text_zh, row.created_by) == ("Delivery", "{customer_name}您好", boss)
    assert f'value="{name}"' in await supervisor.page(f"/quick-replies/{row.id}")
    edited = await supervisor.post(f"/quick-replies/{row.id}", {**fields, "title": "配送"})
    assert edited.status == 303
    admin, _ = await signed_in(client, demo, "admin")
    await admin.page("/quick-replies")
    assert (await admin.post(f"/quick-replies/{row.id}/delete")).status == 303
    with demo() as session:
        assert session.get(QuickReply, row.id) is None


async def test_saving_refuses_unknown_variables_and_long_text_in_the_readers_language(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    supervisor, _ = await signed_in(client, demo, "supervisor")
    name = shortcut()
    refused = await supervisor.post(
        "/quick-replies", {"shortcut": name, "title": "x", "text_en": "Dear {first_name}", "text_zh": ""}
    )
    assert refused.status == 400 and "Unknown variable {first_name}" in await refused.text()
    long = await supervisor.post("/quick-replies", {"shortcut": name, "title": "x", "text_zh": "字" * 1001})
    assert long.status == 400 and "longer than 1000 characters" in await long.text()
    chinese = new_user(demo, "supervisor", language="zh")
    reader = Staff(client)
    assert (await reader.login(chinese)).status == 303
    page = await reader.page("/quick-replies")
    assert "快捷回复" in page and "Quick replies" not in page
    refused = await reader.post("/quick-replies", {"shortcut": "你好", "title": "x", "text_zh": "好"})
    assert refused.status == 400 and "快捷词为 1 到 24 个字母" in await refused.text()
    with demo() as session:
        assert session.scalar(select(QuickReply).where(QuickReply.shortcut == name)) is None


async def test_every_change_needs_the_csrf_token(client: TestClient, demo: sessionmaker[Session]) -> None:
    supervisor, _ = await signed_in(client, demo, "supervisor")
    handoff, conversation, _ = queue(demo)
    fields = {"shortcut": shortcut(), "title": "x", "text_zh": "好"}
    for path, data in [
        ("/quick-replies", fields),
        (f"/conversations/{conversation}/notes", {"text": "note"}),
        (f"/conversations/{conversation}/tags", {"name": "vip"}),
        ("/customers/1/tags/remove", {"name": "vip"}),
    ]:
        response = await client.post(path, data=data, allow_redirects=False)
        assert response.status == 403, path
        forged = await client.post(path, data={**data, "csrf_token": "x" * 43}, allow_redirects=False)
        assert forged.status == 403, path
    await supervisor.post(f"/handoffs/{handoff}/take")
    with demo() as session:
        hello = session.scalar(select(QuickReply.id).where(QuickReply.shortcut == "hello"))
    fill = await client.post(f"/handoffs/{handoff}/quick-replies/{hello}", headers=JSON)
    assert fill.status == 403
    other_site = await client.post(
        f"/handoffs/{handoff}/quick-replies/{hello}",
        headers={**JSON, "X-CSRF-Token": supervisor.csrf, "Origin": "https://evil.example"},
    )
    assert other_site.status == 403
    with demo() as session:
        assert session.scalar(select(StaffNote).where(StaffNote.conversation_id == conversation)) is None


# --- filling a quick reply -------------------------------------------------------------------------------


async def test_a_quick_reply_is_filled_for_the_agent_serving_it(
    client: TestClient, demo: sessionmaker[Session], rasa: FakeRasa
) -> None:
    handoff, _, sender = queue(demo)
    _, name = li_name(demo)
    agent, username = await signed_in(client, demo)
    with demo() as session:
        hello = session.scalar(select(QuickReply.id).where(QuickReply.shortcut == "hello"))
    url = f"/handoffs/{handoff}/quick-replies/{hello}"
    page = await agent.page(f"/handoffs/{handoff}")
    assert "/hello" in page and f'data-fill="{url}"' not in page  # not served by this agent yet
    before = await client.post(url, headers={**JSON, "X-CSRF-Token": agent.csrf})
    assert before.status == 409
    await agent.post(f"/handoffs/{handoff}/take")  # the customer is told an agent joined
    taken = len(rasa.requests)
    page = await agent.page(f"/handoffs/{handoff}")
    assert f'data-fill="{url}"' in page and name not in page  # the page stays masked
    filled = await client.post(url, headers={**JSON, "X-CSRF-Token": agent.csrf})
    data = await filled.json()
    assert filled.status == 200 and data["missing"] == [] and data["notice"] is None
    # in the conversation's language (Chinese), with the agent's name as customers see it, not the sign-in name
    assert data["text"].startswith(f"{name}您好，我是客服{staff_id(demo, username)}号") and username not in data["text"]
    other, _ = await signed_in(client, demo)
    assert (await client.post(url, headers={**JSON, "X-CSRF-Token": other.csrf})).status == 409
    with demo() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == username))
        assert "quick_reply_fill" in set(actions)
    assert sent_to(rasa, sender, taken) == []  # filling sends nothing


async def test_a_guest_has_no_name_and_a_reply_with_a_variable_left_is_not_sent(
    client: TestClient, demo: sessionmaker[Session], rasa: FakeRasa
) -> None:
    handoff, _, sender = queue(demo, customer=False)
    agent, _ = await signed_in(client, demo)
    await agent.post(f"/handoffs/{handoff}/take")
    taken = len(rasa.requests)
    with demo() as session:
        order = session.scalar(select(QuickReply.id).where(QuickReply.shortcut == "order"))
    filled = await client.post(
        f"/handoffs/{handoff}/quick-replies/{order}", headers={**JSON, "X-CSRF-Token": agent.csrf}
    )
    data = await filled.json()
    assert data["missing"] == ["customer_name", "order_number"] and "{order_number}" in data["text"]
    assert "{customer_name}, {order_number}" in data["notice"]
    sent = await agent.post(f"/handoffs/{handoff}/reply", {"text": data["text"]}, headers=JSON)
    assert sent.status == 400 and "{customer_name}" in (await sent.json())["error"]
    assert sent_to(rasa, sender, taken) == []


# --- notes and tags ----------------------------------------------------------------------------------------


async def test_notes_are_shown_to_staff_masked_and_never_sent(
    client: TestClient, demo: sessionmaker[Session], rasa: FakeRasa
) -> None:
    handoff, conversation, sender = queue(demo)
    customer_id, _ = li_name(demo)
    agent, username = await signed_in(client, demo)
    await agent.post(f"/handoffs/{handoff}/take")
    taken = len(rasa.requests)
    await agent.page(f"/handoffs/{handoff}")
    note = "客户说电话 13912345678 晚上才能接，<b>先别打</b>"
    added = await agent.post(
        f"/conversations/{conversation}/notes", {"text": note, "next": f"/handoffs/{handoff}#workspace"}
    )
    assert added.status == 303 and added.headers["Location"] == f"/handoffs/{handoff}#workspace"
    page = await agent.page(f"/handoffs/{handoff}")
    assert "139****5678" in page and "13912345678" not in page and "&lt;b&gt;先别打&lt;/b&gt;" in page
    assert username in page.split('data-notes="conversation"')[1].split("</ol>")[0]
    assert "13912345678" in await (await agent.post(f"/handoffs/{handoff}")).text()  # revealed, audited
    assert "139****5678" in await agent.page(f"/conversations/{conversation}")
    on_customer = await agent.post(f"/customers/{customer_id}/notes", {"text": "老客户，退货要快"})
    assert on_customer.headers["Location"] == f"/customers/{customer_id}"
    assert "老客户，退货要快" in await agent.page(f"/customers/{customer_id}")
    with demo() as session:
        notes = session.scalars(
            select(AuditEntry).where(AuditEntry.actor == username, AuditEntry.action == "staff_note_add")
        ).all()
    on_what = [(e.customer_id, "conversation_id" in e.detail) for e in notes]
    assert on_what == [(customer_id, True), (customer_id, False)]
    assert sent_to(rasa, sender, taken) == []  # nothing went to the customer
    assert (await agent.post(f"/conversations/{conversation}/notes", {"text": "  "})).status == 400
    assert (await agent.post(f"/conversations/{conversation}/notes", {"text": "x" * 2001})).status == 400
    assert (await agent.post("/conversations/999999999/notes", {"text": "x"})).status == 404
    elsewhere = await agent.post(f"/conversations/{conversation}/notes", {"text": "x", "next": "//evil.example/"})
    assert elsewhere.headers["Location"] == f"/conversations/{conversation}"


async def test_tags_filter_the_inbox_the_transcripts_and_the_customers(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    handoff, conversation, _ = queue(demo)
    other, other_conversation, _ = queue(demo)
    customer_id, _ = li_name(demo)
    agent, username = await signed_in(client, demo)
    tag = f"Refund {uuid.uuid4().hex[:6]}"
    normal = tag.lower()
    assert (await agent.post(f"/conversations/{conversation}/tags", {"name": f"  {tag} "})).status == 303
    inbox = await agent.page(f"/inbox?tag={normal.replace(' ', '+')}")
    assert f'data-handoff="{handoff}"' in inbox and f'data-handoff="{other}"' not in inbox
    assert f'data-handoff="{other}"' in await agent.page("/inbox")
    fragment = await agent.page(f"/inbox?fragment=1&tag={tag.upper().replace(' ', '+')}")
    assert f'data-handoff="{handoff}"' in fragment and f'data-handoff="{other}"' not in fragment
    transcripts = await agent.page(f"/conversations?tag={normal.replace(' ', '+')}")
    assert f'href="/conversations/{conversation}"' in transcripts
    assert f'href="/conversations/{other_conversation}"' not in transcripts
    assert f'class="tag" href="/conversations?tag={normal.replace(" ", "%20")}">{normal}</a>' in transcripts
    assert normal in await agent.page(f"/handoffs/{handoff}")

    assert (await agent.post(f"/customers/{customer_id}/tags", {"name": normal})).status == 303
    customers = await agent.page(f"/customers?tag={normal.replace(' ', '+')}")
    assert f'href="/customers/{customer_id}"' in customers
    removed = await agent.post(f"/conversations/{conversation}/tags/remove", {"name": normal})
    assert removed.status == 303
    assert f'data-handoff="{handoff}"' not in await agent.page(f"/inbox?tag={normal.replace(' ', '+')}")
    with demo() as session:
        trail = session.execute(
            select(AuditEntry.action, AuditEntry.customer_id).where(AuditEntry.actor == username)
        ).all()
    assert [action for action, _ in trail if action.startswith("tag_")] == ["tag_add", "tag_add", "tag_remove"]
    assert {who for action, who in trail if action.startswith("tag_")} == {customer_id}
    for bad in ("<script>", "x" * (TAG_MAX_CHARS + 1), " "):
        assert (await agent.post(f"/conversations/{conversation}/tags", {"name": bad})).status == 400, bad
    assert "A tag holds letters" in await agent.page("/inbox?tag=%3Cb%3E")


def note_ids(demo: sessionmaker[Session], conversation: int) -> list[int]:
    with demo() as session:
        return list(
            session.scalars(
                select(StaffNote.id).where(StaffNote.conversation_id == conversation).order_by(StaffNote.id)
            )
        )


def note_row(demo: sessionmaker[Session], note_id: int) -> StaffNote | None:
    with demo() as session:
        return session.get(StaffNote, note_id)


def audited(demo: sessionmaker[Session], actor: str, action: str) -> list[dict[str, object]]:
    with demo() as session:
        return [
            dict(e.detail)
            for e in session.scalars(select(AuditEntry).where(AuditEntry.actor == actor, AuditEntry.action == action))
        ]


async def test_the_author_and_supervisors_edit_and_delete_a_note_and_other_agents_may_not(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    _, conversation, _ = queue(demo)
    customer_id, _ = li_name(demo)
    page = f"/conversations/{conversation}"
    author, author_name = await signed_in(client, demo)
    await author.post(f"{page}/notes", {"text": "先核实物流单号"})
    await author.post(f"{page}/notes", {"text": "second note"})
    first, second = note_ids(demo, conversation)
    shown = await author.page(page)
    assert f'action="{page}/notes/{first}"' in shown and f'action="{page}/notes/{first}/delete"' in shown
    assert "Edit or delete" in shown and ">先核实物流单号</textarea>" in shown  # the author's own: offered

    edited = await author.post(f"{page}/notes/{first}", {"text": "  物流单号已核实 \r\n明天再跟进 ", "next": page})
    assert edited.status == 303 and edited.headers["Location"] == page
    row = note_row(demo, first)
    assert row is not None and row.text == "物流单号已核实 \n明天再跟进" and row.author == author_name
    assert row.edited_by == author_name and row.edited_at is not None
    shown = await author.page(page)
    assert "物流单号已核实" in shown and "先核实物流单号" not in shown
    assert f"by {author_name})" in shown.split(f'data-note="{first}"')[1].split("</li>")[0]  # the edit time shown
    assert "(edited" not in shown.split(f'data-note="{second}"')[1].split("</li>")[0]
    assert audited(demo, author_name, "staff_note_edit") == [{"conversation_id": conversation, "note_id": first}]

    # bounded like a new note; the note must be on the page's subject; no CSRF token, no change
    assert (await author.post(f"{page}/notes/{first}", {"text": " "})).status == 400
    assert (await author.post(f"{page}/notes/{first}", {"text": "x" * 2001})).status == 400
    assert (await author.post(f"/customers/{customer_id}/notes/{first}", {"text": "moved"})).status == 404
    assert (await author.post(f"{page}/notes/999999999", {"text": "x"})).status == 404
    assert (await author.post(f"{page}/notes/１２", {"text": "x"})).status == 404
    forged = await client.post(f"{page}/notes/{first}", data={"text": "forged"}, allow_redirects=False)
    assert forged.status == 403
    forged = await client.post(f"{page}/notes/{first}/delete", data={"csrf_token": "x" * 43}, allow_redirects=False)
    assert forged.status == 403
    assert (row := note_row(demo, first)) is not None and row.text == "物流单号已核实 \n明天再跟进"
    await author.post("/logout")

    # another agent (reading Chinese) sees the note and its edit time, but may neither edit nor delete it
    colleague_name = new_user(demo, "agent", language="zh")
    colleague = Staff(client)
    assert (await colleague.login(colleague_name)).status == 303
    shown = await colleague.page(page)
    assert "物流单号已核实" in shown and f"（{author_name} 于" in shown and "编辑或删除" not in shown
    assert f'action="{page}/notes/{first}"' not in shown
    refused = await colleague.post(f"{page}/notes/{first}", {"text": "我来改"})
    assert refused.status == 403 and "只有作者或主管可以修改" in await refused.text()
    assert (await colleague.post(f"{page}/notes/{first}/delete")).status == 403
    assert (row := note_row(demo, first)) is not None and row.text == "物流单号已核实 \n明天再跟进"
    assert audited(demo, colleague_name, "staff_note_edit") == audited(demo, colleague_name, "staff_note_delete") == []
    await colleague.post("/logout")

    # a supervisor may change anyone's note: edited under their name, the author stays
    supervisor, supervisor_name = await signed_in(client, demo, "supervisor")
    assert f'action="{page}/notes/{first}"' in await supervisor.page(page)
    assert (await supervisor.post(f"{page}/notes/{first}", {"text": "主管补充：已退款"})).status == 303
    row = note_row(demo, first)
    assert row is not None and (row.text, row.author, row.edited_by) == (
        "主管补充：已退款",
        author_name,
        supervisor_name,
    )
    assert (await supervisor.post(f"{page}/notes/{first}/delete")).status == 303
    assert note_ids(demo, conversation) == [second]
    assert audited(demo, supervisor_name, "staff_note_delete") == [{"conversation_id": conversation, "note_id": first}]
    await supervisor.post("/logout")

    # the author deletes their own
    author = Staff(client)
    assert (await author.login(author_name)).status == 303
    assert f'action="{page}/notes/{second}/delete"' in await author.page(page)
    assert (await author.post(f"{page}/notes/{second}/delete", {"next": page})).status == 303
    assert note_ids(demo, conversation) == []
    assert "No notes yet." in await author.page(page)


async def test_a_note_on_a_customer_with_masked_data_is_edited_only_once_revealed(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    customer_id, _ = li_name(demo)
    page = f"/customers/{customer_id}"
    agent, name = await signed_in(client, demo)
    await agent.post(f"{page}/notes", {"text": f"回电 13912345678 {uuid.uuid4().hex[:6]}"})
    with demo() as session:
        note_id = session.scalars(
            select(StaffNote.id).where(StaffNote.customer_id == customer_id, StaffNote.author == name)
        ).one()
    masked = await agent.page(page)
    own = masked.split(f'data-note="{note_id}"')[1].split("</li>")[0]
    assert "139****5678" in own and "13912345678" not in masked  # the stars are never put into an edit box
    assert "show the personal data to edit it" in own and f'action="{page}/notes/{note_id}"' not in own
    assert f'action="{page}/notes/{note_id}/delete"' in own
    revealed = await (await agent.post(page)).text()
    own = revealed.split(f'data-note="{note_id}"')[1].split("</li>")[0]
    assert f'action="{page}/notes/{note_id}"' in own and "13912345678" in own
    assert (await agent.post(f"{page}/notes/{note_id}", {"text": "回电 13912345678 已联系"})).status == 303
    assert audited(demo, name, "staff_note_edit") == [{"note_id": note_id}]
    row = note_row(demo, note_id)
    assert row is not None and row.text == "回电 13912345678 已联系" and row.edited_by == name

"""Queue operations over HTTP (#16 item 3): presence set in the header and kept alive by the heartbeat,
shown to supervisors; a supervisor assigns a waiting request and the agent's "mine" shows it; the cap on
concurrent conversations; and the periodic pass that routes requests and expires old ones into tickets,
telling the customer through Rasa in their language. Roles, CSRF and bounded input."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.hours import QueueSettings
from crm.models import AgentPresence, AuditEntry, HandoffRequest, HandoffStatus, Ticket
from crm.privacy import utcnow
from crm.repository import find_customer, open_conversation, request_handoff
from console.queue import run_pass
from console.views.handoffs import RASA
from console.web import DB
from tests.console.fake_rasa import FakeRasa
from tests.console.test_web import Staff, client, rasa, signed_in, staff_id  # noqa: F401 - fixtures

JSON = {"Accept": "application/json"}


def queued(demo: sessionmaker[Session], *, customer: bool = True, minutes_ago: int = 0, language: str = "zh") -> int:
    sender = f"q-{uuid.uuid4().hex[:8]}"
    at = utcnow() - timedelta(minutes=minutes_ago)

    def setup(session: Session) -> int:
        li = find_customer(session, "rest", "demo-li") if customer else None
        conversation = open_conversation(
            session, "rest", sender, customer_id=li.id if li else None, language=language, now=at
        )
        return request_handoff(session, conversation, reason="customer asked", sender_id=sender, now=at)

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    return run_transaction(demo, setup)


async def again(staff: Staff, name: str) -> Staff:
    """Sign `name` in again (the test client has one cookie jar: the last sign-in is who is browsing)."""
    assert (await staff.login(name)).status == 303
    await staff.page("/inbox")
    return staff


def waiting_row(page: str, handoff_id: int) -> bool:
    return re.search(rf'<tr data-handoff="{handoff_id}"', page) is not None


async def test_presence_from_the_header_and_the_heartbeat(client: TestClient, demo: sessionmaker[Session]) -> None:
    agent, name = await signed_in(client, demo)
    page = await agent.page("/inbox")
    assert 'id="presence"' in page and 'name="status"' in page
    assert (await agent.post("/presence", {"status": "asleep"})).status == 400
    assert (await client.post("/presence", data={"status": "online"}, allow_redirects=False)).status == 403  # no CSRF
    back = f"http://{client.host}:{client.port}/customers?q=1"
    changed = await agent.post("/presence", {"status": "online"}, headers={"Referer": back})
    assert changed.status == 303 and changed.headers["Location"] == "/customers?q=1"  # back to the page
    beat = await client.post("/presence/heartbeat", headers={"X-CSRF-Token": agent.csrf, **JSON})
    assert beat.status == 200 and await beat.json() == {"status": "online", "chosen": "online"}
    assert 'id="agents"' not in await agent.page("/inbox")  # the board is for supervisors
    supervisor, _ = await signed_in(client, demo, "supervisor")
    board = await supervisor.page("/inbox")
    row = re.search(rf'<tr data-agent="{name}" class="presence-online">.*?</tr>', board, re.S)
    assert row is not None and "Online" in row.group(0)

    # a console silent for longer than the timeout counts as offline
    def fall_silent(session: Session) -> None:
        session.get(AgentPresence, staff_id(demo, name)).seen_at = utcnow() - timedelta(minutes=10)

    run_transaction(demo, fall_silent)
    board = await supervisor.page("/inbox")
    assert re.search(rf'<tr data-agent="{name}" class="presence-offline">', board)
    await again(agent, name)
    assert (await agent.post("/presence", {"status": "offline"})).status == 303  # out of the later tests' queue


async def test_a_supervisor_assigns_and_the_agent_sees_it_in_mine(
    client: TestClient, demo: sessionmaker[Session]
) -> None:
    handoff = queued(demo)
    supervisor, boss = await signed_in(client, demo, "supervisor")
    agent, name = await signed_in(client, demo)
    assert waiting_row(await agent.page("/inbox?view=unassigned"), handoff)
    assert not waiting_row(await agent.page("/inbox?view=mine"), handoff)
    assert (await agent.post(f"/handoffs/{handoff}/assign", {"agent": name})).status == 403
    await again(supervisor, boss)
    assert (await supervisor.post(f"/handoffs/{handoff}/assign", {"agent": "nobody-" + name})).status == 400
    assert (await supervisor.post(f"/handoffs/{handoff}/assign", {"agent": "x" * 65})).status == 400
    assigned = await supervisor.post(f"/handoffs/{handoff}/assign", {"agent": name})
    assert assigned.status == 303
    assert not waiting_row(await supervisor.page("/inbox?view=mine"), handoff)
    assert waiting_row(await supervisor.page("/inbox?view=all"), handoff)
    with demo() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.actor == boss, AuditEntry.action == "handoff_assign")
        ).one()
        assert entry.detail["handoff_id"] == handoff
    await again(agent, name)
    mine = await agent.page("/inbox?view=mine")
    assert waiting_row(mine, handoff) and 'id="view-mine" aria-current="page"' in mine
    assert not waiting_row(await agent.page("/inbox?view=unassigned"), handoff)
    assert waiting_row(await agent.page("/inbox?fragment=1&view=mine"), handoff)
    await agent.page("/inbox")
    assert (await agent.post(f"/handoffs/{handoff}/take")).status == 303
    await again(supervisor, boss)
    assert (await supervisor.post(f"/handoffs/{handoff}/assign", {"agent": name})).status == 409


async def test_the_cap_is_bounded(client: TestClient, demo: sessionmaker[Session]) -> None:
    agent, name = await signed_in(client, demo)
    for bad in ("0", "51", "-1", "two", "1" * 10):
        assert (await agent.post("/presence/cap", {"max_open": bad})).status == 400, bad
    assert (await agent.post("/presence/cap", {"max_open": "3"})).status == 303
    with demo() as session:
        assert session.get(AgentPresence, staff_id(demo, name)).max_open == 3
    assert 'value="3"' in await agent.page("/inbox")
    assert (await agent.post("/presence/cap", {"max_open": ""})).status == 303
    with demo() as session:
        assert session.get(AgentPresence, staff_id(demo, name)).max_open is None


async def test_the_periodic_pass_expires_old_requests_into_tickets_and_tells_the_customer(
    client: TestClient, demo: sessionmaker[Session], rasa: FakeRasa
) -> None:
    old = queued(demo, minutes_ago=90, language="zh")
    old_visitor = queued(demo, customer=False, minutes_ago=95, language="en")
    fresh = queued(demo, minutes_ago=5)
    settings = QueueSettings(expiry_minutes=60)
    app = client.app
    expired = await run_pass(app[DB], app[RASA], settings)
    by_id = {e.handoff_id: e for e in expired}
    assert old in by_id and old_visitor in by_id and fresh not in by_id
    with demo() as session:
        row = session.get(HandoffRequest, old)
        assert row.status == HandoffStatus.CLOSED and row.ticket_id is not None
        number = session.get(Ticket, row.ticket_id).number
        assert session.get(HandoffRequest, fresh).status == HandoffStatus.WAITING
    said: dict[str | None, list[Any]] = {}
    for kind, who, _, body in rasa.requests:
        if kind == "events":
            said.setdefault(who, []).append(body)
    told_zh = str(said[by_id[old].sender_id])
    assert number in told_zh and "已为您创建工单" in told_zh
    assert "Sorry for the long wait" in str(said[by_id[old_visitor].sender_id])
    # and the conversation went back to the assistant
    assert {"event": "resume"} in said[by_id[old].sender_id][-1]

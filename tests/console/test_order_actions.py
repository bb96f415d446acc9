"""The orders panel of the hand-off page and its actions, over HTTP against the real console and a demo CRM of
its own (the actions change orders): who may act (the agent serving the hand-off, a supervisor), CSRF and the
confirmation, the audit trail and the transcript's internal line, the shop's rules by order state, the CRM's
own refusals shown as messages; and the repository functions behind "change the address" and "resend"."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from kelian.agent_voice import decode

from crm.db import make_engine, run_transaction, transaction
from crm.demo import ALICE, LI, DemoConfig, generate
from crm.errors import InvalidInput, NotAllowed
from crm.migrate import upgrade
from crm.models import (
    AuditEntry,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
    Shipment,
    ShipmentStatus,
)
from crm.privacy import utcnow
from crm.repository import find_customer, get_order, open_conversation, request_handoff
from crm.repository.fulfilment import change_order_address, order_shipping_address, resend_order
from console.app import make_app
from tests.console.conftest import new_user
from tests.console.fake_rasa import FakeRasa
from tests.console.test_web import Staff, console_config, rasa  # noqa: F401 - fixture

ORDER_FORMS = re.compile(r'action="/handoffs/\d+/orders/(KL\d{8})/(\w+)"')


@pytest.fixture(scope="module")
def shop_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('orders-crm') / 'crm.db'}")
    upgrade(engine)
    generate(engine, DemoConfig(customers=30, products=60, interactions=300, seed=11), show_progress=False)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def shop(shop_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=shop_engine, expire_on_commit=False)


@pytest.fixture
async def client(shop_engine: Engine, tmp_path: Path, rasa: FakeRasa) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(make_app(console_config(shop_engine, tmp_path, rasa.url))))
    await client.start_server()
    yield client
    await client.close()


def queue(shop: sessionmaker[Session], who: str | None = "demo-li") -> int:
    """A conversation of `who` (a REST id; None: an unidentified visitor) waiting for a person."""
    sender = f"{who or 'visitor'}-{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> int:
        customer = None if who is None else find_customer(session, "rest", who)
        conversation = open_conversation(
            session, "rest", sender, customer_id=None if customer is None else customer.id, language="zh"
        )
        return request_handoff(session, conversation, reason="customer asked", sender_id=sender)

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    return run_transaction(shop, setup)


async def sign_in(client: TestClient, shop: sessionmaker[Session], role: str = "agent", language: str = "en") -> Staff:
    staff = Staff(client)
    assert (await staff.login(new_user(shop, role, language=language))).status == 303
    await staff.page("/inbox")
    return staff


async def serving(client: TestClient, shop: sessionmaker[Session], handoff: int, language: str = "en") -> Staff:
    agent = await sign_in(client, shop, language=language)
    await agent.page(f"/handoffs/{handoff}")
    assert (await agent.post(f"/handoffs/{handoff}/take")).status == 303
    await agent.page(f"/handoffs/{handoff}")
    return agent


def audits(shop: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with shop() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def refunds_of(shop: sessionmaker[Session], number: str) -> list[Refund]:
    with shop() as session:
        return list(session.scalars(select(Refund).join(Order).where(Order.number == number).order_by(Refund.id)))


def error_of(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', page)
    assert found, page[:400]
    return found.group(1)


# --- the panel ------------------------------------------------------------------------------------------------


async def test_the_panel_shows_the_latest_orders_masked_with_the_actions_their_state_allows(
    client: TestClient, shop: sessionmaker[Session]
) -> None:
    handoff = queue(shop)
    agent = await sign_in(client, shop)
    waiting = await agent.page(f"/handoffs/{handoff}")
    assert "The customer&#39;s orders" in waiting and "KL20251107" in waiting
    assert ORDER_FORMS.findall(waiting) == []  # actions only for the agent serving it
    await agent.post(f"/handoffs/{handoff}/take")
    page = await agent.page(f"/handoffs/{handoff}")
    actions = set(ORDER_FORMS.findall(page))
    assert {("KL20251105", "address"), ("KL20251105", "cancel"), ("KL20251104", "cancel")} <= actions
    assert ("KL20251104", "address") not in actions  # shipped
    assert ("KL20251106", "cancel") not in actions and ("KL20251106", "refund") not in actions  # cancelled
    with shop() as session:
        address = order_shipping_address(session, "KL20251105", customer_id=LI)
    assert address is not None
    assert address.street not in page and address.phone not in page and address.recipient not in page
    assert f"{address.phone[:3]}****{address.phone[-4:]}" in page
    revealed = await agent.post(f"/handoffs/{handoff}")  # "show personal data", audited
    assert address.street in await revealed.text()


async def test_a_visitor_nobody_identified_has_no_orders(client: TestClient, shop: sessionmaker[Session]) -> None:
    handoff = queue(shop, None)
    agent = await serving(client, shop, handoff)
    page = await agent.page(f"/handoffs/{handoff}")
    assert "Nobody has identified this visitor yet" in page
    refused = await agent.post(f"/handoffs/{handoff}/orders/KL20251105/cancel", {"confirm": "yes"})
    assert refused.status == 409 and "customer is not identified" in error_of(await refused.text())


# --- a refund, end to end -------------------------------------------------------------------------------------


async def test_an_agent_starts_a_refund_audited_and_shown_as_an_internal_line(
    client: TestClient, shop: sessionmaker[Session], rasa: FakeRasa
) -> None:
    handoff = queue(shop)
    agent = await serving(client, shop, handoff)
    before = len(refunds_of(shop, "KL20251102"))
    done = await agent.post(
        f"/handoffs/{handoff}/orders/KL20251102/refund",
        {"confirm": "yes", "reason": "  stroller wheel broken ", "kind": "refund_only"},
    )
    assert done.status == 303 and done.headers["Location"] == f"/handoffs/{handoff}#orders"
    refunds = refunds_of(shop, "KL20251102")
    assert len(refunds) == before + 1
    refund = refunds[-1]
    assert (refund.status, refund.reason, refund.kind.value) == (
        RefundStatus.REQUESTED,
        "stroller wheel broken",
        "refund_only",
    )
    (entry,) = [e for e in audits(shop, "order_refund") if e.detail.get("handoff_id") == handoff]
    assert entry.customer_id == LI and entry.detail["order"] == "KL20251102" and entry.detail["result"] == refund.number
    assert "stroller" not in str(entry.detail)  # the audit holds ids and figures, not what was said
    page = await agent.page(f"/handoffs/{handoff}")
    assert f"started refund {refund.number} for order KL20251102" in page and 'class="msg internal"' in page
    assert ("KL20251102", "refund") not in ORDER_FORMS.findall(page)  # one refund in progress at a time
    live = await (await client.get(f"/handoffs/{handoff}/live", headers={"Accept": "application/json"})).json()
    assert [m["who"] for m in live["messages"] if refund.number in m["text"]] == ["internal"]
    # The customer is not told about it by the console: only the joined notice went to Rasa.
    assert [r[0] for r in rasa.requests if r[0] != "GET"] == ["events", "execute"]


async def test_the_crm_refusal_is_shown_in_the_page_and_changes_nothing(
    client: TestClient, shop: sessionmaker[Session]
) -> None:
    handoff = queue(shop)
    agent = await serving(client, shop, handoff)
    before = len(refunds_of(shop, "KL20251101"))
    refused = await agent.post(
        f"/handoffs/{handoff}/orders/KL20251101/refund", {"confirm": "yes", "reason": "changed my mind"}
    )
    assert refused.status == 409
    assert "The CRM refused" in error_of(await refused.text()) and "more than 30 days" in await refused.text()
    assert len(refunds_of(shop, "KL20251101")) == before
    assert not [e for e in audits(shop, "order_refund") if e.detail.get("handoff_id") == handoff]


async def test_state_rules_in_the_agents_language(client: TestClient, shop: sessionmaker[Session]) -> None:
    handoff = queue(shop)
    agent = await serving(client, shop, handoff, language="zh")
    shipped = await agent.post(
        f"/handoffs/{handoff}/orders/KL20251104/address", {"confirm": "yes", "address": "上海市浦东新区世纪大道1号"}
    )
    assert shipped.status == 409 and error_of(await shipped.text()) == "订单 KL20251104 已发货,无法再修改地址。"
    cancelled = await agent.post(f"/handoffs/{handoff}/orders/KL20251106/cancel", {"confirm": "yes"})
    assert cancelled.status == 409 and "已无法取消" in error_of(await cancelled.text())
    refunded = await agent.post(f"/handoffs/{handoff}/orders/KL20251103/resend", {"confirm": "yes", "reason": "x"})
    assert refunded.status == 409 and "无法补发" in error_of(await refunded.text())
    with shop() as session:
        assert get_order(session, "KL20251104").status == OrderStatus.SHIPPED


async def test_bad_input_is_refused_before_the_crm(client: TestClient, shop: sessionmaker[Session]) -> None:
    handoff = queue(shop)
    agent = await serving(client, shop, handoff)
    unconfirmed = await agent.post(f"/handoffs/{handoff}/orders/KL20251105/cancel", {})
    assert unconfirmed.status == 400 and "Tick the confirmation first" in error_of(await unconfirmed.text())
    unknown = await agent.post(f"/handoffs/{handoff}/orders/KL20251105/delete", {"confirm": "yes"})
    assert unknown.status == 400 and "No such order action" in error_of(await unknown.text())
    no_reason = await agent.post(f"/handoffs/{handoff}/orders/KL20251101/resend", {"confirm": "yes", "reason": " "})
    assert no_reason.status == 400 and "Give a reason" in error_of(await no_reason.text())
    long_address = await agent.post(
        f"/handoffs/{handoff}/orders/KL20251105/address", {"confirm": "yes", "address": "路" * 301}
    )
    assert long_address.status == 400 and "at most 300 characters" in error_of(await long_address.text())
    bad_number = await agent.post(f"/handoffs/{handoff}/orders/KL123/cancel", {"confirm": "yes"})
    assert bad_number.status == 400
    # Alice's order on Li's hand-off: the customer comes from the hand-off, never from the form.
    other = await agent.post(f"/handoffs/{handoff}/orders/KL20250107/cancel", {"confirm": "yes"})
    assert other.status == 404
    with shop() as session:
        assert get_order(session, "KL20250107").status == OrderStatus.PLACED
        assert get_order(session, "KL20251105").status == OrderStatus.PAID


# --- who may act ----------------------------------------------------------------------------------------------


async def test_only_the_agent_serving_it_or_a_supervisor_may_act(
    client: TestClient, shop: sessionmaker[Session]
) -> None:
    """One browser (one cookie jar): each sign-in below is the next person at it."""
    handoff = queue(shop, "demo-alice")
    first = await sign_in(client, shop)
    await first.page(f"/handoffs/{handoff}")
    not_taken = await first.post(f"/handoffs/{handoff}/orders/KL20250105/cancel", {"confirm": "yes"})
    assert not_taken.status == 409 and "Only the agent serving this conversation" in error_of(await not_taken.text())

    await serving(client, shop, handoff)  # an agent takes it
    another = await sign_in(client, shop)  # and another agent tries
    await another.page(f"/handoffs/{handoff}")
    someone_elses = await another.post(f"/handoffs/{handoff}/orders/KL20250105/cancel", {"confirm": "yes"})
    assert someone_elses.status == 409
    with shop() as session:
        assert get_order(session, "KL20250105").status == OrderStatus.PAID

    supervisor = await sign_in(client, shop, "supervisor")
    await supervisor.page(f"/handoffs/{handoff}")
    cancelled = await supervisor.post(f"/handoffs/{handoff}/orders/KL20250105/cancel", {"confirm": "yes"})
    assert cancelled.status == 303
    with shop() as session:
        assert get_order(session, "KL20250105").status == OrderStatus.CANCELLED
    assert [e.detail["order"] for e in audits(shop, "order_cancel") if e.detail.get("handoff_id") == handoff] == [
        "KL20250105"
    ]


async def test_order_actions_need_the_csrf_token(client: TestClient, shop: sessionmaker[Session]) -> None:
    handoff = queue(shop)
    await serving(client, shop, handoff)
    forged = await client.post(
        f"/handoffs/{handoff}/orders/KL20251107/cancel", data={"confirm": "yes"}, allow_redirects=False
    )
    assert forged.status == 403
    with shop() as session:
        assert get_order(session, "KL20251107").status == OrderStatus.PLACED


# --- the repository's rules for an address and a replacement --------------------------------------------------


def test_the_address_of_an_unshipped_order_changes_within_its_region(shop: sessionmaker[Session]) -> None:
    with transaction(shop) as session:
        current = order_shipping_address(session, "KL20250107", customer_id=ALICE)
        assert current is not None
        street = "上海市徐汇区漕溪北路 88 号 3 号楼"
        saved = change_order_address(session, "KL20250107", customer_id=ALICE, address=street)
        assert saved.street == street and saved.city == "上海" and not saved.is_default
        assert (saved.recipient, saved.phone) == (current.recipient, current.phone)
        now = order_shipping_address(session, "KL20250107", customer_id=ALICE)
        assert now is not None and now.street == saved.street
        assert get_order(session, "KL20250107").region_code == "east"  # Alice lives in Shanghai
        with pytest.raises(NotAllowed, match="changes its delivery"):
            change_order_address(session, "KL20250107", customer_id=ALICE, address="广州市天河区体育西路8号")
        with pytest.raises(NotAllowed, match="before it ships"):
            change_order_address(session, "KL20250104", customer_id=ALICE, address=current.street)


def test_a_replacement_only_for_a_delivered_order_or_a_lost_parcel(shop: sessionmaker[Session]) -> None:
    with transaction(shop) as session:
        with pytest.raises(NotAllowed, match="only for a delivered order or a lost parcel"):
            resend_order(session, "KL20250104", customer_id=ALICE, reason="where is it")
        last = session.scalars(
            select(Shipment).join(Order).where(Order.number == "KL20250104").order_by(Shipment.id.desc())
        ).first()
        last.status = ShipmentStatus.EXCEPTION  # the carrier lost it
        shipments = session.execute(select(func.count()).select_from(Shipment)).scalar_one()
        sent = resend_order(session, "KL20250104", customer_id=ALICE, reason="lost by the carrier", now=utcnow())
        assert sent.status == "label_created" and sent.tracking_number.startswith("RS")
        assert sent.estimated_delivery > (utcnow() - timedelta(days=1)).date()
        assert session.scalar(select(func.count()).select_from(Shipment)) == shipments + 1
        with pytest.raises(NotAllowed, match="already on its way"):
            resend_order(session, "KL20250104", customer_id=ALICE, reason="again")
        with pytest.raises(InvalidInput):
            resend_order(session, "KL20250101", customer_id=ALICE, reason="x" * 121)
        delivered = resend_order(session, "KL20250101", customer_id=ALICE, reason="arrived damaged")
        assert delivered.carrier
        assert get_order(session, "KL20250101").status == OrderStatus.DELIVERED  # the order's state is unchanged


# --- the agent's name on the customer's side -------------------------------------------------------------------


async def test_customers_see_the_name_chosen_on_the_account_page(
    client: TestClient, shop: sessionmaker[Session], rasa: FakeRasa
) -> None:
    agent = await sign_in(client, shop)
    await agent.page("/account")
    refused = await agent.post("/account/display-name", {"display_name": "<script>"})
    assert refused.status == 400 and "A name customers see is at most 16" in error_of(await refused.text())
    chosen = await agent.post("/account/display-name", {"display_name": "客服小林"})
    assert chosen.status == 303 and chosen.headers["Location"] == "/account?done=display_name"
    assert "customers see you as 客服小林" in await agent.page("/account?done=display_name")

    handoff = queue(shop)
    await agent.page(f"/handoffs/{handoff}")
    assert (await agent.post(f"/handoffs/{handoff}/take")).status == 303
    await agent.page(f"/handoffs/{handoff}")
    assert (await agent.post(f"/handoffs/{handoff}/reply", {"text": "您好"})).status == 303
    said = [
        decode(event["value"])
        for kind, _, _, body in rasa.requests
        if kind == "events"
        for event in body
        if event.get("name") == "agent_message"
    ]
    assert [(s.event, s.agent, s.text) for s in said if s is not None] == [
        ("joined", "客服小林", ""),
        ("message", "客服小林", "您好"),
    ]
    forged = await client.post("/account/display-name", data={"display_name": "boss"}, allow_redirects=False)
    assert forged.status == 403  # no CSRF token

"""What the action server needs from the CRM: proving an order is yours, delivery addresses typed in one
message, and the human hand-off queue (priority, summary, wait estimate); on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.errors import (
    CustomerNotFound,
    InvalidInput,
    InvalidOrderNumber,
    MissingContact,
    NotFound,
    UnknownDeliveryRegion,
)
from crm.models import Address, HandoffRequest
from crm.privacy import erase_customer
from tests.crm.conftest import AS_OF

ALICE, LI = 1, 2


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- order verification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "proof",
    ["8000", "尾号8000", " 8000 ", "手机尾号是８０００", "后四位：8000", "alice@example.com", " ALICE@Example.com "],
)
def test_the_owner_of_an_order_is_verified_by_phone_or_email(session: Session, proof: str) -> None:
    assert repo.verify_order_contact(session, "KL20250104", proof) == ALICE


def test_each_customer_verifies_their_own_orders(session: Session) -> None:
    assert repo.verify_order_contact(session, "kl20250104 ", "8000") == ALICE
    assert repo.verify_order_contact(session, "KL20251104", "5678") == LI
    assert repo.verify_order_contact(session, "KL20251104", "li.wei@example.cn") == LI


@pytest.mark.parametrize(
    "proof",
    [
        "1234",
        "5678",
        "li.wei@example.cn",
        "bob@example.com",
        "13800138000",
        "800",
        "80000",
        "尾号",
        "",
        "alice@",
        "8000 thanks",
        "8 0 0 0",
        "KL20250104",
    ],
)
def test_a_wrong_or_foreign_proof_is_refused(session: Session, proof: str) -> None:
    assert repo.verify_order_contact(session, "KL20250104", proof) is None


def test_an_unknown_order_answers_like_a_wrong_proof(session: Session) -> None:
    assert repo.verify_order_contact(session, "KL00000000", "8000") is None
    assert repo.verify_order_contact(session, "KL00000000", "alice@example.com") is None
    with pytest.raises(InvalidOrderNumber):
        repo.verify_order_contact(session, "KL123", "8000")


def test_the_phone_of_an_address_verifies_and_an_erased_customer_never_does(session: Session) -> None:
    assert repo.verify_order_contact(session, "KL20250104", "4321") is None
    repo.save_address(
        session,
        ALICE,
        "Room 5, 88 Nanjing Road, Shanghai 200001",
        recipient="Bob Chen",
        phone="137 0000 4321",
        make_default=False,
    )
    assert repo.verify_order_contact(session, "KL20250104", "4321") == ALICE
    erase_customer(session, ALICE, actor="test", now=AS_OF)
    for proof in ("8000", "4321", "alice@example.com"):
        assert repo.verify_order_contact(session, "KL20250104", proof) is None


# --- addresses -------------------------------------------------------------------------------


def test_a_chinese_address_is_placed_and_completed_from_the_profile(session: Session) -> None:
    saved = repo.save_address(session, LI, "上海市浦东新区世纪大道１００号   200120", now=AS_OF)
    assert (saved.region_code, saved.city, saved.postcode) == ("east", "上海", "200120")
    assert saved.street == "上海市浦东新区世纪大道100号 200120"
    assert (saved.recipient, saved.phone, saved.is_default) == ("李伟", "13912345678", True)


def test_an_english_address_is_placed_despite_its_street_named_after_another_city(session: Session) -> None:
    saved = repo.save_address(
        session, ALICE, "Room 5, 88 Nanjing Road, Shanghai 200001", recipient=" Bob  Chen ", phone="+86 137 0000 1234"
    )
    assert (saved.region_code, saved.city, saved.postcode) == ("east", "上海", "200001")
    assert (saved.recipient, saved.phone) == ("Bob Chen", "13700001234")


@pytest.mark.parametrize(
    ("text", "region", "city"),
    [
        ("广州市天河区北京路1号", "south", "广州"),
        ("吉林省长春市朝阳区人民大街1号", "northeast", "长春"),
        ("新疆乌鲁木齐市天山区解放北路8号 830000", "remote", "乌鲁木齐"),
        ("Flat 2, 9 Beijing Road, Lhasa, Tibet", "remote", "拉萨"),
        ("湖南省长沙市岳麓区麓山南路932号", "central", "长沙"),
        ("1 Chunxi Road, Chengdu, Sichuan 610000", "southwest", "成都"),
        ("陕西省西安市雁塔区长安南路", "northwest", "西安"),
        ("Building 3, Jianguo Road, Chaoyang District, BEIJING", "north", "北京"),
        ("浙江省某县某村", "east", "华东"),
        ("华南地区 某镇", "south", "华南"),
    ],
)
def test_addresses_resolve_their_region_and_city(session: Session, text: str, region: str, city: str) -> None:
    saved = repo.save_address(session, ALICE, text)
    assert (saved.region_code, saved.city) == (region, city)


def test_an_address_outside_every_region_or_without_contact_is_refused_and_writes_nothing(session: Session) -> None:
    addresses = _count(session, Address)
    with pytest.raises(UnknownDeliveryRegion) as unknown:
        repo.save_address(session, ALICE, "1 Queen's Road Central, Hong Kong")
    assert isinstance(unknown.value, InvalidInput)
    assert "East China / 华东" in str(unknown.value) and "偏远地区" in str(unknown.value)
    assert [code for code, _, _ in unknown.value.regions] == [code for code, _, _ in repo.delivery_regions(session)]
    with pytest.raises(UnknownDeliveryRegion):
        repo.save_address(session, ALICE, "浦东新区世纪大道100号")  # no city or province named
    no_phone = repo.create_customer(session, name="Nemo Lin", identities=[("wechat", "o-no-phone")], now=AS_OF)
    with pytest.raises(MissingContact) as missing:
        repo.save_address(session, no_phone.id, "北京市朝阳区建国路1号")
    assert missing.value.field == "phone" and isinstance(missing.value, InvalidInput)
    nameless = repo.customer_for_sender(session, "wechat", "o-nameless", now=AS_OF)
    with pytest.raises(MissingContact) as missing:
        repo.save_address(session, nameless.id, "北京市朝阳区建国路1号", phone="13500003333")
    assert missing.value.field == "recipient"
    for bad in (
        {"text": "   "},
        {"text": "北京" * 200},
        {"text": "北京市", "phone": "12"},
        {"text": "北京市", "recipient": " "},
    ):
        with pytest.raises(InvalidInput):
            repo.save_address(session, ALICE, **bad)  # type: ignore[arg-type]
    with pytest.raises(CustomerNotFound):
        repo.save_address(session, 999_999, "北京市朝阳区建国路1号")
    assert _count(session, Address) == addresses


def test_the_default_address_moves(session: Session) -> None:
    before = repo.addresses_of(session, LI)
    assert before and before[0].is_default and [a.is_default for a in before].count(True) == 1
    side = repo.save_address(session, LI, "浙江省杭州市西湖区文三路1号", make_default=False)
    assert not side.is_default
    listing = repo.addresses_of(session, LI)
    assert listing[0] == before[0] and side in listing
    home = repo.save_address(session, LI, "江苏省南京市鼓楼区中山路2号")
    listing = repo.addresses_of(session, LI)
    assert listing[0] == home and home.is_default and [a.is_default for a in listing].count(True) == 1
    repo.save_address(session, LI, "浙江省杭州市西湖区文三路1号")  # the same text again: no copy, now the default
    listing = repo.addresses_of(session, LI)
    assert len(listing) == len(before) + 2 and listing[0].street == "浙江省杭州市西湖区文三路1号"
    assert [a.is_default for a in listing].count(True) == 1
    assert repo.default_address_region(session, LI) == "east"


def test_a_first_address_is_the_default_and_lends_its_phone_to_the_next(session: Session) -> None:
    customer = repo.create_customer(session, name="Zoe Park", language="en", now=AS_OF)
    assert repo.addresses_of(session, customer.id) == []
    first = repo.save_address(
        session, customer.id, "12 Keyuan Road, Shenzhen, Guangdong 518057", phone="13500002222", make_default=False
    )
    assert first.is_default and first.recipient == "Zoe Park" and first.region_code == "south"
    second = repo.save_address(session, customer.id, "成都市锦江区春熙路1号", make_default=False)
    assert second.phone == "13500002222" and not second.is_default
    assert repo.addresses_of(session, customer.id) == [first, second]


# --- the hand-off queue ----------------------------------------------------------------------


def _queue(
    session: Session, name: str, *, priority: int = 0, at: timedelta = timedelta(0), summary: str | None = None
) -> int:
    conversation = repo.open_conversation(session, "web", f"queue-{name}", now=AS_OF + at)
    return repo.request_handoff(
        session, conversation, reason="contact_human_agent", priority=priority, summary=summary, now=AS_OF + at
    )


def test_the_inbox_serves_higher_priority_first_then_first_come(session: Session) -> None:
    ids = {
        name: _queue(session, name, priority=priority, at=timedelta(minutes=minutes), summary=f"{name} summary")
        for name, priority, minutes in (
            ("calm", 0, 1),
            ("vip", 5, 3),
            ("angry", 9, 4),
            ("later", 0, 5),
            ("vip-first", 5, 2),
        )
    }
    inbox = repo.handoff_inbox(session, limit=1000)
    ours = [h.id for h in inbox if h.id in ids.values()]
    assert ours == [ids["angry"], ids["vip-first"], ids["vip"], ids["calm"], ids["later"]]
    keys = [(-h.priority, h.requested_at) for h in inbox]
    assert keys == sorted(keys)
    angry = inbox[0]
    assert (angry.id, angry.priority, angry.summary) == (ids["angry"], 9, "angry summary")
    assert repo.request_handoff(session, angry.conversation_id, reason="again", priority=1, summary="x") == angry.id
    assert repo.handoff_inbox(session, limit=1)[0] == angry  # idempotent: nothing changed


def test_handoff_requests_are_validated_before_anything_is_written(session: Session) -> None:
    conversation = repo.open_conversation(session, "web", "queue-bad-priority", now=AS_OF)
    handoffs = _count(session, HandoffRequest)
    for priority in (-1, 101, 1.5, True, "5"):
        with pytest.raises(InvalidInput):
            repo.request_handoff(session, conversation, reason="x", priority=priority)  # type: ignore[arg-type]
    assert _count(session, HandoffRequest) == handoffs
    with pytest.raises(InvalidInput):
        repo.handoff_inbox(session, status="lost")
    with pytest.raises(NotFound):
        repo.handoff_wait(session, 999_999)
    blank = repo.request_handoff(session, conversation, reason="x", summary="   ")
    with pytest.raises(InvalidInput):
        repo.handoff_wait(session, blank, default_minutes=0)
    found = repo.open_handoff_of(session, "web", "queue-bad-priority")
    assert found is not None and found.id == blank and found.summary is None and found.priority == 0


def _assignment_history(session: Session) -> None:
    """90 assignments after the demo's: the latest 50 took 4 minutes (26) or 10 (24), the 40 before 30 minutes.
    The median of the latest 50 is 4; that of all 90 would be 10."""
    start = AS_OF + timedelta(days=1)
    for i in range(90):
        took = 30 if i < 40 else (4 if i % 2 == 0 or i >= 88 else 10)
        requested = start + timedelta(hours=i)
        conversation = repo.open_conversation(session, "web", f"history-{i}", now=requested)
        handoff = repo.request_handoff(session, conversation, reason="fallback", now=requested)
        repo.assign_handoff(session, handoff, agent="agent.lin", now=requested + timedelta(minutes=took))
        repo.close_handoff(session, handoff, now=requested + timedelta(minutes=took + 5))


def test_the_wait_estimate_follows_the_position(session: Session) -> None:
    _assignment_history(session)
    demo_waiting = len(repo.handoff_inbox(session, limit=10_000))
    assert demo_waiting >= 1 and {h.priority for h in repo.handoff_inbox(session, limit=10_000)} == {0}
    later = AS_OF + timedelta(days=10)
    first = _queue(session, "urgent-1", priority=50, at=later - AS_OF)
    assert repo.handoff_wait(session, first) == repo.HandoffWait(
        position=1, waiting=demo_waiting + 1, estimated_minutes=4
    )
    second = _queue(session, "urgent-2", priority=50, at=later - AS_OF + timedelta(minutes=1))
    assert repo.handoff_wait(session, second).estimated_minutes == 8
    jumper = _queue(session, "urgent-3", priority=60, at=later - AS_OF + timedelta(minutes=2))
    assert repo.handoff_wait(session, jumper).position == 1
    assert repo.handoff_wait(session, second) == repo.HandoffWait(3, demo_waiting + 3, 12)
    normal = _queue(session, "normal", at=later - AS_OF + timedelta(minutes=3))
    wait = repo.handoff_wait(session, normal)
    assert (wait.position, wait.waiting) == (demo_waiting + 4, demo_waiting + 4)
    assert wait.estimated_minutes == 4 * wait.position
    repo.assign_handoff(session, jumper, agent="agent.zhou", now=later + timedelta(minutes=5))
    assert repo.handoff_wait(session, jumper) == repo.HandoffWait(0, demo_waiting + 3, 0)
    assert repo.handoff_wait(session, second).position == 2


def test_the_wait_estimate_falls_back_without_enough_history(session: Session) -> None:
    session.execute(delete(HandoffRequest).where(HandoffRequest.assigned_at.is_not(None)))
    queued = [_queue(session, f"fallback-{i}", priority=90, at=timedelta(days=20, minutes=i)) for i in range(3)]
    assert repo.handoff_wait(session, queued[0], default_minutes=2.5).estimated_minutes == 3  # ceil(1 × 2.5)
    assert repo.handoff_wait(session, queued[1], default_minutes=2.5).estimated_minutes == 5
    assert repo.handoff_wait(session, queued[2]).estimated_minutes == 9  # default 3 minutes
    for i in range(4):  # four assignments are not enough to trust their median
        repo.assign_handoff(
            session,
            _queue(session, f"quick-{i}", at=timedelta(days=21, minutes=i)),
            agent="a",
            now=AS_OF + timedelta(days=21, minutes=i, seconds=6),
        )
    assert repo.handoff_wait(session, queued[0]).estimated_minutes == 3
    repo.assign_handoff(
        session,
        _queue(session, "quick-4", at=timedelta(days=21, minutes=9)),
        agent="a",
        now=AS_OF + timedelta(days=21, minutes=9, seconds=6),
    )
    assert repo.handoff_wait(session, queued[2]).estimated_minutes == math.ceil(3 * 0.1) == 1  # at least 1 minute


def test_a_customer_who_writes_again_finds_their_handoff(session: Session) -> None:
    assert repo.open_handoff_of(session, "wechat", "wx-queue-1") is None
    conversation = repo.open_conversation(session, "wechat", "wx-queue-1", customer_id=LI, now=AS_OF)
    assert repo.open_handoff_of(session, "wechat", "wx-queue-1") is None
    handoff = repo.request_handoff(
        session, conversation, reason="complaint", summary="包裹被雨淋湿了，要求赔偿", priority=3, now=AS_OF
    )
    found = repo.open_handoff_of(session, "wechat", " wx-queue-1 ")
    assert found is not None and (found.id, found.status, found.customer_id) == (handoff, "waiting", LI)
    assert (found.priority, found.summary) == (3, "包裹被雨淋湿了，要求赔偿")
    assert repo.open_handoff_of(session, "web", "wx-queue-1") is None  # sender ids are per channel
    raw = session.execute(text("SELECT summary FROM handoff_requests WHERE id = :id"), {"id": handoff}).scalar()
    assert raw is not None and "包裹".encode() not in bytes(raw)  # encrypted at rest
    repo.assign_handoff(session, handoff, agent="agent.zhou", now=AS_OF + timedelta(minutes=2))
    assigned = repo.open_handoff_of(session, "wechat", "wx-queue-1")
    assert assigned is not None and (assigned.status, assigned.agent) == ("assigned", "agent.zhou")
    repo.close_handoff(session, handoff, now=AS_OF + timedelta(minutes=9))
    assert repo.open_handoff_of(session, "wechat", "wx-queue-1") is None


def test_erasure_blanks_the_handoff_summary(session: Session) -> None:
    conversation = repo.open_conversation(session, "wechat", "wx-erase-me", customer_id=LI, now=AS_OF)
    handoff = repo.request_handoff(session, conversation, reason="complaint", summary="我叫李伟，电话13912345678")
    erase_customer(session, LI, actor="test", now=AS_OF)
    row = session.execute(
        select(HandoffRequest.customer_id, HandoffRequest.summary).where(HandoffRequest.id == handoff)
    ).one()
    assert tuple(row) == (None, None)
    assert repo.open_handoff_of(session, "wechat", "wx-erase-me") is None


def test_every_delivery_option_is_each_regions_options_in_region_order(session: Session) -> None:
    by_region = [
        option for code, _, _ in repo.delivery_regions(session) for option in repo.delivery_options(session, code)
    ]
    everything = repo.every_delivery_option(session)
    assert everything == by_region and len({o.region_en for o in everything}) > 1

"""Consented outreach (crm/outreach): who the rules select, consent and reachability, the frequency cap,
re-runs that send nothing twice, the one-tap opt-out, the hold-out arm, the web's next visit and the
report (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crm.cli import main
from crm.db import make_engine, transaction
from crm.errors import InvalidInput
from crm.experiments.definitions import create_experiment, parse_arm, start_experiment, with_wordings
from crm.experiments.outcomes import arm_counts
from crm.migrate import upgrade
from crm.models import (
    Channel,
    ChurnRisk,
    ConsentEvent,
    ConsentPurpose,
    Conversation,
    ConversationStatus,
    Customer,
    ExperimentExposure,
    Interaction,
    InteractionKind,
    Language,
    Message,
    MessageSender,
    Order,
    OrderStatus,
    OutreachMessage,
    OutreachStatus,
    Product,
)
from crm.outreach.campaigns import create_campaign, get_campaign
from crm.outreach.consent import opt_out
from crm.outreach.delivery import PATH, Delivery, RasaWeChatSender, template_fields, window_closed
from crm.outreach.report import campaign_figures
from crm.outreach.selection import clv_threshold, select_candidates
from crm.outreach import sending
from crm.outreach.sending import run_campaign
from crm.outreach.web import take_pending
from crm.outreach.wording import compose
from crm.repository import create_customer
from kelian.opt_out import is_opt_out
from tests.crm.conftest import AS_OF, DemoShop

NOW = AS_OF + timedelta(days=1)


class FakeWeChat:
    """WeChat's side of a send: records what reached each openid; refuses the openids in `refuse`."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse = refuse or set()

    def send(self, openid: str, text: str) -> str | None:
        if openid in self.refuse:
            return "custom/send refused: errcode 45015 response out of time limit"
        self.sent.append((openid, text))
        return None

    def to(self, openid: str) -> list[str]:
        return [text for who, text in self.sent if who == openid]


@pytest.fixture
def factory(demo_shop: DemoShop) -> Iterator[sessionmaker[Session]]:
    """Sessions on one connection whose transactions are savepoints, all rolled back after the test."""
    with demo_shop.engine.connect() as connection:
        outer = connection.begin()
        yield sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        outer.rollback()


def person(
    session: Session,
    *,
    channel: str = "wechat",
    consent: bool = True,
    churn: ChurnRisk | None = ChurnRisk.HIGH,
    clv: float = 1_000_000,
    language: str = "zh",
    preferred: str | None = None,
) -> tuple[int, str]:
    """A customer with an identity on `channel` (its id returned too), preferring that channel."""
    address = f"o{uuid.uuid4().hex[:20]}"
    customer = create_customer(
        session, name="Test", language=language, identities=[(channel, address)], marketing_consent=consent, now=AS_OF
    )
    row = session.get(Customer, customer.id)
    assert row is not None
    row.marketing_consent = consent
    row.churn_risk, row.clv = churn, Decimal(str(clv))
    row.preferred_channel = Channel(preferred or channel)
    session.flush()
    return customer.id, address


def campaign(session: Session, key: str = "winback", rule: str = "churn_high_value", **options: Any) -> None:
    create_campaign(
        session, key, rule, message_en="We miss you: 10 % off this week.", message_zh="好久不见,本周九折。", **options
    )


def messages(session: Session, customer_id: int) -> list[OutreachMessage]:
    return list(session.scalars(select(OutreachMessage).where(OutreachMessage.customer_id == customer_id)))


# --- selection ------------------------------------------------------------------------------------


def test_churn_rule_takes_high_risk_top_clv_consented_customers_only(session: Session) -> None:
    chosen, _ = person(session)
    low_value, _ = person(session, clv=0)
    medium_risk, _ = person(session, churn=ChurnRisk.MEDIUM)
    no_consent, _ = person(session, consent=False)
    ids = {c.customer_id for c in select_candidates(session, "churn_high_value", NOW)[0]}
    assert chosen in ids
    assert not ids & {low_value, medium_risk, no_consent}
    threshold = clv_threshold(session)
    scored = [float(v) for v in session.scalars(select(Customer.clv).where(Customer.clv.is_not(None))) if v is not None]
    assert threshold is not None and 0.15 <= sum(v >= threshold for v in scored) / len(scored) <= 0.25


def test_cart_rule_takes_carts_left_a_day_without_a_later_order(session: Session) -> None:
    product = session.scalar(select(Product.id).limit(1))
    left, _ = person(session, churn=None, clv=0)
    recent, _ = person(session, churn=None, clv=0)
    bought, _ = person(session, churn=None, clv=0)
    for cid, hours in ((left, 30), (recent, 2), (bought, 30)):
        session.add(
            Interaction(
                customer_id=cid,
                product_id=product,
                kind=InteractionKind.ADD_TO_CART,
                weight=4.0,
                channel="wechat",
                occurred_at=NOW - timedelta(hours=hours),
            )
        )
    session.add(
        Interaction(
            customer_id=bought,
            product_id=product,
            kind=InteractionKind.PURCHASE,
            weight=8.0,
            channel="web",
            occurred_at=NOW - timedelta(hours=3),
        )
    )
    session.flush()
    found = {c.customer_id: c for c in select_candidates(session, "abandoned_cart", NOW)[0]}
    assert left in found and found[left].trigger.startswith("cart:")
    assert recent not in found and bought not in found


def test_the_channel_is_the_preferred_one_when_reachable_else_the_customer_is_left_out(session: Session) -> None:
    web, web_id = person(session, channel="web")
    phone_only, _ = person(session, channel="wechat", preferred="phone")  # no conversation either
    candidates, unreachable = select_candidates(session, "churn_high_value", NOW)
    found = {c.customer_id: c for c in candidates}
    assert found[web].channel == "web" and found[web].address == web_id
    assert phone_only not in found and unreachable >= 1


# --- runs -------------------------------------------------------------------------------------------


def test_a_run_sends_once_and_a_rerun_sends_nothing(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        cid, openid = person(session)
        english, english_openid = person(session, language="en")
        campaign(session)
    wechat = FakeWeChat()
    first = run_campaign(factory, "winback", wechat=wechat, now=NOW)
    assert wechat.to(openid) == ["好久不见,本周九折。\n\n回复“退订”即不再接收此类消息。"]
    assert wechat.to(english_openid) == ['We miss you: 10 % off this week.\n\nReply "STOP" to stop these messages.']
    assert first.outcomes["sent on WeChat"] >= 2
    again = run_campaign(factory, "winback", wechat=wechat, now=NOW + timedelta(days=30))
    assert len(wechat.to(openid)) == 1 and again.already >= 2 and not again.outcomes["sent on WeChat"]
    with transaction(factory) as session:
        (row,) = messages(session, cid)
        assert row.status == OutreachStatus.SENT and row.sent_at is not None
        assert messages(session, english)[0].language == "en"


def test_dry_run_lists_and_records_nothing(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        cid, _ = person(session)
        campaign(session)
    wechat = FakeWeChat()
    summary = run_campaign(factory, "winback", wechat=wechat, now=NOW, dry_run=True)
    assert cid in {p.candidate.customer_id for p in summary.planned}
    assert wechat.sent == []
    with transaction(factory) as session:
        assert messages(session, cid) == []


def test_the_frequency_cap_spans_campaigns(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        cid, openid = person(session)
        campaign(session, "first", cap_days=7)
        campaign(session, "second", cap_days=7)
    wechat = FakeWeChat()
    run_campaign(factory, "first", wechat=wechat, now=NOW)
    capped = run_campaign(factory, "second", wechat=wechat, now=NOW + timedelta(days=3))
    assert len(wechat.to(openid)) == 1 and capped.capped >= 1
    run_campaign(factory, "second", wechat=wechat, now=NOW + timedelta(days=8))
    assert len(wechat.to(openid)) == 2


def test_a_refused_send_is_recorded_as_failed_and_not_retried(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        cid, openid = person(session)
        campaign(session)
    wechat = FakeWeChat(refuse={openid})
    run_campaign(factory, "winback", wechat=wechat, now=NOW)
    run_campaign(factory, "winback", wechat=FakeWeChat(), now=NOW + timedelta(days=1))
    with transaction(factory) as session:
        (row,) = messages(session, cid)
        assert row.status == OutreachStatus.FAILED and "45015" in (row.error or "")


def test_a_selection_sqlite_refuses_midway_is_run_again_and_sends_each_message_once(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process committing between the selection's reads and its first write makes SQLite refuse the
    transaction ("database is locked", at once, whatever the busy timeout): the run starts it again and
    nothing is recorded or sent twice (an e2e run failed on this while the stack wrote its own events)."""
    with transaction(factory) as session:
        cid, openid = person(session)
        campaign(session)
    record, refused = sending._record, list[bool]()

    def record_once_refused(session: Session, *args: Any) -> OutreachMessage:
        message = record(session, *args)
        if not refused:
            refused.append(True)
            session.flush()
            raise OperationalError("INSERT INTO outreach_messages", {}, Exception("database is locked"))
        return message

    monkeypatch.setattr(sending, "_record", record_once_refused)
    wechat = FakeWeChat()
    summary = run_campaign(factory, "winback", wechat=wechat, now=NOW)
    assert refused and wechat.to(openid) == ["好久不见,本周九折。\n\n回复“退订”即不再接收此类消息。"]
    assert summary.outcomes["sent on WeChat"] == len(wechat.sent)
    with transaction(factory) as session:
        (row,) = messages(session, cid)
        assert row.status == OutreachStatus.SENT


# --- opt-out ----------------------------------------------------------------------------------------


def test_the_opt_out_words_are_whole_messages_only() -> None:
    assert all(is_opt_out(w) for w in ("退订", " STOP ", "Stop!", "ＳＴＯＰ", "unsubscribe", "TD", "退订。"))
    assert not any(is_opt_out(w) for w in ("stop my order", "请帮我退订单", "", None, "stop" * 50))


def test_opting_out_writes_a_consent_event_and_every_later_selection_excludes_them(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        cid, openid = person(session)
        web, _ = person(session, channel="web")
        campaign(session, "first", cap_days=0)
        campaign(session, "second", cap_days=0)
    wechat = FakeWeChat()
    run_campaign(factory, "first", wechat=wechat, now=NOW)
    with transaction(factory) as session:
        assert opt_out(session, cid, source="chat-wechat", now=NOW + timedelta(hours=1))
        assert opt_out(session, web, source="chat-web", now=NOW + timedelta(hours=1))
        assert not opt_out(session, cid, source="chat-wechat")  # already out: nothing changes
        event = session.scalars(select(ConsentEvent).where(ConsentEvent.customer_id == cid)).all()[-1]
        assert (event.purpose, event.granted, event.source) == (ConsentPurpose.MARKETING, False, "chat-wechat")
        assert not session.get(Customer, cid).marketing_consent
        # the web message that waited for the next visit is cancelled, never shown
        assert take_pending(session, web) == []
        assert messages(session, web)[0].status == OutreachStatus.CANCELLED
    run_campaign(factory, "second", wechat=wechat, now=NOW + timedelta(days=1))
    assert len(wechat.to(openid)) == 1


# --- web --------------------------------------------------------------------------------------------


def test_the_web_message_waits_for_the_next_visit_and_is_shown_once(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        cid, _ = person(session, channel="web", language="en")
        campaign(session)
    summary = run_campaign(factory, "winback", wechat=FakeWeChat(), now=NOW)
    assert summary.outcomes["waiting for the next web visit"] >= 1
    with transaction(factory) as session:
        (shown,) = take_pending(session, cid, now=NOW + timedelta(hours=5))
        assert shown.text.startswith("We miss you") and "Unsubscribe" in shown.text
        assert shown.button == {"title": "Unsubscribe", "payload": "unsubscribe"}
        assert is_opt_out(shown.button["payload"])
        assert take_pending(session, cid) == []
        (row,) = messages(session, cid)
        assert row.status == OutreachStatus.SHOWN and row.shown_at == NOW + timedelta(hours=5)


# --- hold-out -----------------------------------------------------------------------------------------


def outreach_experiment(session: Session) -> None:
    create_experiment(
        session,
        "winback-test",
        [parse_arm("holdout:50"), parse_arm("message:50")],
        metric="purchase",
        planned_per_arm=100,
        surface="outreach",
        window_days=7,
        now=AS_OF,
    )


def test_an_experiment_must_be_on_the_outreach_surface_and_running(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        create_experiment(
            session, "recs", [parse_arm("a:1"), parse_arm("b:1")], metric="rec_click", planned_per_arm=10, now=AS_OF
        )
        with pytest.raises(InvalidInput, match="surface outreach"):
            campaign(session, experiment="recs")
        outreach_experiment(session)
        campaign(session, experiment="winback-test")
    with pytest.raises(InvalidInput, match="start it"):
        run_campaign(factory, "winback", wechat=FakeWeChat(), now=NOW)


def test_the_hold_out_is_selected_and_recorded_but_never_contacted(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        people = [person(session) for _ in range(40)]
        outreach_experiment(session)
        start_experiment(session, "winback-test", at=AS_OF, now=AS_OF)
        campaign(session, experiment="winback-test")
    wechat = FakeWeChat()
    run_campaign(factory, "winback", wechat=wechat, now=NOW)
    with transaction(factory) as session:
        rows = {cid: messages(session, cid)[0] for cid, _ in people}
        held = [cid for cid, row in rows.items() if row.arm == "holdout"]
        treated = [cid for cid, row in rows.items() if row.arm == "message"]
        assert held and treated and len(held) + len(treated) == 40
        addresses = dict(people)
        assert all(rows[c].status == OutreachStatus.HELD_OUT and not wechat.to(addresses[c]) for c in held)
        assert all(rows[c].status == OutreachStatus.SENT and wechat.to(addresses[c]) for c in treated)
        exposed = set(session.scalars(select(ExperimentExposure.customer_id)))
        assert {cid for cid, _ in people} <= exposed  # both arms, from the selection (intent to treat)
        # a purchase of a treated customer within the window shows in both reports
        buyer = treated[0]
        region = session.scalar(select(Order.region_code).limit(1))
        session.add(
            Order(
                number=f"KL{uuid.uuid4().int % 10**8:08d}",
                customer_id=buyer,
                status=OrderStatus.PAID,
                placed_at=NOW + timedelta(days=2),
                updated_at=NOW + timedelta(days=2),
                region_code=region,
                subtotal=Decimal("99"),
                shipping_fee=Decimal("0"),
                total=Decimal("99"),
            )
        )
        session.flush()
        later = NOW + timedelta(days=8)
        figures = {f.arm: f for f in campaign_figures(session, get_campaign(session, "winback"), later)}
        assert figures["holdout"].held_out == len(held) and figures["holdout"].contacted == 0
        assert figures["message"].contacted == len(treated) and figures["message"].purchased >= 1
        experiment = get_campaign(session, "winback").experiment
        assert experiment is not None
        counts = {c.name: c for c in arm_counts(session, experiment, later)}
        assert counts["message"].conversions >= 1 and counts["holdout"].exposed == len(held)


def test_the_experiments_target_applies_to_the_campaign_as_in_the_chat(factory: sessionmaker[Session]) -> None:
    """The arm comes from `arm_for`, the one function that reads an experiment: a WeChat-only experiment
    assigns and records the WeChat customers, and the web ones, outside its target, are left out (neither
    assigned, exposed nor contacted) instead of being hashed into an arm the experiment never targeted."""
    with transaction(factory) as session:
        wechat_people = [person(session) for _ in range(12)]
        web_people = [person(session, channel="web")[0] for _ in range(12)]
        create_experiment(
            session,
            "winback-wechat",
            [parse_arm("holdout:1"), parse_arm("message:1")],
            metric="purchase",
            planned_per_arm=100,
            surface="outreach",
            target="channel:wechat",
            now=AS_OF,
        )
        start_experiment(session, "winback-wechat", at=AS_OF, now=AS_OF)
        campaign(session, experiment="winback-wechat")
    wechat = FakeWeChat()
    summary = run_campaign(factory, "winback", wechat=wechat, now=NOW)
    assert summary.untargeted >= len(web_people) and "outside the experiment's target" in summary.line()
    assert all(p.candidate.channel == Channel.WECHAT for p in summary.planned)
    with transaction(factory) as session:
        exposed = set(session.scalars(select(ExperimentExposure.customer_id)))
        for cid in web_people:
            assert messages(session, cid) == [] and cid not in exposed
        arms = set()
        for cid, address in wechat_people:
            (row,) = messages(session, cid)
            assert row.arm in ("holdout", "message") and cid in exposed
            assert bool(wechat.to(address)) == (row.arm == "message")
            arms.add(row.arm)
        assert arms == {"holdout", "message"}


# --- an offer per arm ------------------------------------------------------------------------------------

TEN_OFF = [
    "ten_off:outreach_message:en=Welcome back: 10 % off, code TEN10.",
    "ten_off:outreach_message:zh=欢迎回来:九折,优惠码 TEN10。",
]


def offers_experiment(
    session: Session, wordings: list[str] = TEN_OFF, arms: str = "holdout:1,ten_off:1,free_ship:1"
) -> None:
    create_experiment(
        session,
        "offers",
        with_wordings([parse_arm(a) for a in arms.split(",")], wordings),
        metric="purchase",
        planned_per_arm=100,
        surface="outreach",
        now=AS_OF,
    )


def test_each_arm_sends_its_own_offer_or_the_campaigns_and_the_report_counts_it_under_the_arm(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        people = {person(session, language=lang) for lang in ("zh", "en") for _ in range(25)}
        web_people = [person(session, channel="web", language=lang)[0] for lang in ("zh", "en") for _ in range(10)]
        offers_experiment(session)
        start_experiment(session, "offers", at=AS_OF, now=AS_OF)
        campaign(session, experiment="offers")
    wechat = FakeWeChat()
    run_campaign(factory, "winback", wechat=wechat, now=NOW)
    expected = {
        ("ten_off", "en"): "Welcome back: 10 % off, code TEN10.",
        ("ten_off", "zh"): "欢迎回来:九折,优惠码 TEN10。",
        ("free_ship", "en"): "We miss you: 10 % off this week.",
        ("free_ship", "zh"): "好久不见,本周九折。",
    }
    with transaction(factory) as session:
        seen: set[tuple[str, str]] = set()
        for cid, address in people:
            (row,) = messages(session, cid)
            if row.arm == "holdout":
                assert row.status == OutreachStatus.HELD_OUT and wechat.to(address) == []
                continue
            assert row.arm is not None
            (text,) = wechat.to(address)
            assert text.startswith(expected[(row.arm, row.language.value)] + "\n\n")
            seen.add((row.arm, row.language.value))
        assert seen == set(expected)  # every arm in both languages reached someone
        for cid in web_people:
            (row,) = messages(session, cid)
            shown = take_pending(session, cid, now=NOW + timedelta(hours=1))
            if row.arm == "holdout":
                assert shown == []
            else:
                assert row.arm is not None
                assert shown[0].text.startswith(expected[(row.arm, row.language.value)] + "\n\n")
        rows = list(session.scalars(select(OutreachMessage)))
        figures = {
            f.arm: f for f in campaign_figures(session, get_campaign(session, "winback"), NOW + timedelta(days=1))
        }
        for arm in ("ten_off", "free_ship"):
            mine = [r for r in rows if r.arm == arm]
            assert mine and figures[arm].contacted == len(mine) and figures[arm].held_out == 0
        assert figures["holdout"].contacted == 0
        assert figures["holdout"].held_out == sum(r.arm == "holdout" for r in rows)


@pytest.mark.parametrize(
    ("wordings", "arms", "refusal"),
    [
        (TEN_OFF[:1], "holdout:1,ten_off:1", "zh is missing"),
        (["ten_off:outreach_message:en=" + "x" * 601, TEN_OFF[1]], "holdout:1,ten_off:1", "at most 600"),
        (["ten_off:outreach_message:en=Hi {name}", TEN_OFF[1]], "holdout:1,ten_off:1", "stray braces"),
        (["holdout:outreach_message:en=Hi", "holdout:outreach_message:zh=你好"], "holdout:1,ten_off:1", "hold-out"),
        (
            ["ten_off:rec_intro_popular:en=Hot:", "ten_off:rec_intro_popular:zh=热门:"],
            "holdout:1,ten_off:1",
            "cannot vary",
        ),
        (TEN_OFF, "holdout:1,ten_off:1:strategy=als", "message only"),
        (["cut:outreach_message:en=Hi", "cut:outreach_message:zh=你好"], "holdout:1,ten_off:1", "not one of"),
    ],
)
def test_an_arms_offer_is_refused_at_creation_when_it_is_not_a_sound_message(
    session: Session, wordings: list[str], arms: str, refusal: str
) -> None:
    with pytest.raises(InvalidInput, match=refusal):
        offers_experiment(session, wordings, arms)


def test_an_outreach_message_does_not_fit_another_surface(session: Session) -> None:
    for surface, metric in (("replies", "resolved"), ("recommendations", "rec_click")):
        with pytest.raises(InvalidInput, match="cannot vary|not recommendations"):
            create_experiment(
                session,
                f"wrong-{surface}",
                with_wordings([parse_arm("a:1"), parse_arm("ten_off:1")], TEN_OFF),
                metric=metric,
                planned_per_arm=10,
                surface=surface,
                now=AS_OF,
            )


# --- the command line ---------------------------------------------------------------------------------


def test_the_command_line_creates_dry_runs_lists_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'outreach.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        cid, _ = person(session, channel="web")
    engine.dispose()

    def crm(*args: str) -> int:
        return main(["--database-url", url, "outreach", *args])

    assert crm("create", "winback", "--rule", "churn_high_value", "--message-en", "Hi", "--message-zh", "你好") == 0
    assert crm("create", "bad", "--rule", "everyone", "--message-en", "Hi", "--message-zh", "你好") == 1
    assert "rule must be one of" in capsys.readouterr().err
    assert crm("run", "winback", "--dry-run", "--customer", str(cid + 1)) == 0
    assert "0 selected" in capsys.readouterr().out
    assert crm("run", "winback", "--dry-run", "--json") == 0
    dry = json.loads(capsys.readouterr().out)
    assert [r["customer_id"] for r in dry["selected"]] == [cid] and "dry run" in dry["summary"]
    assert crm("run", "winback") == 0
    assert "1 waiting for the next web visit" in capsys.readouterr().out
    assert crm("list", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["rule"] == "churn_high_value"
    assert crm("report", "winback", "--json") == 0
    (arm,) = json.loads(capsys.readouterr().out)["arms"]
    assert (arm["selected"], arm["pending"], arm["by_channel"]) == (1, 1, {"web": 1})


def test_the_report_counts_replies_and_opt_outs_after_the_contact(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        replied, _ = person(session)
        silent, _ = person(session)
        campaign(session, window_days=3)
    run_campaign(factory, "winback", wechat=FakeWeChat(), now=NOW, only={replied, silent})
    with transaction(factory) as session:
        sent_at = messages(session, replied)[0].sent_at
        assert sent_at is not None
        conversation = Conversation(
            customer_id=replied,
            channel="wechat",
            status=ConversationStatus.OPEN,
            started_at=sent_at + timedelta(hours=1),
        )
        conversation.messages.append(
            Message(sender=MessageSender.CUSTOMER, text="有什么新品?", created_at=sent_at + timedelta(hours=1))
        )
        session.add(conversation)
        opt_out(session, silent, source="chat-wechat", now=NOW + timedelta(days=1))  # after the selection
        session.flush()
        (figures,) = campaign_figures(session, get_campaign(session, "winback"), NOW + timedelta(days=4))
        assert (figures.selected, figures.contacted, figures.replied, figures.opted_out) == (2, 2, 1, 1)
        assert (figures.analysed, figures.purchased, figures.purchase_rate) == (2, 0, 0.0)


# --- delivery: the WeChat channel's customer-service message, else its template message ------------------


class OutreachRoute:
    """The Rasa server's outreach route: records each request and answers `answer` (or HTTP `status`)."""

    def __init__(self, answer: dict[str, Any], status: int = 200) -> None:
        self.requests: list[tuple[str, str | None, dict[str, Any]]] = []
        channel = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                channel.requests.append((self.path, self.headers.get("Authorization"), body))
                reply = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def through(answer: dict[str, Any], status: int = 200, **deliver: Any) -> tuple[Delivery, dict[str, Any]]:
    channel = OutreachRoute(answer, status)
    try:
        text = compose("好久不见,本周九折。", Channel.WECHAT, Language.ZH)
        delivery = RasaWeChatSender(channel.url, "s3cret", timeout=5).deliver("oAbc", text, **deliver)
    finally:
        channel.close()
    ((path, authorization, body),) = channel.requests
    assert (path, authorization) == (PATH, "Bearer s3cret")
    return delivery, body


def test_the_template_fields_are_the_offer_the_kind_the_date_and_the_way_out_in_the_customers_language() -> None:
    zh = template_fields(compose("好久不见,本周九折。", Channel.WECHAT, Language.ZH), "zh", NOW)
    assert zh == {
        "first": "好久不见,本周九折。",
        "keyword1": "会员专属优惠",
        "keyword2": NOW.date().isoformat(),
        "remark": "回复“退订”即不再接收此类消息。",
    }
    en = template_fields(compose("We miss you:\n\n10 % off.", Channel.WECHAT, Language.EN), "en", NOW)
    assert (en["first"], en["keyword1"], en["remark"]) == (
        "We miss you:\n\n10 % off.",
        "A member offer",
        'Reply "STOP" to stop these messages.',
    )
    assert template_fields("Just an offer", "en", NOW)["first"] == "Just an offer"


def test_the_window_is_closed_48_hours_after_the_followers_last_message() -> None:
    assert window_closed(None, NOW) is None
    assert window_closed(NOW - timedelta(hours=47, minutes=59), NOW) is False
    assert window_closed(NOW - timedelta(hours=48), NOW) is True


def test_the_channel_is_asked_with_the_language_the_template_fields_and_the_window_and_says_which_way() -> None:
    delivery, body = through({"delivered": True, "via": "template"}, last_wrote=NOW - timedelta(days=3), now=NOW)
    assert delivery == Delivery("template", None)
    assert (body["openid"], body["language"], body["window"]) == ("oAbc", "zh", "closed")
    assert body["template"]["first"] == "好久不见,本周九折。" and body["template"]["keyword2"] == NOW.date().isoformat()
    inside, body = through({"delivered": True, "via": "customer_service"}, last_wrote=NOW - timedelta(hours=1), now=NOW)
    assert inside == Delivery("customer_service", None) and body["window"] == "open"
    unknown, body = through({"delivered": True, "via": "customer_service"}, language="en")
    assert body["window"] == "open" and body["language"] == "en" and body["template"]["keyword1"] == "A member offer"


def test_a_send_the_channel_could_not_make_is_a_failure_with_its_reason_never_a_silent_success() -> None:
    reason = "outside the 48 h window (45015) and no template configured (KELIAN_WECHAT_OUTREACH_TEMPLATE_ID)"
    failed, _ = through({"delivered": False, "via": "template", "error": reason})
    assert failed == Delivery("template", reason)
    forbidden, _ = through({"delivered": False, "error": "forbidden"}, status=403)
    assert forbidden == Delivery(None, "the Rasa server answered HTTP 403")
    odd, _ = through({"via": "pigeon"})
    assert odd == Delivery(None, "WeChat did not accept the message")
    channel = OutreachRoute({"delivered": False, "via": "template", "error": reason})
    try:
        assert RasaWeChatSender(channel.url, "s3cret", timeout=5).send("oAbc", "hi") == reason
    finally:
        channel.close()
    assert RasaWeChatSender("http://127.0.0.1:9", "").deliver("oAbc", "hi").error is not None

"""One source of truth for shop facts (#13): every answer about delivery, fees and response times
states the figures of the CRM's delivery options and of the `facts` of policies.yml, in both
languages — the policy answers, the FAQ, the domain's responses and the actions' own messages.

The check reads every money amount and every duration out of an answer and requires each to be a
figure of the single source; two answers that disagree cannot both pass it."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from crm.db import transaction
from crm.models import CancellationFeeRule, Ticket, TicketStatus
from crm.repository import DeliveryOptionView, default_address_region, every_delivery_option, find_customer
from actions.base import Reply
from actions.faq import ActionAnswerFaq
from actions.feedback import ActionOpenComplaint
from actions.knowledge import (
    KNOWLEDGE_DIR,
    days_of,
    delivery_facts,
    fact,
    fact_values,
    money_span,
    placeholders,
    policies,
    render,
    span,
)
from actions.orders import ActionCancellationFee
from actions.payments import ActionInvoice, ActionPaymentIssue
from actions.policies import ActionContactInfo, ActionRefundPolicy
from actions.shipping import ActionDeliveryOptions, ActionDeliveryPeriod, option_line
from kelian.language import LANGUAGES, Language
from tests.actions.conftest import ALICE, make_tracker, texts

ROOT = Path(__file__).resolve().parents[2]
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_MONEY_EN = re.compile(rf"¥({_NUMBER})(?:\s?[–-]\s?¥?({_NUMBER})|\s?to\s?¥({_NUMBER}))?")
_MONEY_ZH = re.compile(rf"({_NUMBER})(?:\s?(?:[–-]|至|到)\s?({_NUMBER}))?\s?元")
_DURATION = re.compile(
    r"(\d+)(?:\s?[–-]\s?(\d+))?[\s-]?(working days?|days?|hours?|minutes?|months?|个工作日|天|小时|分钟|个月)"
)
_UNIT = {
    "working day": "working_days",
    "working days": "working_days",
    "个工作日": "working_days",
    "day": "days",
    "days": "days",
    "天": "days",
    "hour": "hours",
    "hours": "hours",
    "小时": "hours",
    "minute": "minutes",
    "minutes": "minutes",
    "分钟": "minutes",
    "month": "months",
    "months": "months",
    "个月": "months",
}
# What an answer about delivery, fees or response times says: its figures must be facts.
_ABOUT_FACTS = re.compile(
    r"deliver(y|ies)\b|shipping|\bships?\b|courier|parcel|postage|express|\bfees?\b|free over|reply|"
    r"answered within|refund|配送|快递|运费|包邮|送达|发货|包裹|回复|手续费|退款|费用",
    re.IGNORECASE,
)


def _figure(low: str, high: str | None) -> str:
    low, high = low.replace(",", ""), (high or low).replace(",", "")
    return low if low == high else f"{low}–{high}"


def claims(text: str) -> set[tuple[str, str]]:
    """The figures `text` states: ("money", "8–20"), ("working_days", "1–3"), ("hours", "4")…"""
    found = {("money", _figure(m[1], m[2] or m[3])) for m in _MONEY_EN.finditer(text)}
    found |= {("money", _figure(m[1], m[2])) for m in _MONEY_ZH.finditer(text)}
    found |= {(_UNIT[m[3]], _figure(m[1], m[2])) for m in _DURATION.finditer(text)}
    return found


@pytest.fixture(scope="module")
def delivery(services):
    with transaction(services.crm) as session:
        return delivery_facts(every_delivery_option(session))


@pytest.fixture(scope="module")
def source(delivery) -> set[tuple[str, str]]:
    """Every figure the single source holds, as the answers say it."""
    figures: set[tuple[str, str]] = set()
    for language in LANGUAGES:
        for value in fact_values(delivery, language).values():
            figures |= claims(value)
    return figures


def knowledge_texts() -> list[tuple[str, Language, str]]:
    """(where, language, template) of every policy answer and FAQ answer: filled by `render`."""
    found = [
        (f"policies.yml {topic}", language, texts[language])
        for topic, texts in policies().items()
        for language in LANGUAGES
    ]
    with open(KNOWLEDGE_DIR / "faq.yml", encoding="utf-8") as f:
        found += [
            (f"faq.yml {entry['id']}", language, entry["answer"][language])
            for entry in yaml.safe_load(f)
            for language in LANGUAGES
        ]
    return found


def test_every_answer_states_the_same_figures_in_both_languages():
    """The FAQ's own figures (gift cards, membership tiers, warranty…) are written once per language:
    the two must agree."""
    said: dict[str, dict[str, set]] = {}
    for where, language, template in knowledge_texts():
        said.setdefault(where, {})[language] = claims(render(template, language, {}))
    assert {where: both for where, both in said.items() if both["en"] != both["zh"]} == {}


def domain_texts() -> list[tuple[str, str, str]]:
    """(where, language, text) of every response of the domain (Rasa fills its slots, not facts)."""
    found = []
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        for name, variants in responses.items():
            for variant in variants:
                language = "zh" if any(c.get("value") == "zh" for c in variant.get("condition") or []) else "en"
                found.append((f"{path.name} {name}", language, variant.get("text") or ""))
    return found


_CLAUSE = re.compile(r"\n|•|;|;|。|\.\s|!\s")
_FIGURES = (_MONEY_EN, _MONEY_ZH, _DURATION)


def delivery_disagreements(text: str, delivery, region: str | None = None) -> list[str]:
    """Figures `text` gives a delivery option that are not that option's in the CRM. A figure belongs
    to the option named last before it in its clause (or the first one after it; the card brand American
    Express is no option); the options are
    summarised over every region unless the text names one region (or `region` is given)."""
    codes = [code for code in ("standard", "express", "same_day") if code in delivery]
    regions = {
        key.removesuffix("_standard"): delivery[key]
        for key in delivery
        if key.endswith("_standard") and key != "standard"
    }
    if region is None:
        named = [code for code, f in regions.items() if f.regions_en[0] in text or f.regions_zh[0] in text]
        region = named[0] if len(named) == 1 else None
    facts = {code: delivery.get(f"{region}_{code}") if region else delivery[code] for code in codes}
    names = {code: (delivery[code].name_en.split()[0], delivery[code].name_zh) for code in codes}
    for code in codes:
        text = text.replace(delivery[code].carrier, "")
    off = []
    for clause in _CLAUSE.split(text):
        mentions = sorted(
            (m.start(), code)
            for code in codes
            for name in names[code]
            for m in re.finditer(r"(?<!American )" + re.escape(name), clause, re.IGNORECASE)
        )
        if not mentions:
            continue
        for pattern in _FIGURES:
            for figure in pattern.finditer(clause):
                before = [code for at, code in mentions if at < figure.start()]
                code = before[-1] if before else mentions[0][1]
                option = facts[code]
                said = (
                    set()
                    if option is None
                    else claims(" ".join([*option.values("en").values(), *option.values("zh").values()]))
                )
                if claims(figure.group()) - said:
                    off.append(f"{code}: {figure.group()} in {clause!r}")
    return off


def about_facts(template: str) -> bool:
    return bool(placeholders(template)) or bool(_ABOUT_FACTS.search(template))


def off_source(text: str, source: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return claims(text) - source


# --- how a figure reads -------------------------------------------------------------------------


def test_a_range_whose_ends_agree_is_one_number():
    assert days_of(1, 1, "en") == "1 working day" and days_of(1, 1, "zh") == "1 个工作日"
    assert days_of(1, 3, "en") == "1–3 working days" and days_of(2, 3, "zh") == "2–3 个工作日"
    assert days_of(0, 0, "en") == "the same day"
    assert span(4, 4, "hours", "en") == "4 hours" and span(4, 4, "hours", "zh") == "4 小时"
    assert money_span(Decimal(8), Decimal(8), "en") == "¥8"
    assert (
        money_span(Decimal(8), Decimal(20), "en") == "¥8–¥20" and money_span(Decimal(8), Decimal(20), "zh") == "8–20 元"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_regional_option_of_one_day_says_one_day(dispatcher, language):
    express = DeliveryOptionView(
        1,
        "east",
        "East China",
        "华东",
        "express",
        "Express delivery",
        "顺丰特快",
        "SF Express",
        Decimal("18"),
        None,
        1,
        1,
    )
    reply = Reply(dispatcher, make_tracker("delivery?", slots={"language": language}))
    line = option_line(delivery_facts([express])["express"], reply)
    assert (
        "1–1" not in line and days_of(1, 1, language) in line and money_span(Decimal(18), Decimal(18), language) in line
    )


# --- the texts ----------------------------------------------------------------------------------


def test_every_text_renders_in_both_languages(delivery):
    for where, language, template in knowledge_texts():
        said = render(template, language, delivery)
        assert said.strip() and "{" not in said, where
        assert not re.search(r"(?<![\d,])(\d+)–\1(?!\d)", said), f"{where}: {said}"


def test_no_answer_about_delivery_fees_or_response_times_writes_a_figure_itself():
    """Figures come from placeholders: a literal one is a second source that will drift. The domain's
    responses cannot name a fact at all, so they state none."""
    written = {
        (where, language): sorted(claims(template))
        for where, language, template in knowledge_texts() + domain_texts()
        if about_facts(template) and claims(template)
    }
    assert written == {}


def test_every_figure_of_those_answers_is_the_sources(delivery, source):
    checked = 0
    for where, language, template in knowledge_texts():
        if about_facts(template):
            said = render(template, language, delivery)
            assert not off_source(said, source), f"{where} ({language}): {said}"
            assert not delivery_disagreements(said, delivery), f"{where} ({language}): {said}"
            checked += bool(claims(said))
    assert checked >= 40  # the delivery, returns, payment and invoice answers of both languages


def test_answers_that_disagree_fail_the_check(delivery, source):
    """The contradictions of #13, against the CRM's options and the facts of policies.yml."""
    east = delivery["east_standard"].values("en")
    assert not delivery_disagreements(
        f"Standard delivery: {east['east_standard_days']}, {east['east_standard_fee']}", delivery, region="east"
    )
    assert delivery_disagreements("Standard 3–5 working days, ¥10", delivery, region="east")
    assert delivery_disagreements("Standard (3–5 working days) — free over ¥99, otherwise ¥10", delivery)
    assert delivery_disagreements("订单满 99 元标准快递包邮,不满 99 元运费 10 元。", delivery)
    assert delivery_disagreements("Express delivery is ¥20 and same-day delivery ¥30.", delivery)
    assert off_source("我们会在 2 个工作日内回复", source) and off_source("answered within 12 hours", source)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_cancellation_fees_are_told_from_the_crms_rules(dispatcher, services, language):
    """The CRM's fee rules are what a cancellation is charged by and the only place their figures are
    written: each rule states its own hours, share and minimum, and the general answer is those rules."""
    with transaction(services.crm) as session:
        rules = list(session.scalars(select(CancellationFeeRule)))
    said = await said_by(ActionCancellationFee(), dispatcher, "what does cancelling cost", language, sender="stranger")
    assert len(rules) >= 3
    for rule in rules:
        text = rule.description_zh if language == "zh" else rule.description_en
        assert text in said
        stated = claims(text)
        if rule.free_within_hours:
            assert ("hours", str(rule.free_within_hours)) in stated, text
        if rule.fee_percent:
            assert (
                f"{rule.fee_percent.normalize():f}%" in text and ("money", f"{rule.min_fee.normalize():f}") in stated
            ), text
        else:
            assert not stated, text
    assert not {claim for claim in claims(said) if claim[0] == "money"} - {
        ("money", f"{rule.min_fee.normalize():f}") for rule in rules if rule.fee_percent
    }, said
    assert fact("return_window", language) in said


# --- the actions' own messages ------------------------------------------------------------------


async def said_by(action, dispatcher, text: str, language: str, **tracker) -> str:
    dispatcher.messages.clear()
    await action.run(
        dispatcher, make_tracker(text, slots={"language": language, **tracker.pop("slots", {})}, **tracker), {}
    )
    return texts(dispatcher)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_delivery_answers_state_the_crms_figures(dispatcher, services, delivery, source, language):
    visitor = await said_by(ActionDeliveryOptions(), dispatcher, "delivery options?", language, sender="stranger")
    period = await said_by(ActionDeliveryPeriod(), dispatcher, "how long?", language, sender="stranger")
    regional = await said_by(ActionDeliveryOptions(), dispatcher, "delivery options?", language, sender=ALICE)
    for said in (visitor, period, regional):
        assert claims(said) and not off_source(said, source), said
        assert not re.search(r"(?<![\d,])(\d+)–\1(?!\d)", said), said
    assert not delivery_disagreements(visitor, delivery) and not delivery_disagreements(period, delivery)
    with transaction(services.crm) as session:
        region = default_address_region(session, find_customer(session, "rest", ALICE).id)
    assert not delivery_disagreements(regional, delivery, region=region), regional
    standard = delivery["standard"].values(language)
    assert standard["standard_fee"] in visitor and standard["standard_free_over"] in visitor
    assert standard["standard_days"] in period


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("how much is delivery", "en"),
        ("运费多少钱", "zh"),
        ("Do you have same day delivery?", "en"),
        ("快递柜能放几天", "zh"),
    ],
)
async def test_faq_answers_are_filled_from_the_source(dispatcher, source, question, language):
    said = await said_by(ActionAnswerFaq(), dispatcher, question, language, intent="nlu_fallback")
    assert "{" not in said and claims(said) and not off_source(said, source), said


@pytest.mark.parametrize("language", LANGUAGES)
async def test_policy_actions_state_the_sources_figures(dispatcher, source, language):
    for action in (ActionContactInfo(), ActionRefundPolicy()):
        said = await said_by(action, dispatcher, "?", language)
        assert claims(said) and not off_source(said, source), said
    assert fact("email_reply", language) in await said_by(ActionContactInfo(), dispatcher, "?", language)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_order_messages_state_the_sources_figures(dispatcher, source, language):
    payment = await said_by(
        ActionPaymentIssue(),
        dispatcher,
        "was i charged twice",
        language,
        sender=ALICE,
        slots={"order_id": "KL20250101"},
    )
    invoice = await said_by(
        ActionInvoice(), dispatcher, "my invoice", language, sender=ALICE, slots={"order_id": "KL20250101"}
    )
    for said, named in ((payment, "pre_authorisation_release"), (invoice, "invoice_time")):
        times = {claim for claim in off_source(said, source) if claim[0] != "money"}  # amounts are the order's own
        assert fact(named, language) in said and not times, said


# --- complaints: one ticket, one promise --------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "angry", "more"),
    [
        ("en", "worst service ever, a total scam", "and nobody has answered my emails either"),
        ("zh", "太差了,简直是骗子", "而且客服邮件也一直没人回"),
    ],
)
async def test_a_complaint_told_in_two_messages_opens_one_ticket(dispatcher, crm, source, language, angry, more):
    sender = f"complainer-{language}"
    first = await said_by(ActionOpenComplaint(), dispatcher, angry, language, intent="complaint", sender=sender)
    assert fact("urgent_ticket_reply", language) in first and not off_source(first, source)
    with crm() as session:
        opened = session.scalars(select(Ticket).order_by(Ticket.id.desc())).first().number
    assert opened in first
    history = [
        {"event": "user", "text": angry, "parse_data": {"intent": {"name": "complaint", "confidence": 0.9}}},
        {"event": "action", "name": "action_open_complaint"},
        {"event": "bot", "text": first},
        {"event": "action", "name": "action_listen"},
    ]
    second = await said_by(
        ActionOpenComplaint(), dispatcher, more, language, intent="complaint", sender=sender, history=history
    )
    with crm() as session:
        newest = session.scalars(select(Ticket).order_by(Ticket.id.desc())).first().number
    assert newest == opened and opened in second
    assert fact("urgent_ticket_reply", language) in second and fact("ticket_reply", language) not in second


async def test_a_later_session_adds_to_the_open_ticket_and_a_closed_one_makes_a_new_one(dispatcher, crm):
    first = await said_by(
        ActionOpenComplaint(), dispatcher, "the parcel is late", "en", intent="complaint", sender="complainer-again"
    )
    assert fact("ticket_reply", "en") in first
    number = re.search(r"TK\d{12}", first).group()
    history = [
        {"event": "action", "name": "action_open_complaint"},
        {"event": "bot", "text": first},
        {"event": "session_started"},
    ]
    # a new session, in Chinese, angrier: the same complaint's ticket, with its promise in Chinese
    second = await said_by(
        ActionOpenComplaint(),
        dispatcher,
        "包裹还没到,太差了",
        "zh",
        intent="complaint",
        sender="complainer-again",
        history=history,
    )
    assert number in second and "补充到您的投诉" in second
    assert fact("ticket_reply", "zh") in second and fact("urgent_ticket_reply", "zh") not in second
    with crm() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.promise == fact("ticket_reply", "zh") and ticket.language == "zh"
        ticket.status = TicketStatus.CLOSED
    third = await said_by(
        ActionOpenComplaint(),
        dispatcher,
        "the parcel is late again",
        "en",
        intent="complaint",
        sender="complainer-again",
        history=history,
    )
    assert "TK" in third and number not in third  # that one is closed: a new complaint, a new ticket

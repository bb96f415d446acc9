"""The training data and domain, read with Rasa's own loaders (runs in .venv-bot)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "data" / "rasa" / "nlu"

SUPPORT_INTENTS = [
    "place_order",
    "track_order",
    "cancel_order",
    "change_order",
    "check_cancellation_fee",
    "delivery_options",
    "delivery_period",
    "change_shipping_address",
    "set_up_shipping_address",
    "check_payment_methods",
    "payment_issue",
    "check_invoice",
    "get_invoice",
    "check_refund_policy",
    "get_refund",
    "track_refund",
    "create_account",
    "edit_account",
    "delete_account",
    "recover_password",
    "registration_problems",
    "switch_account",
    "contact_customer_service",
    "contact_human_agent",
    "complaint",
    "review",
    "newsletter_subscription",
    "recommend_products",
    "search_products",
    "similar_products",
    "product_info",
    "stop_personalization",
]
CONVERSATION_INTENTS = ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope"]
ENTITIES = {"order_id", "product", "category", "price", "email", "phone"}
# Set by buttons only (`/product_info{"product_sku": ...}`, the survey's `/review{"csat_score": "4"}`), never extracted
# from text.
BUTTON_ENTITIES = {"product_sku", "csat_score"}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


@pytest.fixture(scope="module", params=["en", "zh"])
def language_data(request):
    return request.param, load_data(str(NLU / request.param))


def test_every_intent_has_thirty_examples_per_language(language_data):
    language, data = language_data
    counts = Counter(example.get("intent") for example in data.intent_examples)
    too_few = {intent: counts[intent] for intent in SUPPORT_INTENTS + CONVERSATION_INTENTS if counts[intent] < 30}
    assert not too_few, f"{language}: fewer than 30 examples: {too_few}"


def test_examples_are_written_in_their_language(language_data):
    language, data = language_data
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for example in data.intent_examples:
        has_chinese = bool(cjk.search(example.get("text")))
        if language == "en":
            assert not has_chinese, example.get("text")
    if language == "zh":
        share = sum(bool(cjk.search(e.get("text"))) for e in data.intent_examples) / len(data.intent_examples)
        assert share > 0.9


def test_no_example_is_labelled_with_two_intents():
    data = load_data(str(NLU))
    by_text: dict[str, set[str]] = {}
    for example in data.intent_examples:
        by_text.setdefault(example.get("text").strip().lower(), set()).add(example.get("intent"))
    conflicts = {text: intents for text, intents in by_text.items() if len(intents) > 1}
    assert not conflicts


def test_domain_declares_exactly_the_data_intents_and_entities(domain):
    data = load_data(str(NLU))
    assert set(SUPPORT_INTENTS + CONVERSATION_INTENTS) <= set(domain.intents)
    assert data.intents <= set(domain.intents)
    assert set(domain.entities) == ENTITIES | BUTTON_ENTITIES
    assert data.entities <= ENTITIES


def test_annotated_order_numbers_have_the_shop_format():
    data = load_data(str(NLU))
    order_ids = [
        e["value"] for ex in data.training_examples for e in ex.get("entities", []) if e["entity"] == "order_id"
    ]
    assert order_ids
    assert all(re.fullmatch(r"[Kk][Ll]\d{8}", value) for value in order_ids)


def test_every_response_has_an_english_and_a_chinese_variation(domain):
    for name, variations in domain.responses.items():
        conditioned = [v for v in variations if v.get("condition")]
        plain = [v for v in variations if not v.get("condition")]
        assert plain, f"{name} has no default (English) text"
        assert any(c["name"] == "language" and c["value"] == "zh" for v in conditioned for c in v["condition"]), (
            f"{name} has no Chinese variation"
        )

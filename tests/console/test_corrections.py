"""Corrections of what the NLU understood, and their export as Rasa NLU training data that Rasa loads."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from crm.db import transaction
from crm.errors import InvalidInput, NotAllowed
from crm.models import Language
from crm.repository import open_conversation, record_message
from console import corrections as fixes
from console.config import ROOT
from console.i18n import translate
from kelian.language import detect_language

DOMAIN = ROOT / "bot" / "domain"
NLU = ROOT / "data" / "rasa" / "nlu"
RASA_PYTHON = ROOT / ".venv-bot" / "bin" / "python"
NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def view(
    id_: int, text: str, intent: str, entities: list[dict] | None = None, language: str = "en"
) -> fixes.CorrectionView:
    return fixes.CorrectionView(id_, id_, 1, text, Language(language), None, intent, entities or [], "mei", NOW, None)


def test_the_vocabulary_is_the_domains() -> None:
    vocabulary = fixes.domain_vocabulary(DOMAIN)
    assert {"track_order", "greet", "contact_human_agent", "out_of_scope"} <= set(vocabulary.intents)
    assert {"order_id", "email", "phone", "product", "category", "price"} <= set(vocabulary.entities)
    assert "nlu_fallback" not in vocabulary.intents  # Rasa's own, not something to train


def test_entities_are_placed_in_the_example() -> None:
    vocabulary = fixes.Vocabulary(("greet", "track_order"), ("email", "order_id", "product"))
    text = "Jacket KL20250104 and another jacket"
    placement = fixes.place_entities(
        text, [("jacket", "product"), ("jacket", "product"), ("kl20250104", "order_id"), ("", "")], vocabulary
    )
    assert [(e["value"], e["start"], e["entity"]) for e in placement.entities] == [
        ("Jacket", 0, "product"),
        ("KL20250104", 7, "order_id"),
        ("jacket", 30, "product"),
    ]
    assert placement.dropped == ()


def test_an_entity_that_does_not_fit_is_dropped_with_its_reason_not_the_correction() -> None:
    vocabulary = fixes.Vocabulary(
        ("greet", "track_order"), ("email", "order_id", "product"), (("greet", ()), ("track_order", ("order_id",)))
    )
    text = "Jacket KL20250104 and another jacket"
    for rows, intent, reason in (
        ([("jacket", "colour")], None, "entity.dropped.not_in_domain"),
        ([("jacket", "")], None, "entity.dropped.no_type"),
        ([("", "product")], None, "entity.dropped.no_value"),
        ([("[x]", "product")], None, "entity.dropped.brackets"),
        ([("hat", "product")], None, "entity.dropped.not_found"),
        ([("Jacket KL", "product"), ("KL2025", "order_id")], None, "entity.dropped.not_found"),
        ([("jacket", "product")], "track_order", "entity.dropped.not_for_intent"),
        ([("KL20250104", "order_id")], "greet", "entity.dropped.not_for_intent"),
    ):
        placement = fixes.place_entities(text, rows, vocabulary, intent)
        assert [d.key for d in placement.dropped] == [reason], rows
        assert len(placement.entities) == len(rows) - 1
    # The same span found twice (a regex extractor and DIET): placed once, and nothing to report.
    twice = fixes.place_entities("order KL20250104", [("KL20250104", "order_id")] * 2, vocabulary, "track_order")
    assert [e["value"] for e in twice.entities] == ["KL20250104"] and twice.dropped == ()
    # The reasons read in both languages, with the value and the type they are about.
    dropped = fixes.place_entities(text, [("jacket", "product")], vocabulary, "track_order").dropped[0]
    assert translate("en", dropped.key, value=dropped.value, entity=dropped.entity, **dict(dropped.values)) == (
        "the intent track_order does not use the entity product"
    )
    assert translate("zh", dropped.key, value=dropped.value, entity=dropped.entity, **dict(dropped.values)) == (
        "意图 track_order 不使用实体 product"
    )


def test_an_intent_limits_its_entities_as_the_domain_says(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        "intents:\n- greet:\n    use_entities: []\n- track_order:\n    use_entities: [order_id]\n"
        "- buy:\n    ignore_entities: [email]\n- thank\nentities:\n- order_id\n- email\n- product\n"
    )
    vocabulary = fixes.domain_vocabulary(tmp_path)
    assert vocabulary.entities_for("greet") == frozenset()
    assert vocabulary.entities_for("track_order") == {"order_id"}
    assert vocabulary.entities_for("buy") == {"order_id", "product"}
    assert vocabulary.entities_for("thank") == {"order_id", "email", "product"}


def test_prefilled_entities_are_the_ones_that_fit_the_message() -> None:
    vocabulary = fixes.domain_vocabulary(DOMAIN)
    extracted: list[dict[str, Any]] = [
        {"entity": "order_id", "value": "KL20251107", "start": 6, "end": 16},
        {"entity": "order_id", "value": "KL20251107", "start": 6, "end": 16},  # a second extractor
        {"entity": "product", "value": "iPhone 15"},  # a synonym's value: not the customer's words
        {"entity": "number", "value": "2"},  # a type the domain does not have
    ]
    placement = fixes.prefilled_entities("where kl20251107 and my 苹果手机 x2", extracted, vocabulary)
    assert [(e["entity"], e["value"]) for e in placement.entities] == [("order_id", "kl20251107")]
    assert [(d.entity, d.key) for d in placement.dropped] == [
        ("product", "entity.dropped.not_found"),
        ("number", "entity.dropped.not_in_domain"),
    ]


def test_annotation_and_the_yaml_format() -> None:
    items = [
        view(
            1,
            "where is my [blue] jacket KL20250104",
            "track_order",
            [
                {"entity": "product", "value": "jacket", "start": 19, "end": 25},
                {"entity": "order_id", "value": "KL20250104", "start": 26, "end": 36},
            ],
        ),
        view(2, "hello there", "greet"),
        view(3, "Hello there", "greet"),  # the same example, differently cased: once
        view(4, "我的快递到哪了", "track_order", language="zh"),
    ]
    export = fixes.render_export(items, "en", now=NOW)
    assert export.yaml == (
        "# Written by the Kelian staff console from reviewed conversations (2026-03-01 12:00 UTC); "
        "regenerated whole by each export.\n"
        'version: "3.1"\n'
        "\n"
        "nlu:\n"
        "- intent: greet\n"
        "  examples: |\n"
        "    - hello there\n"
        "- intent: track_order\n"
        "  examples: |\n"
        "    - where is my (blue) [jacket](product) [KL20250104](order_id)\n"
    )
    assert export.examples == 2 and yaml.safe_load(export.yaml)["version"] == "3.1"
    empty = fixes.render_export(items, "en", {"hello there": "greet", "where is my (blue) jacket kl20250104": "deny"})
    assert empty.examples == 0 and yaml.safe_load(empty.yaml) == {"version": "3.1", "nlu": []}
    assert [(s.correction_id, s.reason) for s in empty.skipped] == [
        (1, "the training data labels it deny"),
        (2, "already in the training data"),
        (3, "already in the training data"),
    ]


def test_the_training_data_is_read_without_annotations() -> None:
    examples = fixes.training_examples(NLU, "en")
    assert examples["i'd like to buy the running shoes in size 42"] == "place_order"
    assert len(examples) > 1000 and fixes.training_examples(NLU, "zh")["我想下单"] == "place_order"


def test_saving_a_correction(empty: sessionmaker[Session]) -> None:
    vocabulary = fixes.domain_vocabulary(DOMAIN)
    with transaction(empty) as session:
        conversation = open_conversation(session, "web", "guest-1")
        said = record_message(session, conversation, "customer", "我的  快递\n到哪了", intent="greet", confidence=0.3)
        answered = record_message(session, conversation, "bot", "您好")
        first = fixes.save_correction(
            session, said, intent="track_order", entities=[], text=None, author="mei", vocabulary=vocabulary
        )
        again = fixes.save_correction(
            session,
            said,
            intent="delivery_period",
            entities=[("快递", "product")],
            text=None,
            author="li",
            vocabulary=vocabulary,
        )
        assert first.correction_id == again.correction_id and first.dropped == again.dropped == ()
        [saved] = fixes.corrections(session)
        assert (saved.text, saved.language, saved.intent, saved.predicted_intent, saved.author) == (
            "我的 快递 到哪了",
            Language.ZH,
            "delivery_period",
            "greet",
            "li",
        )
        assert saved.entities == [{"entity": "product", "value": "快递", "start": 3, "end": 5}]
        kept = fixes.save_correction(
            session,
            said,
            intent="track_order",
            entities=[("快递", "product"), ("顺丰", "product"), ("快递", "colour")],
            text=None,
            author="li",
            vocabulary=vocabulary,
        )
        assert [(d.value, d.key) for d in kept.dropped] == [
            ("顺丰", "entity.dropped.not_found"),
            ("快递", "entity.dropped.not_in_domain"),
        ]
        assert [e["value"] for e in fixes.corrections(session)[0].entities] == ["快递"]
        with pytest.raises(NotAllowed):
            fixes.save_correction(
                session, answered, intent="greet", entities=[], text=None, author="mei", vocabulary=vocabulary
            )
        with pytest.raises(InvalidInput, match="not an intent"):
            fixes.save_correction(
                session, said, intent="nlu_fallback", entities=[], text=None, author="mei", vocabulary=vocabulary
            )


def test_exported_files_load_with_rasa(empty: sessionmaker[Session], tmp_path: Path) -> None:
    vocabulary = fixes.domain_vocabulary(DOMAIN)
    with transaction(empty) as session:
        conversation = open_conversation(session, "rest", "sender-1", language="en")
        for text, intent, entities in (
            (
                "hey is my parcel KL20251107 lost? email me at sam@example.org",
                "track_order",
                [("KL20251107", "order_id"), ("sam@example.org", "email")],
            ),
            (
                "do you sell [cheap] trail runners under 300",
                "recommend_products",
                [("trail runners", "product"), ("300", "price")],
            ),
        ):
            message = record_message(session, conversation, "customer", text, intent="greet", confidence=0.2)
            fixes.save_correction(
                session, message, intent=intent, entities=entities, text=None, author="mei", vocabulary=vocabulary
            )
        chinese = open_conversation(session, "wechat", "openid-1", language="zh")
        message = record_message(session, chinese, "customer", "帮我查下KL20251107到哪了", intent="greet")
        fixes.save_correction(
            session,
            message,
            intent="track_order",
            entities=[("KL20251107", "order_id")],
            text=None,
            author="mei",
            vocabulary=vocabulary,
        )
        written = fixes.write_exports(session, tmp_path, NLU, now=NOW)
    assert [(p.relative_to(tmp_path).as_posix(), r.examples) for p, r in written] == [
        ("en/corrections.yml", 2),
        ("zh/corrections.yml", 1),
    ]
    with empty() as session:
        assert all(c.exported_at is not None for c in fixes.corrections(session))
    if not RASA_PYTHON.exists():
        pytest.skip(f"{RASA_PYTHON} is missing (make setup builds it): checked as YAML only")
    script = (
        "import json, sys\n"
        "from rasa.shared.nlu.training_data.loading import load_data\n"
        "out = {}\n"
        "for path in sys.argv[1:]:\n"
        "    data = load_data(path)\n"
        "    out[path] = [[m.get('text'), m.get('intent'), [(e['entity'], e['value']) for e in m.get('entities', "
        "[])]]\n"
        "                 for m in data.training_examples]\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", script, *(str(p) for p, _ in written)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    english, chinese_examples = (
        loaded[str(tmp_path / "en" / "corrections.yml")],
        loaded[str(tmp_path / "zh" / "corrections.yml")],
    )
    assert sorted(map(tuple, ((t, i, tuple(map(tuple, e))) for t, i, e in english))) == [
        (
            "do you sell (cheap) trail runners under 300",
            "recommend_products",
            (("product", "trail runners"), ("price", "300")),
        ),
        (
            "hey is my parcel KL20251107 lost? email me at sam@example.org",
            "track_order",
            (("order_id", "KL20251107"), ("email", "sam@example.org")),
        ),
    ]
    assert chinese_examples == [["帮我查下KL20251107到哪了", "track_order", [["order_id", "KL20251107"]]]]


def test_a_correction_without_a_conversation_language_is_filed_by_the_projects_one_rule(
    empty: sessionmaker[Session],
) -> None:
    """console.corrections has no language rule of its own: kelian.language's majority rule files the example
    (English when the text says nothing, like an order number alone)."""
    assert fixes.detect_language is detect_language and not hasattr(fixes, "detect")
    vocabulary = fixes.domain_vocabulary(DOMAIN)
    with transaction(empty) as session:
        conversation = open_conversation(session, "web", "guest-language")
        filed = {}
        for text in ("do you sell 旗袍 dresses", "帮我cancel订单", "KL20251107"):
            message = record_message(session, conversation, "customer", text, intent="greet")
            fixes.save_correction(
                session, message, intent="track_order", entities=[], text=None, author="mei", vocabulary=vocabulary
            )
        filed = {c.text: c.language for c in fixes.corrections(session)}
    assert filed == {"do you sell 旗袍 dresses": Language.EN, "帮我cancel订单": Language.ZH, "KL20251107": Language.EN}

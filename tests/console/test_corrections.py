"""Corrections of what the NLU understood, and their export as Rasa NLU training data that Rasa loads."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from crm.db import transaction
from crm.errors import InvalidInput, NotAllowed
from crm.models import Language
from crm.repository import open_conversation, record_message
from console import corrections as fixes
from console.config import ROOT

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
    known = ("product", "email", "order_id")
    text = "Jacket KL20250104 and another jacket"
    placed = fixes.locate_entities(
        text, [("jacket", "product"), ("jacket", "product"), ("kl20250104", "order_id"), ("", "")], known
    )
    assert [(e["value"], e["start"], e["entity"]) for e in placed] == [
        ("Jacket", 0, "product"),
        ("KL20250104", 7, "order_id"),
        ("jacket", 30, "product"),
    ]
    for entities, problem in (
        ([("jacket", "colour")], "not an entity of the domain"),
        ([("", "product")], "needs a value"),
        ([("[x]", "product")], "brackets"),
        ([("hat", "product")], "does not appear"),
        ([("Jacket KL", "product"), ("KL2025", "order_id")], "does not appear"),
    ):
        with pytest.raises(InvalidInput, match=problem):
            fixes.locate_entities(text, entities, known)


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
        assert first == again
        [saved] = fixes.corrections(session)
        assert (saved.text, saved.language, saved.intent, saved.predicted_intent, saved.author) == (
            "我的 快递 到哪了",
            Language.ZH,
            "delivery_period",
            "greet",
            "li",
        )
        assert saved.entities == [{"entity": "product", "value": "快递", "start": 3, "end": 5}]
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

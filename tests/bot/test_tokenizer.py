"""The bilingual tokenizer: jieba for Chinese, words for English, no space tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import BilingualTokenizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> BilingualTokenizer:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    config = {**BilingualTokenizer.get_default_config(), "dictionary_path": str(ROOT / "bot" / "nlu" / "jieba")}
    return BilingualTokenizer.create(config, storage, Resource("tokenizer"), ExecutionContext(GraphSchema({}), "test"))


def tokens(tokenizer: BilingualTokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_english_words_without_space_tokens(tokenizer):
    assert tokens(tokenizer, "where is my order KL20251107") == ["where", "is", "my", "order", "KL20251107"]


def test_chinese_order_number_is_one_token(tokenizer):
    assert "KL20251107" in tokens(tokenizer, "订单KL20251107到哪了")


def test_shop_vocabulary_keeps_product_words_whole(tokenizer):
    assert "充电宝" in tokens(tokenizer, "同类型的充电宝有哪些")
    assert "洗衣液" in tokens(tokenizer, "有没有哪种洗衣液是无香味的")


def test_offsets_point_into_the_text(tokenizer):
    text = "帮我cancel一下订单 please"
    for token in tokenizer.tokenize(Message(data={"text": text}), "text"):
        assert text[token.start : token.end] == token.text

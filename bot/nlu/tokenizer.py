"""jieba tokenization for mixed Chinese / English messages.

Rasa's JiebaTokenizer keeps the spaces between English words as tokens of their own, which doubles
the length of English messages and gives DIET meaningless positions; this tokenizer drops them."""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class BilingualTokenizer(JiebaTokenizer):
    @staticmethod
    def supported_languages() -> None:
        return None

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return [token for token in super().tokenize(message, attribute) if token.text.strip()]

"""The bot's answer as WeChat text messages. A WeChat text has no buttons, so each button becomes a
numbered line ("回复 1 确认" / "Reply 1 for Yes") in the conversation's language (the tracker's `language`
slot, which wechat_webhook.py reads when an answer has options) and the numbers are remembered
(wechat_state.py)."""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rasa.core.channels.channel import CollectingOutputChannel

from kelian.language import Language, detect_language

logger = logging.getLogger(__name__)


# What the channel itself says, Chinese first (most official-account followers read Chinese).
WELCOME = (
    "感谢关注客连！我可以帮你查订单、办理退款退货、解答账户问题，也可以为你推荐商品。\n"
    "为了答复你并改进服务，我们会保存对话记录；如不希望根据记录推荐，随时回复“关闭个性化推荐”。\n"
    "Thanks for following Kelian! I can track orders, handle refunds and returns, help with your "
    "account and recommend products. We keep this conversation to answer you and improve our "
    'service; reply "turn off personalization" at any time to opt out.'
)
UNSUPPORTED = (
    "暂时只能处理文字和图片消息，请用文字告诉我你的问题。\n"
    "Sorry, I can only read text messages and images for now. Please type your question."
)
UNKNOWN_MENU = (
    "这个菜单暂时不可用，请直接输入你的问题。\nThis menu item isn't available right now. Please type your question."
)
APOLOGY = (
    "抱歉，系统暂时出了点问题，请稍后再试。\nSorry, something went wrong on our side. Please try again in a moment."
)


# WeChat refuses a text message longer than 2048 bytes (UTF-8); longer answers are sent in parts.
MAX_TEXT_BYTES = 2000


def split_long(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """The text in parts of at most `limit` UTF-8 bytes, cut between lines where possible."""
    if len(text.encode("utf-8")) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode("utf-8")) > limit:  # a single line too long: cut it between characters
            cut = len(line.encode("utf-8")[:limit].decode("utf-8", errors="ignore"))
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    if current:
        parts.append(current)
    return parts


def is_chinese(text: str) -> bool:
    """Whether the bot's words are Chinese (the project's one rule): the guess for a conversation whose
    language is unknown (its tracker unreadable, a message Rasa sends outside an answer without one)."""
    return detect_language(text) == "zh"


def option_line(number: int, title: str, chinese: bool) -> str:
    return f"回复 {number} {title}" if chinese else f"Reply {number} for {title}"


def has_options(messages: list[dict[str, Any]]) -> bool:
    """Whether rendering `messages` writes numbered options (only they need the conversation's language)."""
    return any(button.get("payload") and not button.get("url") for m in messages for button in m.get("buttons") or [])


def render(messages: list[dict[str, Any]], language: Optional[Language] = None) -> tuple[list[str], list[str]]:
    """WeChat texts for the bot's messages of one answer, and the payloads their option numbers
    stand for (numbered across the whole answer, so every number is unambiguous). The options are
    worded in `language`, the conversation's; None: guessed from each message's words (is_chinese)."""
    texts: list[str] = []
    payloads: list[str] = []
    for message in messages:
        parts = [str(message[key]) for key in ("text", "image", "attachment") if message.get(key)]
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            parts.append(custom["text"])
        elif custom:
            logger.debug("wechat: a custom message without text is not shown: %s", json.dumps(custom)[:200])
        buttons = message.get("buttons") or []
        chinese = (
            language == "zh"
            if language is not None
            else is_chinese(str(message.get("text") or ""))
            or (not message.get("text") and any(is_chinese(str(b.get("title", ""))) for b in buttons))
        )
        lines = []
        for button in buttons:
            title = str(button.get("title") or button.get("payload") or "").strip()
            if button.get("url"):
                lines.append(f"{title}: {button['url']}")
            elif button.get("payload"):
                payloads.append(str(button["payload"]))
                lines.append(option_line(len(payloads), title, chinese))
        if lines:
            parts.append("\n".join(lines))
        text = "\n".join(parts).strip()
        if text:
            texts.extend(split_long(text))
    return texts, payloads


class WeChatCollector(CollectingOutputChannel):
    """Collects one answer. Unlike Rasa's collector it keeps a text whole (Rasa's splits it at blank
    lines, which would turn one message into several WeChat messages)."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))

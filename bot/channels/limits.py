"""Bounds on what a customer can send, shared by every channel: how long a message the NLU reads,
which sender ids a channel accepts, how large a request body may be, and a log line for any message
that takes too long to answer.

A message is cut before it reaches the NLU: nothing a customer types should cost the server more
than a bounded amount of work, whatever patterns run on it. The customer is told, politely, that
only the beginning was read. Standard library only (both environments may import it).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = int(os.environ.get("KELIAN_MAX_MESSAGE_CHARS", "2000"))
MAX_BODY_BYTES = int(os.environ.get("KELIAN_MAX_BODY_BYTES", str(64 * 1024)))
SLOW_MESSAGE_SECONDS = float(os.environ.get("KELIAN_SLOW_MESSAGE_SECONDS", "2.0"))
MAX_SENDER_CHARS = 64
# Ids end up in Rasa's tracker URLs, log lines and the CRM: printable ASCII without separators.
_SENDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}")

TRUNCATION_NOTE = (
    "您的消息很长,我只读了前 {limit} 个字,请分几条发给我。"
    " / Your message was long: I read the first {limit} characters. Please send the rest separately."
)

T = TypeVar("T")


def valid_sender(sender: object) -> bool:
    """Whether a client-chosen conversation id is acceptable (1-64 characters of a safe alphabet)."""
    return isinstance(sender, str) and _SENDER_ID.fullmatch(sender) is not None


def bound_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> tuple[str, str | None]:
    """The part of `text` the assistant reads, and the note for the customer when it was cut (None
    when the whole message fits). Control characters (but line breaks and tabs) and lone surrogates,
    which no customer types and some stores refuse, are dropped, and so is the space around the text:
    an empty result has nothing to read and must not reach the NLU."""
    kept = "".join(ch for ch in text[:limit] if (ch >= " " or ch in "\n\t") and not "\ud800" <= ch <= "\udfff")
    return kept.strip(), (TRUNCATION_NOTE.format(limit=limit) if len(text) > limit else None)


async def timed(handle: Callable[..., Awaitable[T]], *args: Any, channel: str, length: int) -> T:
    """Runs one message's turn and logs it when it took longer than `SLOW_MESSAGE_SECONDS` (the text
    is never logged: it may hold personal data)."""
    started = time.monotonic()
    try:
        return await handle(*args)
    finally:
        elapsed = time.monotonic() - started
        if elapsed > SLOW_MESSAGE_SECONDS:
            logger.warning("slow message on %s: %.1f s for %d characters", channel, elapsed, length)

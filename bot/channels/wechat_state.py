"""What the WeChat connector remembers between requests, in this process's memory, bounded in size
and time: the messages already received (WeChat retries a message it got no answer to within 5 s,
up to three times), the signatures already used (a replayed signature with another body is refused)
and each user's last numbered options.

Several Rasa servers behind one webhook URL would each see only some of the retries: they would
need a shared store (Redis, with SET NX EX for the claim) instead of these dictionaries."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, Optional, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    """A map of at most `maxsize` entries, each forgotten `ttl` seconds after it was written; when
    full, the entry written longest ago goes first."""

    def __init__(self, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        if maxsize < 1 or ttl <= 0:
            raise ValueError("an ExpiringCache needs maxsize >= 1 and ttl > 0")
        self.maxsize = maxsize
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def _purge(self) -> None:
        now = self._clock()
        while self._entries:
            key, (expires, _) = next(iter(self._entries.items()))
            if expires > now:
                break
            del self._entries[key]

    def get(self, key: K) -> Optional[V]:
        self._purge()
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def set(self, key: K, value: V) -> None:
        self._purge()
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    def pop(self, key: K) -> Optional[V]:
        entry = self._entries.pop(key, None)
        return None if entry is None else entry[1]

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __len__(self) -> int:
        self._purge()
        return len(self._entries)


class ReplayGuard:
    """A plain message's signature covers the token, timestamp and nonce but not the body (an encrypted
    one's `msg_signature` covers it), so a signed request seen on the wire could be sent again with
    another message inside. Each
    (timestamp, nonce) is bound to the digest of the first body it came with, for as long as its
    timestamp is accepted: the same body again is a retry (the deduplicator answers it), another body
    is a forgery."""

    def __init__(self, maxsize: int = 50_000, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._bodies: ExpiringCache[tuple[str, str], str] = ExpiringCache(maxsize, ttl, clock)

    def admits(self, timestamp: str, nonce: str, body: bytes) -> bool:
        digest = hashlib.sha256(body).hexdigest()
        first = self._bodies.get((timestamp, nonce))
        if first is None:
            self._bodies.set((timestamp, nonce), digest)
            return True
        return first == digest


# What the first delivery of a message was answered with: the passive reply's XML (before any
# encryption), or None when it was answered "success" (nothing, or messages sent through the API).
Outcome = Optional[str]


class Deduplicator:
    """One Rasa turn per WeChat message, however often WeChat sends it.

    `claim(key)` returns None to the first request with that key, which must then `settle` it with
    its outcome (or `release` it if it failed before reaching Rasa, so a retry may try again). Every
    later request gets the first one's future: it waits for it (a retry that arrives while the first
    is still being answered) or reads it at once, and answers the same."""

    def __init__(self, maxsize: int = 10_000, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: ExpiringCache[str, asyncio.Future[Outcome]] = ExpiringCache(maxsize, ttl, clock)

    def claim(self, key: str) -> Optional[asyncio.Future[Outcome]]:
        first = self._seen.get(key)
        if first is not None:
            return first
        self._seen.set(key, asyncio.get_running_loop().create_future())
        return None

    def settle(self, key: str, outcome: Outcome) -> None:
        future = self._seen.get(key)
        if future is not None and not future.done():
            future.set_result(outcome)

    def release(self, key: str) -> None:
        future = self._seen.pop(key)
        if future is not None and not future.done():
            future.set_result(None)

    def __len__(self) -> int:
        return len(self._seen)


def message_key(fields: dict[str, str]) -> str:
    """WeChat's advice: a message by its MsgId, an event by its sender and CreateTime (plus the event,
    so a subscribe and a menu click in the same second stay two)."""
    if fields.get("MsgId"):
        return "msg:" + fields["MsgId"]
    return "event:" + "|".join(
        (
            fields.get("FromUserName", ""),
            fields.get("CreateTime", ""),
            fields.get("Event", ""),
            fields.get("EventKey", ""),
        )
    )


_CHOICE = re.compile(r"(\d{1,3})[.。、)]?")


def chosen_number(text: str) -> Optional[int]:
    """The option a reply like "1", "２" (full-width) or " 2 " picks; None for anything else."""
    match = _CHOICE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    return int(match.group(1)) if match else None


class ButtonMemory:
    """Each user's last numbered options (the payloads of the buttons of the bot's last answer)."""

    def __init__(
        self, maxsize: int = 10_000, ttl: float = 86_400.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._options: ExpiringCache[str, list[str]] = ExpiringCache(maxsize, ttl, clock)

    def remember(self, user: str, payloads: list[str]) -> None:
        """The options of the latest answer replace the earlier ones; an answer without buttons clears them."""
        if payloads:
            self._options.set(user, list(payloads))
        else:
            self._options.pop(user)

    def resolve(self, user: str, text: str) -> Optional[str]:
        """The payload a numeric reply stands for, or None when the text is not one of the options."""
        number = chosen_number(text)
        options = self._options.get(user)
        if number is None or not options or not 1 <= number <= len(options):
            return None
        return options[number - 1]

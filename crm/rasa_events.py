"""Rasa events as the feedback consumer accepts them: parsed, type-checked and bounded before anything is
written, so a malformed event is refused with a reason (and set aside as a dead letter) instead of
failing inside the CRM.

Two kinds of trouble, two answers:

- a value of the wrong type, an unknown or missing event name, a missing sender or timestamp, broken
  JSON, an event too large to be a Rasa event: `PoisonEvent` (the event is set aside);
- a value that is well-typed but too long (a text of 50 000 characters, a 300-character sender id, a
  2 000-character entity value): bounded, and the event is applied. A sender id longer than an identity
  can be (`MAX_IDENTITY_CHARS`) is nobody's identity: its conversation is recorded, anonymous.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kelian.language import as_language

# Every event name Rasa 3.6 publishes (rasa.shared.core.events); anything else is not from Rasa.
KNOWN_EVENTS = frozenset(
    {
        "action",
        "action_execution_rejected",
        "active_loop",
        "agent",
        "bot",
        "cancel_reminder",
        "entities",
        "export",
        "followup",
        "form",
        "form_validation",
        "loop_interrupted",
        "pause",
        "reminder",
        "reset_slots",
        "restart",
        "resume",
        "rewind",
        "session_started",
        "slot",
        "undo",
        "user",
        "user_featurization",
    }
)
MAX_EVENT_CHARS = 1_000_000  # a Rasa event is a few KB; the channels cut messages at 2 000 characters
MAX_SENDER_CHARS = 512  # longer is not a conversation id any channel gives out
MAX_IDENTITY_CHARS = 128  # the longest channel identity the CRM stores (crm.repository.common)
MAX_TEXT_CHARS = 8_000  # what a transcript keeps of one message
MAX_NAME_CHARS = 64  # intents, entity types, actions: the CRM's columns
MAX_ENTITY_VALUE_CHARS = 200
MAX_ENTITIES = 50
# Timestamps from 2001 to 2286: anything else is not a clock reading.
_EARLIEST, _LATEST = 1e9, 1e10
TRUNCATED = "…"


class PoisonEvent(ValueError):
    """This event can never be applied; the reason says why (it is stored with the dead letter)."""


@dataclass(frozen=True)
class RasaEvent:
    """One event, checked and bounded. `identity` is what makes it the same event on every delivery."""

    kind: str
    sender_id: str
    moment: datetime
    identity: str
    text: str | None = None
    input_channel: str | None = None
    intent: str | None = None
    confidence: float | None = None
    entities: tuple[dict[str, Any], ...] = ()
    name: str | None = None
    value: Any = None
    utter_action: str | None = None
    buttons: tuple[tuple[str, str], ...] = ()  # (payload, title) of the buttons a bot message offered

    @property
    def anonymous(self) -> bool:
        """A sender id no channel identity can have."""
        return len(self.sender_id) > MAX_IDENTITY_CHARS

    def key(self, part: str = "") -> str:
        """The key of the event (and of one record derived from it), stable across deliveries."""
        return hashlib.sha1(f"{self.identity}|{part}".encode("utf-8", "surrogatepass")).hexdigest()


def bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + TRUNCATED


def event_name(raw: Any) -> str | None:
    """The `event` field when it is a short string, for the dead letter's label."""
    if isinstance(raw, dict) and isinstance(raw.get("event"), str):
        return raw["event"][:MAX_NAME_CHARS]
    return None


def decode(payload: str | bytes) -> Any:
    """JSON from the broker (a row's `data`, a message body)."""
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PoisonEvent(f"not UTF-8 text: {error}") from None
    if len(payload) > MAX_EVENT_CHARS:
        raise PoisonEvent(f"{len(payload)} characters: larger than any Rasa event (limit {MAX_EVENT_CHARS})")
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise PoisonEvent(f"not JSON: {str(error)[:120]}") from None


def _string(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PoisonEvent(f"{key} is a {type(value).__name__}, not a string")
    return value


def _required_string(raw: dict[str, Any], key: str) -> str:
    value = _string(raw, key)
    if value is None:
        raise PoisonEvent(f"missing {key}")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PoisonEvent(f"{what} is not a finite number: {str(value)[:40]!r}")
    return float(value)


def _name(value: Any, what: str) -> str | None:
    """An intent, entity type or action name: a string, or None when it is too long to be a real one."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PoisonEvent(f"{what} is a {type(value).__name__}, not a string")
    return value if 0 < len(value) <= MAX_NAME_CHARS else None


def _entities(parse: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    raw = parse.get("entities")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PoisonEvent(f"parse_data.entities is a {type(raw).__name__}, not a list")
    entities = []
    for entity in raw[:MAX_ENTITIES]:
        if not isinstance(entity, dict):
            raise PoisonEvent(f"an entity is a {type(entity).__name__}, not an object")
        value = entity.get("value")
        if isinstance(value, (dict, list)):
            raise PoisonEvent(f"entity value is a {type(value).__name__}")
        start, end = entity.get("start"), entity.get("end")
        entities.append(
            {
                "entity": _name(entity.get("entity"), "entity type"),
                "value": None if value is None else bounded(str(value), MAX_ENTITY_VALUE_CHARS),
                "start": start if isinstance(start, int) and not isinstance(start, bool) else None,
                "end": end if isinstance(end, int) and not isinstance(end, bool) else None,
                "extractor": _name(entity.get("extractor"), "entity extractor"),
            }
        )
    return tuple(entities)


def parse_event(raw: Any, fallback_sender: str | None = None) -> RasaEvent:
    """`raw` (decoded JSON) as a `RasaEvent`, or `PoisonEvent`."""
    if not isinstance(raw, dict):
        raise PoisonEvent(f"a {type(raw).__name__}, not an event object")
    kind = _required_string(raw, "event")
    if kind not in KNOWN_EVENTS:
        raise PoisonEvent(f"unknown event name {kind[:MAX_NAME_CHARS]!r}")
    sender = raw.get("sender_id", fallback_sender)
    if sender is None:
        raise PoisonEvent("missing sender_id")
    if not isinstance(sender, str):
        raise PoisonEvent(f"sender_id is a {type(sender).__name__}, not a string")
    sender = sender.strip()
    if not sender:
        raise PoisonEvent("empty sender_id")
    if len(sender) > MAX_SENDER_CHARS:
        raise PoisonEvent(f"sender_id of {len(sender)} characters (limit {MAX_SENDER_CHARS})")
    if "timestamp" not in raw or raw["timestamp"] is None:
        raise PoisonEvent("missing timestamp")
    timestamp = _number(raw["timestamp"], "timestamp")
    if not _EARLIEST <= timestamp <= _LATEST:
        raise PoisonEvent(f"timestamp {timestamp} is not a time from 2001 to 2286")
    # The same fields as always (deliveries before this module existed made the same keys).
    identity = "|".join(str(raw.get(k, "")) for k in ("sender_id", "timestamp", "event", "text", "name"))
    fields: dict[str, Any] = {
        "kind": kind,
        "sender_id": sender,
        "identity": identity,
        "moment": datetime.fromtimestamp(timestamp, tz=timezone.utc),
    }
    if kind in ("user", "bot"):
        text = _string(raw, "text")
        fields["text"] = None if text is None else bounded(text, MAX_TEXT_CHARS)
    if kind == "user":
        fields["input_channel"] = _string(raw, "input_channel")
        parse = raw.get("parse_data") or {}
        if not isinstance(parse, dict):
            raise PoisonEvent(f"parse_data is a {type(parse).__name__}, not an object")
        intent = parse.get("intent") or {}
        if not isinstance(intent, dict):
            raise PoisonEvent(f"parse_data.intent is a {type(intent).__name__}, not an object")
        fields["intent"] = _name(intent.get("name"), "intent name")
        confidence = intent.get("confidence")
        fields["confidence"] = None if confidence is None else max(0.0, min(1.0, _number(confidence, "confidence")))
        fields["entities"] = _entities(parse)
    elif kind == "bot":
        metadata = raw.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise PoisonEvent(f"metadata is a {type(metadata).__name__}, not an object")
        fields["utter_action"] = _name(metadata.get("utter_action"), "utter_action")
        fields["buttons"] = tuple(offered_buttons(raw).items())
    elif kind in ("action", "slot"):
        fields["name"] = _name(raw.get("name"), f"{kind} name")
        if kind == "slot" and fields["name"] == "rating" and raw.get("value") is not None:
            rating = _number(raw["value"], "rating")
            if not 0 <= rating <= 5:
                raise PoisonEvent(f"rating {rating} is not from 0 to 5")
            fields["value"] = rating
        if kind == "slot" and fields["name"] == "language":
            fields["value"] = as_language(raw.get("value"))  # anything but en/zh is no language
    return RasaEvent(**fields)


# --- buttons: what the customer pressed, in the words they saw ----------------------------------------
MAX_BUTTONS = 20  # no reply offers more; a longer list is cut


def offered_buttons(raw: Any) -> dict[str, str]:
    """payload -> title of the buttons a Rasa `bot` event offered (Rasa keeps them in `data.buttons`).
    A button without a string title and payload is skipped: it takes nothing from the message it came with."""
    data = raw.get("data") if isinstance(raw, dict) else None
    buttons = data.get("buttons") if isinstance(data, dict) else None
    if not isinstance(buttons, list):
        return {}
    offered: dict[str, str] = {}
    for button in buttons[:MAX_BUTTONS]:
        if isinstance(button, dict) and isinstance(button.get("payload"), str) and isinstance(button.get("title"), str):
            offered[bounded(button["payload"], MAX_TEXT_CHARS)] = bounded(button["title"], MAX_TEXT_CHARS)
    return offered


def as_said(text: str, offered: dict[str, str]) -> str:
    """A customer message as the customer saw it: the title of the button they pressed ("好的,转人工") when
    the message is the intent payload of a button the bot offered just before it ("/contact_human_agent"),
    else the message itself. A payload in words (an order number, a rating "3") is what a customer may
    type as well, and reads well as it is: it stays."""
    text_ = text.strip() if text else ""
    title = offered.get(text_) if text_.startswith("/") else None
    return title if title and title.strip() else text


class PressedButtons:
    """Reads a conversation's events in order and gives each customer message as the customer saw it: the
    title of a button offered by the bot's messages since the customer's previous message, or the text."""

    def __init__(self) -> None:
        self.offered: dict[str, str] = {}

    def read(self, event: Any) -> str | None:
        """The customer's words for a `user` event; None for any other event (a bot event's buttons are
        remembered, a new session forgets them)."""
        kind = event.get("event") if isinstance(event, dict) else None
        if kind == "bot":
            self.offered.update(offered_buttons(event))
        elif kind in ("session_started", "restart"):
            self.offered = {}
        elif kind == "user":
            text = event.get("text")
            said = as_said(text, self.offered) if isinstance(text, str) else ""
            self.offered = {}
            return said
        return None

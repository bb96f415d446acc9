"""Review and correction of what the NLU understood, and their export as Rasa NLU training data.

A reviewer marks a customer message's intent or entities as wrong and gives the right ones (an intent of the
domain, entities as value + type of the domain); the correction is stored in the CRM (`nlu_corrections`). The
export writes every correction of a language as one Rasa 3.x NLU file (`version: "3.1"`, `nlu:` with
`- intent:` / `examples: |`, entities annotated `[value](type)`), e.g. `data/rasa/nlu/en/corrections.yml` —
the loop Rasa X offered. The file is regenerated whole from the CRM each time, so it never drifts.

An example already in the training data under the same intent is left out (it teaches nothing new); one
that the training data labels with another intent is left out and reported, because `rasa data validate`
would refuse two labels for one text: the reviewer or a developer settles which is right.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import Conversation, Language, Message, MessageSender, NluCorrection
from crm.privacy import utcnow
from kelian.language import detect_language

from console.i18n import refusal

EXPORT_NAME = "corrections.yml"
GENERATED_MARK = "# Written by the Kelian staff console"
RASA_FALLBACK_INTENT = "nlu_fallback"
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


@dataclass(frozen=True)
class Vocabulary:
    intents: tuple[str, ...]
    entities: tuple[str, ...]
    # intent -> the entity types it may carry, for the intents whose domain entry limits them
    # (`use_entities` / `ignore_entities`); an intent not listed takes every entity of the domain.
    limited: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def entities_for(self, intent: str | None) -> frozenset[str]:
        return frozenset(dict(self.limited).get(intent or "", self.entities))


def _entities_of_intent(settings: Any, entities: set[str]) -> set[str] | None:
    """The entities an intent's domain entry allows (Rasa's `use_entities: true|false|[...]`, `ignore_entities:
    [...]`), None when it does not limit them."""
    if not isinstance(settings, dict):
        return None
    use = settings.get("use_entities", True)
    ignore = set(map(str, settings.get("ignore_entities") or []))
    if use is True and not ignore:
        return None
    allowed = set(entities) if use is True else set() if use is False else set(map(str, use))
    return allowed - ignore


@lru_cache(maxsize=4)
def _vocabulary(domain_dir: str, stamp: tuple[float, ...]) -> Vocabulary:
    intents: set[str] = set()
    entities: set[str] = set()
    settings: dict[str, Any] = {}
    for path in sorted(Path(domain_dir).glob("*.yml")):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in domain.get("intents") or []:
            name = next(iter(item)) if isinstance(item, dict) else str(item)
            intents.add(name)
            if isinstance(item, dict):
                settings[name] = item[name]
        for item in domain.get("entities") or []:
            entities.add(next(iter(item)) if isinstance(item, dict) else str(item))
    limited = {
        name: tuple(sorted(allowed & entities))
        for name, value in settings.items()
        if (allowed := _entities_of_intent(value, entities)) is not None
    }
    return Vocabulary(tuple(sorted(intents)), tuple(sorted(entities)), tuple(sorted(limited.items())))


def domain_vocabulary(domain_dir: Path) -> Vocabulary:
    """The intents and entity types of the bot's domain (bot/domain/*.yml), re-read when a file changes."""
    stamp = tuple(p.stat().st_mtime for p in sorted(domain_dir.glob("*.yml")))
    return _vocabulary(str(domain_dir), stamp)


@dataclass(frozen=True)
class CorrectionView:
    id: int
    message_id: int
    conversation_id: int
    text: str
    language: Language
    predicted_intent: str | None
    intent: str
    entities: list[dict[str, Any]]
    author: str
    updated_at: datetime
    exported_at: datetime | None


def _clean(text: str) -> str:
    """One line of printable text: a training example is a single line of the YAML block."""
    text = "".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class DroppedEntity:
    """An entity row that cannot be part of the example, and why (a catalogue key and its values): the
    correction is saved without it and the page says so in the reader's language."""

    value: str
    entity: str
    key: str
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Placement:
    entities: list[dict[str, Any]]
    dropped: tuple[DroppedEntity, ...]


def _reason(value: str, entity: str, known: set[str], allowed: frozenset[str] | None) -> str | None:
    """Why a (value, type) row cannot be an entity of any example, or None."""
    if not entity:
        return "entity.dropped.no_type"
    if entity not in known:
        return "entity.dropped.not_in_domain"
    if allowed is not None and entity not in allowed:
        return "entity.dropped.not_for_intent"
    if not value:
        return "entity.dropped.no_value"
    if re.search(r"[\[\](){}]", value):
        return "entity.dropped.brackets"
    return None


def place_entities(
    text: str, entities: Iterable[tuple[str, str]], vocabulary: Vocabulary, intent: str | None = None
) -> Placement:
    """Entities given as (value, type), placed in the text: each value must appear in it, no two overlap,
    the type must be one of the domain's and one `intent` may carry. A row that fails is dropped with its
    reason, never the whole correction: the rows come pre-filled from what the NLU extracted, which may no
    longer fit (an edited example, a normalised value, a type the domain dropped). A repeat of an entity
    already placed, with no other occurrence left in the text (two extractors finding the same span), is
    dropped silently."""
    known = set(vocabulary.entities)
    allowed = vocabulary.entities_for(intent) if intent else None
    placed: list[dict[str, Any]] = []
    dropped: list[DroppedEntity] = []
    lowered = text.lower()
    for value, entity in entities:
        value, entity = _clean(value), entity.strip()
        if not value and not entity:
            continue
        reason = _reason(value, entity, known, allowed)
        if reason is not None:
            values = (("intent", str(intent)),) if reason == "entity.dropped.not_for_intent" else ()
            dropped.append(DroppedEntity(value, entity, reason, values))
            continue
        # The first occurrence (in any case) that no entity placed before covers.
        start = lowered.find(value.lower())
        while start >= 0 and any(start < e["end"] and start + len(value) > e["start"] for e in placed):
            start = lowered.find(value.lower(), start + 1)
        if start >= 0:
            end = start + len(value)
            placed.append({"entity": entity, "value": text[start:end], "start": start, "end": end})
        elif not any(e["entity"] == entity and e["value"].lower() == value.lower() for e in placed):
            dropped.append(DroppedEntity(value, entity, "entity.dropped.not_found"))
    return Placement(sorted(placed, key=lambda e: e["start"]), tuple(dropped))


def prefilled_entities(text: str, entities: Iterable[dict[str, Any]], vocabulary: Vocabulary) -> Placement:
    """What the correction form starts from: the entities the NLU extracted (or the last correction gave),
    those that fit the message's text and the domain; the others with their reason, to be shown, not
    submitted."""
    rows = [(str(e.get("value", "")), str(e.get("entity", ""))) for e in entities]
    return place_entities(_clean(text), rows, vocabulary)


@dataclass(frozen=True)
class Saved:
    correction_id: int
    dropped: tuple[DroppedEntity, ...]


def save_correction(
    session: Session,
    message_id: int,
    *,
    intent: str,
    entities: Iterable[tuple[str, str]],
    text: str | None,
    author: str,
    vocabulary: Vocabulary,
    now: datetime | None = None,
) -> Saved:
    """Store (or replace) the correction of one customer message. `text` is the example as it will be trained
    on; None keeps the message's own text. Entity rows that do not fit the example are left out and returned
    (`place_entities`); only a wrong message or intent, or an empty example, refuses the correction."""
    now = now or utcnow()
    message = session.get(Message, message_id)
    if message is None:
        raise refusal(NotFound, "refusal.no_message", id=message_id)
    if message.sender != MessageSender.CUSTOMER:
        raise refusal(NotAllowed, "refusal.not_customer_message")
    if intent not in vocabulary.intents:
        raise refusal(InvalidInput, "refusal.not_an_intent", intent=repr(intent))
    example = _clean(text if text is not None else message.text)
    if not example:
        raise refusal(InvalidInput, "refusal.empty_example")
    placement = place_entities(example, entities, vocabulary, intent)
    conversation = session.get(Conversation, message.conversation_id)
    language = (
        conversation.language
        if conversation is not None and conversation.language is not None
        else Language(detect_language(example) or "en")  # a text that says nothing (an order number): English
    )
    correction = session.scalar(select(NluCorrection).where(NluCorrection.message_id == message_id))
    if correction is None:
        correction = NluCorrection(message_id=message_id, created_at=now, author=author[:64])
        session.add(correction)
    correction.text, correction.language, correction.intent = example, language, intent
    correction.entities = placement.entities
    correction.predicted_intent, correction.author, correction.updated_at = message.intent, author[:64], now
    correction.exported_at = None
    session.flush()
    return Saved(correction.id, placement.dropped)


def delete_correction(session: Session, correction_id: int) -> None:
    correction = session.get(NluCorrection, correction_id)
    if correction is None:
        raise refusal(NotFound, "refusal.no_correction", id=correction_id)
    session.delete(correction)


def _view(c: NluCorrection, conversation_id: int) -> CorrectionView:
    return CorrectionView(
        c.id,
        c.message_id,
        conversation_id,
        c.text,
        c.language,
        c.predicted_intent,
        c.intent,
        list(c.entities or []),
        c.author,
        c.updated_at,
        c.exported_at,
    )


def corrections(
    session: Session,
    *,
    language: Language | str | None = None,
    message_ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> list[CorrectionView]:
    query = (
        select(NluCorrection, Message.conversation_id)
        .join(Message, Message.id == NluCorrection.message_id)
        .order_by(NluCorrection.updated_at.desc(), NluCorrection.id.desc())
    )
    if language is not None:
        query = query.where(NluCorrection.language == Language(language))
    if message_ids is not None:
        query = query.where(NluCorrection.message_id.in_(list(message_ids)))
    if limit is not None:
        query = query.limit(limit)
    return [_view(c, conversation_id) for c, conversation_id in session.execute(query)]


# --- export --------------------------------------------------------------------------------------


def plain_example(line: str) -> str:
    """A training example without its entity annotations, compared case-insensitively."""
    return _clean(_ANNOTATION.sub(lambda m: m.group("text"), line)).casefold()


def training_examples(nlu_dir: Path, language: Language | str) -> dict[str, str]:
    """Plain example text -> intent, for one language's training data (the exported file itself excluded)."""
    found: dict[str, str] = {}
    folder = nlu_dir / Language(language).value
    for path in sorted(folder.glob("*.yml")):
        if path.name == EXPORT_NAME:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.setdefault(plain_example(line[2:]), str(block["intent"]))
    return found


def annotate(text: str, entities: list[dict[str, Any]]) -> str:
    """The example with its entities as `[value](type)`; brackets elsewhere in the text become parentheses so
    Rasa does not take them for annotations."""

    def plain(part: str) -> str:
        return part.replace("[", "(").replace("]", ")")

    out, position = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        out.append(plain(text[position : entity["start"]]))
        out.append(f"[{text[entity['start'] : entity['end']]}]({entity['entity']})")
        position = entity["end"]
    out.append(plain(text[position:]))
    return "".join(out)


@dataclass(frozen=True)
class Skipped:
    correction_id: int
    text: str
    intent: str
    reason: str
    trained_as: str  # the intent the training data gives the same example (the console says why in words)


@dataclass(frozen=True)
class Export:
    language: Language
    yaml: str
    examples: int
    skipped: tuple[Skipped, ...]


def render_export(
    items: Iterable[CorrectionView],
    language: Language | str,
    existing: dict[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> Export:
    language = Language(language)
    existing = existing or {}
    by_intent: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    skipped: list[Skipped] = []
    for item in sorted(items, key=lambda c: c.id):
        if item.language != language:
            continue
        line = annotate(item.text, item.entities)
        plain = plain_example(line)
        trained = existing.get(plain)
        if trained == item.intent:
            skipped.append(Skipped(item.id, item.text, item.intent, "already in the training data", trained))
            continue
        if trained is not None:
            skipped.append(Skipped(item.id, item.text, item.intent, f"the training data labels it {trained}", trained))
            continue
        if plain in seen:
            continue
        seen.add(plain)
        by_intent[item.intent].append(line)
    stamp = (now or utcnow()).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"{GENERATED_MARK} from reviewed conversations ({stamp}); regenerated whole by each export.",
        'version: "3.1"',
        "",
        "nlu:",
    ]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in by_intent[intent])
    if not by_intent:
        lines[-1] = "nlu: []"
    return Export(language, "\n".join(lines) + "\n", sum(map(len, by_intent.values())), tuple(skipped))


def export(session: Session, language: Language | str, nlu_dir: Path, *, now: datetime | None = None) -> Export:
    """One language's corrections as a Rasa NLU file; they are marked exported."""
    now = now or utcnow()
    items = corrections(session, language=language)
    result = render_export(items, language, training_examples(nlu_dir, language), now=now)
    exported = {i.id for i in items} - {s.correction_id for s in result.skipped}
    for correction in session.scalars(select(NluCorrection).where(NluCorrection.id.in_(exported))):
        correction.exported_at = now
    return result


def write_exports(
    session: Session, out_dir: Path, nlu_dir: Path, *, now: datetime | None = None
) -> list[tuple[Path, Export]]:
    """`<out_dir>/<lang>/corrections.yml` for each language that has corrections; a file this function wrote
    before for a language that has none now is removed."""
    written = []
    for language in Language:
        path = out_dir / language.value / EXPORT_NAME
        result = export(session, language, nlu_dir, now=now)
        if result.examples:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(result.yaml, encoding="utf-8")
            written.append((path, result))
        elif path.exists() and path.read_text(encoding="utf-8").startswith(GENERATED_MARK):
            path.unlink()
    return written

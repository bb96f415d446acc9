"""The feedback consumer: Rasa's events become CRM records.

    python -m crm consume                       # SQL event broker (var/rasa-events.db), until Ctrl-C
    python -m crm consume --broker rabbitmq     # RabbitMQ (Pika) queue of the scaled deployment
    python -m crm consume --once                # what is there now, then exit; --status: the lag only

Every user and bot message lands in the transcript (channel, intent, confidence, entities, the bot's
action); conversations get their outcome (resolved by the bot, handed off, abandoned); customers get
interests from intents and product/category entities, `chat_mention` interactions for the products
they named, their language, channel and last contact, and a satisfaction score from ratings and
complaints. The recommender reads those interactions (`crm.export`); the action server folds a
customer's new ones in before it recommends.

Exactly-once effect: with the SQL broker the position (the last event id) is committed in the same
CRM transaction as the records it produced, so a crash replays at most an uncommitted batch; with
RabbitMQ a message is acknowledged only after its records are committed. In both cases every record
carries the key of the event it came from (`event_key`, unique), so an event delivered twice is
written once.

One bad event never stops the stream: every event is checked and bounded first (`crm.rasa_events`) and
applied in a savepoint of its own. An event that is malformed, or that the CRM refuses, is rolled back
alone and set aside in `dead_letters` (an error is logged with the count waiting; `python -m crm stats`
shows it; `python -m crm dead-letters` lists, replays or drops them), and the position moves on. Only
an unreachable broker or database stops a batch — it is retried, with a growing pause.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crm.db import REPO_ROOT
from kelian.language import as_language, detect_language
from crm.models import (
    Channel,
    ConsumerOffset,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerInterest,
    Interaction,
    InteractionKind,
    Language,
    Message,
    MessageSender,
    INTERACTION_WEIGHTS,
)
from crm.rasa_events import MAX_IDENTITY_CHARS, PoisonEvent, RasaEvent, as_said, decode, event_name, parse_event
from crm.redaction import SECRET_PROMPTS, mask_codes, mask_secrets
from crm.repository import find_customer, search_products, sender_key
from crm.repository.dead_letters import count_dead_letters, record_dead_letter
from crm.segments import rescore

log = logging.getLogger(__name__)

DEFAULT_EVENTS_URL = f"sqlite:///{REPO_ROOT / 'var' / 'rasa-events.db'}"
DEFAULT_QUEUE = "rasa_events"
INPUT_CHANNELS = {
    "rest": Channel.REST,
    "cmdline": Channel.REST,
    "socketio": Channel.WEB,
    "web": Channel.WEB,
    "wechat": Channel.WECHAT,
}
TOPICS = {  # intent -> the interest it shows
    **dict.fromkeys(("place_order", "track_order", "cancel_order", "change_order", "check_cancellation_fee"), "orders"),
    **dict.fromkeys(
        ("delivery_options", "delivery_period", "change_shipping_address", "set_up_shipping_address"), "shipping"
    ),
    **dict.fromkeys(("check_payment_methods", "payment_issue", "check_invoice", "get_invoice"), "payments"),
    **dict.fromkeys(("check_refund_policy", "get_refund", "track_refund"), "refunds"),
    **dict.fromkeys(("recommend_products", "search_products", "similar_products", "product_info"), "shopping"),
    "complaint": "complaints",
    "newsletter_subscription": "newsletter",
}
CLOSING_INTENTS = {"goodbye", "thank"}
AGENT_ACTION = "action_agent_message"  # what a staff member typed in the console, said through the bot
RESUMABLE = timedelta(minutes=30)  # a conversation resolved this recently still takes the next messages
SATISFACTION_MEMORY = 0.7  # satisfaction = 0.7 x before + 0.3 x the new signal
COMPLAINT_SCORE = 1.0


def _language(text: str) -> Language | None:
    """The language of the customer's own words (kelian.language's rule: payloads, order numbers and
    e-mail addresses say nothing), for a conversation no `language` slot event has named yet."""
    detected = detect_language(text)
    return None if detected is None else Language(detected)


@dataclass
class Stats:
    events: int = 0
    messages: int = 0
    mentions: int = 0
    duplicates: int = 0
    conversations_closed: int = 0
    dead_letters: int = 0

    def add(self, other: Stats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# what FeedbackWriter.remember keeps: conversations, last actions, touched customers, offered buttons
Memory = tuple[dict[str, tuple[Channel, int]], dict[str, str], set[int], dict[str, dict[str, str]]]


@dataclass
class FeedbackWriter:
    """Applies events to the CRM inside the caller's transaction. It remembers, per sender, the
    conversation and the last bot action, which saves queries (all of it can be rebuilt from the CRM),
    and the buttons the bot offered since the customer's last message, so a pressed button is written
    as its title ("好的,转人工"), not its payload ("/contact_human_agent"). A consumer restarted between a
    button and the press writes the payload."""

    conversations: dict[str, tuple[Channel, int]] = field(default_factory=dict)
    last_action: dict[str, str] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)  # customers whose profile changed in this batch
    offered: dict[str, dict[str, str]] = field(default_factory=dict)  # sender -> payload -> title

    def finish_batch(self, session: Session) -> None:
        """Segments and lifecycle stages of the customers the batch touched (`python -m crm segment`
        recomputes everyone, with the population-wide scores)."""
        rescore(session, sorted(self.touched))
        self.touched.clear()

    def remember(self) -> Memory:
        """A copy of the memory, to put back when an event's work is rolled back (`forget_since`)."""
        return dict(self.conversations), dict(self.last_action), set(self.touched), dict(self.offered)

    def forget_since(self, memory: Memory) -> None:
        self.conversations, self.last_action, self.touched = dict(memory[0]), dict(memory[1]), set(memory[2])
        self.offered = dict(memory[3])

    def apply(self, session: Session, event: RasaEvent, stats: Stats) -> None:
        sender = event.sender_id
        stats.events += 1
        if event.kind == "user":
            self._user(session, sender, event, stats)
        elif event.kind == "bot":
            if event.buttons:
                self.offered[sender] = {**self.offered.get(sender, {}), **dict(event.buttons)}
            self._bot(session, sender, event, stats)
        elif event.kind == "action":
            self.last_action[sender] = event.name or ""
            if event.name == "action_handoff":
                self._set_status(session, sender, ConversationStatus.HANDED_OFF)
        elif event.kind == "slot" and event.name == "rating" and event.value:
            self._satisfaction(session, sender, float(event.value))
        elif event.kind == "slot" and event.name == "language" and (language := as_language(event.value)):
            self._conversation_language(session, sender, Language(language), event.moment)
        elif event.kind == "session_started":
            self.offered.pop(sender, None)
            stats.conversations_closed += self._close(session, sender, event)

    # --- conversations -----------------------------------------------------------------------

    def _conversation(
        self, session: Session, sender: str, channel: Channel | None, moment: datetime | None
    ) -> int | None:
        """The sender's current conversation: open, handed off, or resolved by the bot moments ago (its
        last reply, or the customer carrying on, still belong to it). A user message (channel given)
        starts one when there is none."""
        known = self.conversations.get(sender)
        if known is not None and (channel is None or known[0] == channel):
            return known[1]
        channels = [channel] if channel is not None else list(dict.fromkeys(INPUT_CHANNELS.values()))
        keys = [sender_key(c, sender) for c in channels]
        moment = moment or datetime.now(timezone.utc)
        row: tuple[int, Channel] | None = session.execute(
            select(Conversation.id, Conversation.channel)
            .where(
                Conversation.sender_key.in_(keys),
                Conversation.status.in_(
                    [ConversationStatus.OPEN, ConversationStatus.HANDED_OFF, ConversationStatus.RESOLVED_BY_BOT]
                ),
                (Conversation.ended_at.is_(None)) | (Conversation.ended_at >= moment - RESUMABLE),
            )
            .order_by(Conversation.started_at.desc())
            .limit(1)
        ).first()
        if row is None:
            if channel is None:
                return None
            customer = None if len(sender) > MAX_IDENTITY_CHARS else find_customer(session, channel, sender)
            conversation = Conversation(
                customer_id=None if customer is None else customer.id,
                channel=channel,
                sender_key=sender_key(channel, sender),
                status=ConversationStatus.OPEN,
                started_at=moment,
            )
            session.add(conversation)
            session.flush()
            row = (conversation.id, channel)
        self.conversations[sender] = (row[1], row[0])
        return row[0]

    def _set_status(self, session: Session, sender: str, status: ConversationStatus) -> None:
        conversation_id = self._conversation(session, sender, None, None)
        if conversation_id is not None:
            session.get_one(Conversation, conversation_id).status = status

    def _close(self, session: Session, sender: str, event: RasaEvent) -> int:
        """A new Rasa session ends the previous conversation: resolved by the bot unless it ended on a
        misunderstanding (abandoned); a handed-off one is closed by the agent, not here."""
        conversation_id = self._conversation(session, sender, None, event.moment)
        self.conversations.pop(sender, None)
        if conversation_id is None:
            return 0
        conversation = session.get_one(Conversation, conversation_id)
        if conversation.status != ConversationStatus.OPEN:
            return 0  # resolved already, or handed off (the agent closes it)
        last_intent = session.scalar(
            select(Message.intent)
            .where(Message.conversation_id == conversation_id, Message.sender == MessageSender.CUSTOMER)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(1)
        )
        if last_intent is None:
            return 0
        conversation.status = (
            ConversationStatus.ABANDONED if last_intent == "nlu_fallback" else ConversationStatus.RESOLVED_BY_BOT
        )
        conversation.ended_at = event.moment
        return 1

    # --- messages ----------------------------------------------------------------------------

    def _insert(self, session: Session, record: Message | Interaction, stats: Stats) -> bool:
        try:
            with session.begin_nested():
                session.add(record)
                session.flush()
        except IntegrityError:  # this event was written before: at-least-once delivery, written once
            stats.duplicates += 1
            return False
        return True

    def _user(self, session: Session, sender: str, event: RasaEvent, stats: Stats) -> None:
        channel = INPUT_CHANNELS.get(event.input_channel or "rest", Channel.REST)
        conversation_id = self._conversation(session, sender, channel, event.moment)
        intent, entities, moment = event.intent, [dict(e) for e in event.entities], event.moment
        text_ = as_said(event.text or "", self.offered.pop(sender, {}))
        if self.last_action.get(sender) in SECRET_PROMPTS:
            text_ = mask_codes(text_)
        message = Message(
            conversation_id=conversation_id,
            sender=MessageSender.CUSTOMER,
            text=text_,
            intent=intent,
            confidence=event.confidence,
            entities=entities or None,
            created_at=moment,
            event_key=event.key(),
        )
        if not self._insert(session, message, stats):
            return
        stats.messages += 1
        conversation = session.get_one(Conversation, conversation_id)
        if conversation.status == ConversationStatus.RESOLVED_BY_BOT:  # the customer carries on after "thanks"
            conversation.status, conversation.ended_at = ConversationStatus.OPEN, None
        customer = None if event.anonymous else find_customer(session, channel, sender)
        if customer is None or customer.erased:
            return
        if conversation.customer_id is None:
            conversation.customer_id = customer.id
        row = session.get_one(Customer, customer.id)
        self.touched.add(customer.id)
        row.preferred_channel, row.last_contact_at = channel, moment
        # The bot's `language` slot event, which follows the message in the turn, says the conversation's
        # language (_conversation_language); the message's own words only until the first such event.
        if conversation.language is None and (language := _language(event.text or "")) is not None:
            row.preferred_language = conversation.language = language
        tags = [f"topic:{TOPICS[intent]}"] if intent in TOPICS else []
        for entity in entities:
            if entity["entity"] in ("product", "category") and entity.get("value"):
                tags.append(f"{entity['entity']}:{str(entity['value']).strip().lower()[:50]}")
        self._interests(session, customer.id, tags, moment)
        if intent == "complaint":
            self._satisfaction(session, sender, COMPLAINT_SCORE, customer.id)
        for position, entity in enumerate(entities):
            if entity["entity"] == "product" and entity.get("value"):
                stats.mentions += self._mention(
                    session, customer.id, str(entity["value"]), channel, moment, event.key(f"mention:{position}"), stats
                )
        if intent in CLOSING_INTENTS and conversation.status == ConversationStatus.OPEN:
            conversation.status, conversation.ended_at = ConversationStatus.RESOLVED_BY_BOT, moment
            stats.conversations_closed += 1

    def _conversation_language(
        self, session: Session, sender: str, language: Language, moment: datetime | None
    ) -> None:
        """The language the bot settled on for the conversation (it keeps the language in use for a
        payload or an order number, which the text alone cannot tell) is the conversation's and the
        customer's."""
        conversation_id = self._conversation(session, sender, None, moment)
        conversation = None if conversation_id is None else session.get(Conversation, conversation_id)
        if conversation is None:
            return
        conversation.language = language
        if conversation.customer_id is not None:
            customer = session.get(Customer, conversation.customer_id)
            if customer is not None and customer.erased_at is None:
                customer.preferred_language = language

    def _bot(self, session: Session, sender: str, event: RasaEvent, stats: Stats) -> None:
        conversation_id = self._conversation(session, sender, None, event.moment)
        text_ = event.text or ""
        if conversation_id is None or not text_:
            return
        action = event.utter_action or self.last_action.get(sender)
        sender_role = MessageSender.AGENT if action == AGENT_ACTION else MessageSender.BOT
        message = Message(
            conversation_id=conversation_id,
            sender=sender_role,
            text=mask_secrets(text_, action),
            action=action or None,
            created_at=event.moment,
            event_key=event.key(),
        )
        if self._insert(session, message, stats):
            stats.messages += 1

    # --- the profile -------------------------------------------------------------------------

    def _interests(self, session: Session, customer_id: int, tags: Iterable[str], moment: datetime) -> None:
        for tag in dict.fromkeys(tags):
            interest = session.get(CustomerInterest, (customer_id, tag))
            if interest is None:
                session.add(CustomerInterest(customer_id=customer_id, tag=tag, weight=1.0, updated_at=moment))
            else:
                interest.weight, interest.updated_at = interest.weight + 1.0, moment

    def _mention(
        self, session: Session, customer_id: int, name: str, channel: Channel, moment: datetime, key: str, stats: Stats
    ) -> int:
        found = search_products(session, name, limit=1)
        if not found:
            return 0
        interaction = Interaction(
            customer_id=customer_id,
            product_id=found[0].id,
            kind=InteractionKind.CHAT_MENTION,
            weight=INTERACTION_WEIGHTS[InteractionKind.CHAT_MENTION],
            channel=channel,
            occurred_at=moment,
            event_key=key,
        )
        return int(self._insert(session, interaction, stats))

    def _satisfaction(self, session: Session, sender: str, score: float, customer_id: int | None = None) -> None:
        if customer_id is None:
            known = self.conversations.get(sender)
            channel = known[0] if known else Channel.REST
            customer = None if len(sender) > MAX_IDENTITY_CHARS else find_customer(session, channel, sender)
            if customer is None:
                return
            customer_id = customer.id
        row = session.get_one(Customer, customer_id)
        row.satisfaction = (
            score
            if row.satisfaction is None
            else round(SATISFACTION_MEMORY * row.satisfaction + (1 - SATISFACTION_MEMORY) * score, 3)
        )


# --- sources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One event as the broker holds it, not yet parsed: parsing is per event, so a broken one is set
    aside without taking its batch down. `sender_id` is the broker's own column, if it has one."""

    reference: str | None
    payload: str | bytes
    sender_id: str | None = None

    def text(self) -> str:
        return self.payload.decode("utf-8", "replace") if isinstance(self.payload, bytes) else self.payload


Batch = tuple[list[Delivery], Callable[[Session], None], Callable[[], None]]


class EventSource(Protocol):
    name: str

    def batches(self, crm: sessionmaker[Session], size: int) -> Iterator[Batch]:
        """Batches of deliveries, each with `record(session)` (store the position in the CRM transaction)
        and `done()` (after the commit: acknowledge). Failing here means the source is unavailable."""
        ...

    def lag(self, crm: sessionmaker[Session]) -> int: ...


class SqlEventSource:
    """Rasa's SQL event broker: the `events` table (id, sender_id, data as JSON)."""

    def __init__(self, url: str = DEFAULT_EVENTS_URL, name: str | None = None) -> None:
        self.engine: Engine = create_engine(url)
        # The position belongs to one event store: another database starts from its beginning.
        self.name = name or f"sql:{hashlib.sha1(url.encode()).hexdigest()[:16]}"

    def position(self, crm: sessionmaker[Session]) -> int:
        with crm() as session:
            return int(session.scalar(select(ConsumerOffset.position).where(ConsumerOffset.name == self.name)) or 0)

    def _newest(self) -> int:
        with self.engine.connect() as connection:
            try:
                return int(connection.scalar(text("SELECT MAX(id) FROM events")) or 0)
            except Exception:  # the broker has not created its table yet: nothing published
                return 0

    def lag(self, crm: sessionmaker[Session]) -> int:
        return max(0, self._newest() - self.position(crm))

    def batches(self, crm: sessionmaker[Session], size: int) -> Iterator[Batch]:
        position = self.position(crm)
        with self.engine.connect() as connection:
            try:
                rows = connection.execute(
                    text("SELECT id, sender_id, data FROM events WHERE id > :position ORDER BY id LIMIT :size"),
                    {"position": position, "size": size},
                ).all()
            except Exception:
                return
        if not rows:
            return
        deliveries = [
            Delivery(
                str(row.id),
                row.data if isinstance(row.data, (str, bytes)) else "",
                row.sender_id if isinstance(row.sender_id, str) else None,
            )
            for row in rows
        ]
        last = int(rows[-1].id)

        def record(session: Session) -> None:
            offset = session.get(ConsumerOffset, self.name)
            now = datetime.now(timezone.utc)
            if offset is None:
                session.add(ConsumerOffset(name=self.name, position=last, updated_at=now))
            else:
                offset.position, offset.updated_at = last, now

        yield deliveries, record, lambda: None


class RabbitEventSource:
    """Rasa's Pika event broker: a durable queue on RabbitMQ; a message is acknowledged only after its
    records (or its dead letter) are committed."""

    def __init__(self, url: str, queue: str = DEFAULT_QUEUE, name: str = "rabbitmq") -> None:
        import pika

        self.parameters = pika.URLParameters(url)
        self.queue = queue
        self.name = name
        self._connection: Any = None

    def _channel(self) -> Any:
        import pika

        if self._connection is None or self._connection.is_closed:
            self._connection = pika.BlockingConnection(self.parameters)
        channel = self._connection.channel()
        channel.queue_declare(self.queue, durable=True)
        return channel

    def lag(self, crm: sessionmaker[Session]) -> int:
        return int(self._channel().queue_declare(self.queue, durable=True, passive=True).method.message_count)

    def batches(self, crm: sessionmaker[Session], size: int) -> Iterator[Batch]:
        channel = self._channel()
        deliveries, tags = [], []
        for _ in range(size):
            method, _properties, body = channel.basic_get(self.queue, auto_ack=False)
            if method is None:
                break
            deliveries.append(Delivery(f"{self.queue}#{method.delivery_tag}", body))
            tags.append(method.delivery_tag)
        if not deliveries:
            channel.close()
            return

        def done() -> None:
            channel.basic_ack(tags[-1], multiple=True)
            channel.close()

        yield deliveries, lambda session: None, done


# --- the loop --------------------------------------------------------------------------------


def unavailable(error: BaseException) -> bool:
    """Whether an error says the CRM database is out of reach or busy (try the batch again later),
    rather than that this event is bad (set it aside)."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _refusal(error: Exception) -> str:
    return str(error) if isinstance(error, PoisonEvent) else f"{type(error).__name__}: {error}"


def apply_delivery(session: Session, source: str, delivery: Delivery, writer: FeedbackWriter, stats: Stats) -> None:
    """One event in its own savepoint: applied whole, or rolled back alone and set aside as a dead letter.
    An unreachable database is not the event's fault: that error goes up and the batch is retried."""
    memory, own = writer.remember(), Stats()
    raw: Any = None
    try:
        raw = decode(delivery.payload)
        event = parse_event(raw, delivery.sender_id)
        with session.begin_nested():
            writer.apply(session, event, own)
    except Exception as error:
        if unavailable(error):
            raise
        writer.forget_since(memory)
        record_dead_letter(
            session,
            source=source,
            payload=delivery.text(),
            reason=_refusal(error),
            reference=delivery.reference,
            event_name=event_name(raw),
        )
        log.warning("consumer %s: event %s set aside: %s", source, delivery.reference, _refusal(error)[:200])
        stats.dead_letters += 1
        return
    stats.add(own)


def consume_once(crm: sessionmaker[Session], source: EventSource, writer: FeedbackWriter, batch: int = 200) -> Stats:
    """Everything the source has now; each batch in one CRM transaction with its position, each event in a
    savepoint of its own. A bad event never stops the stream: it becomes a dead letter, and an error is
    logged with the count of letters waiting."""
    total = Stats()
    while True:
        progressed = False
        for deliveries, record, done in source.batches(crm, batch):
            stats = Stats()
            with crm() as session, session.begin():
                for delivery in deliveries:
                    apply_delivery(session, source.name, delivery, writer, stats)
                writer.finish_batch(session)
                record(session)
                waiting = count_dead_letters(session) if stats.dead_letters else 0
            done()
            if stats.dead_letters:
                log.error(
                    "consumer %s: %d event(s) set aside as dead letters in this batch, %d waiting; "
                    "see `python -m crm dead-letters`",
                    source.name,
                    stats.dead_letters,
                    waiting,
                )
            total.add(stats)
            progressed = True
        if not progressed:
            return total


@dataclass(frozen=True)
class RetryOutcome:
    applied: bool
    reason: str | None = None


def retry_dead_letter(crm: sessionmaker[Session], letter_id: int, *, actor: str) -> RetryOutcome:
    """Apply a pending dead letter now (after a fix, say). Success marks it retried; a refusal keeps it
    pending with the new reason. Both are audited."""
    from crm.repository.dead_letters import mark_retried, pending_payload, retry_failed

    writer = FeedbackWriter()
    with crm() as session, session.begin():
        _source, payload = pending_payload(session, letter_id)
        try:
            event = parse_event(decode(payload))
            with session.begin_nested():
                writer.apply(session, event, Stats())
        except Exception as error:
            if unavailable(error):
                raise
            retry_failed(session, letter_id, _refusal(error), actor=actor)
            return RetryOutcome(False, _refusal(error))
        writer.finish_batch(session)
        mark_retried(session, letter_id, actor=actor)
    return RetryOutcome(True)


def run_forever(
    crm: sessionmaker[Session], source: EventSource, poll: float = 1.0, batch: int = 200, report_every: float = 30.0
) -> None:
    """Until SIGINT/SIGTERM; an unreachable broker or database is retried (with a growing pause), never fatal.
    Bad events do not get here: `consume_once` sets them aside."""
    writer = FeedbackWriter()
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    total, last_report, backoff = Stats(), time.monotonic(), poll
    while not stopping:
        try:
            stats = consume_once(crm, source, writer, batch)
            total.add(stats)
            backoff = poll
        except Exception:
            log.exception("consumer: %s unavailable, retrying in %.0f s", source.name, backoff)
            writer = FeedbackWriter()  # its memory may describe work that was rolled back
            backoff = min(backoff * 2, 30.0)
        if time.monotonic() - last_report >= report_every:
            try:
                lag = source.lag(crm)
            except Exception:
                lag = -1
            print(
                f"consumer {source.name}: {total.events} events, {total.messages} messages, "
                f"{total.mentions} mentions, {total.duplicates} duplicates skipped, "
                f"{total.dead_letters} dead letters, lag {lag}",
                flush=True,
            )
            last_report = time.monotonic()
        time.sleep(backoff)


def default_events_url(var_dir: Path | None = None) -> str:
    if var_dir is None:
        return DEFAULT_EVENTS_URL
    return f"sqlite:///{var_dir / 'rasa-events.db'}"

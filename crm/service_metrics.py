"""Service figures that do not flatter (#16 item 5), over conversations and hand-offs of a window.

containment     conversations that ended with the customer's goal met and no person / conversations
                started in the window. Goal met: the bot closed it (goodbye or thanks, or a new session),
                no hand-off was requested, no complaint was made, the bot's last substantive message was
                not a form's question or a stopped form (a form left unanswered is a stuck request), the
                last request was understood and not rejected, and no satisfaction rating of 1-2 followed.
fallback rate   failed customer messages / customer messages. Failed: the NLU did not understand it
                (nlu_fallback) and no FAQ answer followed, or an FAQ answer followed that the customer
                rejected: their next message in the conversation is a deny, a complaint, a request for a
                person or not understood, or repeats the message the answer was for (the same intent, or
                the same words).
hand-off wait   minutes from the request to an agent taking it; a request still waiting counts with its
                wait so far, one closed untaken with its wait until it closed. Median and 90th percentile
                over requests made in the window; the longest open wait over all requests waiting now.
first response  per agent: minutes from the request to the agent's first message in the conversation
                (the joined / left notices are not messages); handle time: from taking it to closing it.
survey answers  a rating (the survey's button) or the reason for one is not a request: not counted in the
                figures above, and a conversation of nothing else (a rating after a hand-off was closed starts
                one in the transcript) is not a conversation of them.
CSAT            surveys answered 4 or 5 / surveys answered; response rate: surveys answered / asked
                (crm.repository.csat), per agent, per main intent and per week (weeks start on Monday in
                the shop's time zone).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import (
    Conversation,
    ConversationStatus,
    CsatSurvey,
    HandoffRequest,
    HandoffStatus,
    Message,
    MessageSender,
)
from kelian.agent_voice import notice

FALLBACK_INTENT = "nlu_fallback"
FAQ_ACTION = "action_answer_faq"
REJECTIONS = frozenset({"deny", "complaint", "contact_human_agent", FALLBACK_INTENT})
SATISFIED_SCORE = 4
LOW_SCORES = (1, 2)
# The bot's messages that close or decorate a conversation rather than answer it.
CLOSING_ACTIONS = frozenset(
    {
        "utter_goodbye",
        "utter_you_are_welcome",
        "utter_greet",
        "action_ask_csat",
        "action_record_csat",
        "action_ask_csat_reason",
        "action_record_csat_reason",
    }
)
# A customer message that answers the satisfaction survey (its button carries this entity, or one of these actions
# answered it) is not a request: it is neither counted nor failed, and a conversation of nothing else (a rating
# pressed after a hand-off closed starts one in the transcript) is not a conversation of the figures.
SURVEY_ENTITY = "csat_score"
SURVEY_ACTIONS = frozenset({"action_record_csat", "action_ask_csat_reason", "action_record_csat_reason"})
_NOTICE_ENDINGS = tuple(notice(e, "", lang).strip() for e in ("joined", "left") for lang in ("en", "zh"))


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _p90(values: list[float]) -> float | None:
    if len(values) < 2:
        return _median(values)
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _minutes(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 60)


def stuck(action: str | None) -> bool:
    """A form's question or a stopped form: the customer's request was left open."""
    if not action:
        return False
    return (
        action.startswith(("action_ask_", "utter_ask_", "validate_"))
        or action.endswith("_form")
        or action == "utter_form_stopped"
    )


def _rates(message: Message) -> bool:
    return any(isinstance(e, dict) and e.get("entity") == SURVEY_ENTITY for e in message.entities or [])


def survey_reply(message: Message, after: list[Message]) -> bool:
    """A rating (the survey's button) or the reason for one (what the survey's actions answered)."""
    if _rates(message):
        return True
    answer = next((m for m in after if m.sender != MessageSender.CUSTOMER and m.action), None)
    return answer is not None and answer.action in SURVEY_ACTIONS


def _same(a: Message, b: Message) -> bool:
    return (a.intent is not None and a.intent == b.intent) or " ".join(a.text.split()).lower() == " ".join(
        b.text.split()
    ).lower()


@dataclass
class ConversationReading:
    """What one conversation's messages say about it."""

    customer_messages: int = 0  # survey answers left out
    survey_replies: int = 0
    failed_messages: int = 0  # misunderstood and unanswered, or answered by an FAQ answer that was rejected
    rejected_faq_answers: int = 0
    complaint: bool = False
    left_stuck: bool = False
    last_request_failed: bool = False


def read_conversation(messages: Iterable[Message]) -> ConversationReading:
    """Reads one conversation's messages in order (see the module's definitions)."""
    reading = ConversationReading()
    ordered = list(messages)
    replies = {
        index
        for index, message in enumerate(ordered)
        if message.sender == MessageSender.CUSTOMER and survey_reply(message, ordered[index + 1 :])
    }
    requests = [i for i, m in enumerate(ordered) if m.sender == MessageSender.CUSTOMER and i not in replies]
    reading.survey_replies = len(replies)
    last_substantive: str | None = None
    for index, message in enumerate(ordered):
        if message.sender == MessageSender.BOT and message.action not in CLOSING_ACTIONS:
            last_substantive = message.action
    for position, index in enumerate(requests):
        message = ordered[index]
        reading.customer_messages += 1
        reading.complaint |= message.intent == "complaint"
        answer = None
        for later in ordered[index + 1 :]:
            if later.sender == MessageSender.CUSTOMER:
                break
            if later.sender == MessageSender.BOT and later.action == FAQ_ACTION:
                answer = later
        following = ordered[requests[position + 1]] if position + 1 < len(requests) else None
        if answer is not None:
            rejected = following is not None and (following.intent in REJECTIONS or _same(following, message))
            reading.rejected_faq_answers += rejected
            failed = rejected
        else:
            failed = message.intent == FALLBACK_INTENT
        reading.failed_messages += failed
        if message.intent not in ("goodbye", "thank", "greet", "affirm", "deny"):
            reading.last_request_failed = failed
    reading.left_stuck = stuck(last_substantive)
    return reading


@dataclass
class AgentFigures:
    """One agent's hand-offs requested in the window and taken by them."""

    agent: str
    handoffs: int = 0
    closed: int = 0
    first_response_minutes: list[float] = field(default_factory=list)
    handle_minutes: list[float] = field(default_factory=list)

    @property
    def median_first_response(self) -> float | None:
        return _median(self.first_response_minutes)

    @property
    def median_handle(self) -> float | None:
        return _median(self.handle_minutes)


@dataclass(frozen=True)
class CsatFigures:
    asked: int = 0
    answered: int = 0
    satisfied: int = 0
    score_total: int = 0

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.answered, self.asked)

    @property
    def csat(self) -> float | None:
        return _ratio(self.satisfied, self.answered)

    @property
    def average(self) -> float | None:
        return None if not self.answered else self.score_total / self.answered

    def add(self, score: int | None) -> CsatFigures:
        if score is None:
            return CsatFigures(self.asked + 1, self.answered, self.satisfied, self.score_total)
        return CsatFigures(
            self.asked + 1, self.answered + 1, self.satisfied + (score >= SATISFIED_SCORE), self.score_total + score
        )


class _Rates:
    """Containment and the fallback rate from the counts a dataclass below holds."""

    conversations: int
    contained: int
    customer_messages: int
    failed_messages: int

    @property
    def containment(self) -> float | None:
        return _ratio(self.contained, self.conversations)

    @property
    def fallback_rate(self) -> float | None:
        return _ratio(self.failed_messages, self.customer_messages)


@dataclass
class BucketFigures(_Rates):
    """Containment and the fallback rate over the conversations of one part of the window (a day or a week)."""

    conversations: int = 0
    contained: int = 0
    customer_messages: int = 0
    failed_messages: int = 0


@dataclass(frozen=True)
class ServiceFigures(_Rates):
    conversations: int
    contained: int
    customer_messages: int
    failed_messages: int
    rejected_faq_answers: int
    waits_minutes: list[float]
    open_waits: int
    longest_open_wait_minutes: float | None
    agents: list[AgentFigures]
    csat_total: CsatFigures
    csat_by_agent: dict[str, CsatFigures] = field(default_factory=dict)  # "" for surveys without a hand-off
    csat_by_intent: dict[str, CsatFigures] = field(default_factory=dict)  # "" when no main intent
    csat_by_week: dict[date, CsatFigures] = field(default_factory=dict)  # the Monday of the week
    # containment and fallbacks by the part of the window the conversation started in (`bucket` of compute_service)
    by_bucket: dict[date, BucketFigures] = field(default_factory=dict)

    @property
    def median_wait(self) -> float | None:
        return _median(self.waits_minutes)

    @property
    def p90_wait(self) -> float | None:
        return _p90(self.waits_minutes)


def compute_service(
    session: Session,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    bucket: Callable[[datetime], date] | None = None,
) -> ServiceFigures:
    """The figures of conversations started, hand-offs requested and surveys asked in [start, end); `end` is
    also the moment open waits are measured at. With `bucket` (a conversation's start to its day or week),
    `by_bucket` holds containment and fallbacks per bucket too, from the same reading of each conversation: the
    same figures as this function over each bucket's own [start, end)."""
    conversations = list(
        session.scalars(select(Conversation).where(Conversation.started_at >= start, Conversation.started_at < end))
    )
    ids = [c.id for c in conversations]
    messages: dict[int, list[Message]] = defaultdict(list)
    handoffs: dict[int, list[HandoffRequest]] = defaultdict(list)
    low_rated: set[int] = set()
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for message in session.scalars(
            select(Message).where(Message.conversation_id.in_(chunk)).order_by(Message.created_at, Message.id)
        ):
            messages[message.conversation_id].append(message)
        for handoff in session.scalars(select(HandoffRequest).where(HandoffRequest.conversation_id.in_(chunk))):
            handoffs[handoff.conversation_id].append(handoff)
        low_rated.update(
            session.scalars(
                select(CsatSurvey.conversation_id).where(
                    CsatSurvey.conversation_id.in_(chunk), CsatSurvey.score.in_(LOW_SCORES)
                )
            )
        )

    contained = customer_messages = failed = rejected = 0
    counted = 0
    by_bucket: dict[date, BucketFigures] = {}
    for conversation in conversations:
        reading = read_conversation(messages[conversation.id])
        if reading.survey_replies and not reading.customer_messages and not handoffs[conversation.id]:
            continue  # only a survey's answer
        counted += 1
        customer_messages += reading.customer_messages
        failed += reading.failed_messages
        rejected += reading.rejected_faq_answers
        goal_met = (
            conversation.status == ConversationStatus.RESOLVED_BY_BOT
            and not handoffs[conversation.id]
            and not reading.complaint
            and not reading.left_stuck
            and not reading.last_request_failed
            and conversation.id not in low_rated
        )
        contained += goal_met
        if bucket is not None:
            part = by_bucket.setdefault(bucket(conversation.started_at), BucketFigures())
            part.conversations += 1
            part.contained += goal_met
            part.customer_messages += reading.customer_messages
            part.failed_messages += reading.failed_messages

    waits: list[float] = []
    per_agent: dict[str, AgentFigures] = {}
    requested = list(
        session.scalars(
            select(HandoffRequest).where(HandoffRequest.requested_at >= start, HandoffRequest.requested_at < end)
        )
    )
    for handoff in requested:
        if handoff.assigned_at is not None:
            waits.append(_minutes(handoff.assigned_at, handoff.requested_at))
        elif handoff.status == HandoffStatus.WAITING:
            waits.append(_minutes(end, handoff.requested_at))
        elif handoff.closed_at is not None:
            waits.append(_minutes(handoff.closed_at, handoff.requested_at))
        if handoff.agent is None or handoff.assigned_at is None:
            continue
        figures = per_agent.setdefault(handoff.agent, AgentFigures(handoff.agent))
        figures.handoffs += 1
        first = _first_agent_message(session, handoff, messages.get(handoff.conversation_id))
        if first is not None:
            figures.first_response_minutes.append(_minutes(first, handoff.requested_at))
        if handoff.status == HandoffStatus.CLOSED and handoff.closed_at is not None:
            figures.closed += 1
            figures.handle_minutes.append(_minutes(handoff.closed_at, handoff.assigned_at))
    open_since = list(
        session.scalars(select(HandoffRequest.requested_at).where(HandoffRequest.status == HandoffStatus.WAITING))
    )
    longest = max((_minutes(end, at) for at in open_since), default=None)

    total = CsatFigures()
    by_agent: dict[str, CsatFigures] = defaultdict(CsatFigures)
    by_intent: dict[str, CsatFigures] = defaultdict(CsatFigures)
    by_week: dict[date, CsatFigures] = defaultdict(CsatFigures)
    for agent, intent, asked_at, score in session.execute(
        select(CsatSurvey.agent, CsatSurvey.intent, CsatSurvey.asked_at, CsatSurvey.score).where(
            CsatSurvey.asked_at >= start, CsatSurvey.asked_at < end
        )
    ):
        total = total.add(score)
        by_agent[agent or ""] = by_agent[agent or ""].add(score)
        by_intent[intent or ""] = by_intent[intent or ""].add(score)
        day = asked_at.astimezone(tz).date()
        week = day - timedelta(days=day.weekday())
        by_week[week] = by_week[week].add(score)

    return ServiceFigures(
        conversations=counted,
        contained=contained,
        customer_messages=customer_messages,
        failed_messages=failed,
        rejected_faq_answers=rejected,
        waits_minutes=waits,
        open_waits=len(open_since),
        longest_open_wait_minutes=longest,
        agents=[per_agent[name] for name in sorted(per_agent)],
        csat_total=total,
        csat_by_agent=dict(sorted(by_agent.items())),
        csat_by_intent=dict(sorted(by_intent.items(), key=lambda kv: (-kv[1].asked, kv[0]))),
        csat_by_week=dict(sorted(by_week.items())),
        by_bucket=dict(sorted(by_bucket.items())),
    )


def _first_agent_message(session: Session, handoff: HandoffRequest, known: list[Message] | None) -> datetime | None:
    """When the agent first wrote in the hand-off's conversation after it was requested (notices excluded)."""
    candidates = known
    if candidates is None:
        candidates = list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == handoff.conversation_id, Message.sender == MessageSender.AGENT)
                .order_by(Message.created_at, Message.id)
            )
        )
    for message in candidates:
        if message.sender != MessageSender.AGENT or message.created_at < handoff.requested_at:
            continue
        if message.text.strip().endswith(_NOTICE_ENDINGS):
            continue
        if handoff.closed_at is not None and message.created_at > handoff.closed_at:
            break
        return message.created_at
    return None

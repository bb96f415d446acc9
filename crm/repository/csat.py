"""Satisfaction surveys (CSAT): asked once per conversation, answered 1-5, a reason after a low score.

The action server asks and records through these functions (actions/survey.py); the console's dashboard reads
the table (console/dashboard.py). A survey belongs to the sender's latest conversation when it is asked, with
the agent of that conversation's latest hand-off (if any); a rating or a reason goes to the sender's latest
survey still waiting for it, so it lands on the right survey even when the reply starts a new conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput
from crm.models import Channel, Conversation, CsatSurvey, CsatTrigger, HandoffRequest, HandoffStatus, Language
from crm.privacy import utcnow
from crm.repository.common import as_language
from crm.repository.conversations import open_conversation, sender_key

SCORES = range(1, 6)
LOW_SCORES = (1, 2)  # a reason is asked after these
REASON_MAX_CHARS = 1000


@dataclass(frozen=True)
class SurveyView:
    id: int
    conversation_id: int
    trigger: CsatTrigger
    agent: str | None
    score: int | None


def _view(survey: CsatSurvey) -> SurveyView:
    return SurveyView(survey.id, survey.conversation_id, survey.trigger, survey.agent, survey.score)


def _latest_conversation_id(session: Session, key: str) -> int | None:
    return session.scalar(
        select(Conversation.id)
        .where(Conversation.sender_key == key)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def start_survey(
    session: Session,
    channel: Channel | str,
    sender_id: str,
    *,
    trigger: CsatTrigger | str,
    intent: str | None,
    language: Language | str,
    now: datetime | None = None,
) -> SurveyView | None:
    """The survey to ask now, or None when this conversation was asked already (never twice). After a
    hand-off it belongs to the conversation of the sender's latest closed hand-off, with its agent."""
    now = now or utcnow()
    key = sender_key(channel, sender_id)
    trigger = CsatTrigger(trigger)
    handoff = session.scalars(
        select(HandoffRequest)
        .join(Conversation, Conversation.id == HandoffRequest.conversation_id)
        .where(Conversation.sender_key == key, HandoffRequest.status == HandoffStatus.CLOSED)
        .order_by(HandoffRequest.closed_at.desc(), HandoffRequest.id.desc())
        .limit(1)
    ).first()
    if trigger == CsatTrigger.HANDOFF:
        if handoff is None:
            return None  # nothing was handed back: no hand-off survey
        conversation_id = handoff.conversation_id
    else:
        conversation_id = _latest_conversation_id(session, key) or open_conversation(
            session, channel, sender_id, language=language, now=now
        )
        if handoff is not None and handoff.conversation_id != conversation_id:
            handoff = None
    if session.scalar(select(CsatSurvey.id).where(CsatSurvey.conversation_id == conversation_id)) is not None:
        return None
    survey = CsatSurvey(
        conversation_id=conversation_id,
        handoff_id=None if handoff is None else handoff.id,
        agent=None if handoff is None else handoff.agent,
        intent=(intent or None) and intent[:64],
        trigger=trigger,
        language=as_language(language),
        asked_at=now,
    )
    with session.begin_nested():
        session.add(survey)
        session.flush()
    return _view(survey)


def _waiting(session: Session, key: str, *, for_reason: bool) -> CsatSurvey | None:
    query = (
        select(CsatSurvey)
        .join(Conversation, Conversation.id == CsatSurvey.conversation_id)
        .where(Conversation.sender_key == key)
        .order_by(CsatSurvey.asked_at.desc(), CsatSurvey.id.desc())
        .limit(1)
    )
    survey = session.scalars(query).first()
    if survey is None:
        return None
    if for_reason:
        return survey if survey.score in LOW_SCORES and survey.reason is None else None
    return survey if survey.score is None else None


def record_score(
    session: Session, channel: Channel | str, sender_id: str, score: int, *, now: datetime | None = None
) -> SurveyView | None:
    """The rating of the sender's latest unanswered survey; None when none waits (answered already, or never
    asked: a button pressed twice or a forged payload changes nothing)."""
    if score not in SCORES:
        raise InvalidInput(f"a rating is 1 to 5, not {score!r}")
    survey = _waiting(session, sender_key(channel, sender_id), for_reason=False)
    if survey is None:
        return None
    survey.score, survey.answered_at = score, now or utcnow()
    session.flush()
    return _view(survey)


def record_reason(session: Session, channel: Channel | str, sender_id: str, reason: str) -> bool:
    """The customer's reason for a low rating (bounded); False when no low rating waits for one."""
    text = " ".join((reason or "").split())[:REASON_MAX_CHARS]
    if not text:
        return False
    survey = _waiting(session, sender_key(channel, sender_id), for_reason=True)
    if survey is None:
        return False
    survey.reason = text
    session.flush()
    return True

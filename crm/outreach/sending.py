"""A campaign run: select, cap, assign, record, send.

Order of the filters, so that a hold-out group is comparable with the contacted one: the rule and
consent select; those already recorded for the same occasion of this campaign are skipped (a re-run
sends nothing twice); those contacted by any campaign within the cap are skipped; then the
experiment assigns the rest through `crm.experiments.serving.arm_for`, the one function that reads an
experiment, so its target and its start and stop times apply here as in the chat (a customer outside
the target is not in the experiment and this campaign leaves them out); every one assigned — hold-out or
not — is recorded as exposed when selected (intent to treat: a WeChat refusal does not move anyone out of
their arm).

Each selection is committed before anything is sent, so a crash between the two leaves a row that a
re-run skips: at most once, never twice. WeChat messages go at once (`sent` or `failed`); web ones
wait (`pending`) until the customer's next conversation shows them (crm/outreach/web.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.errors import InvalidInput
from crm.experiments.serving import Assignment, arm_for, record_exposure
from crm.models import (
    Channel,
    Experiment,
    ExperimentStatus,
    ExperimentSurface,
    OutreachCampaign,
    OutreachMessage,
    OutreachStatus,
)
from crm.outreach.campaigns import get_campaign
from crm.outreach.delivery import WeChatSender
from crm.outreach.selection import Candidate, select_candidates
from crm.outreach.wording import campaign_text, compose

CONTACTS = (OutreachStatus.PENDING, OutreachStatus.SHOWN, OutreachStatus.SENT)


@dataclass(frozen=True)
class Planned:
    candidate: Candidate
    assignment: Assignment | None  # None: the campaign measures itself with no experiment
    held_out: bool

    @property
    def arm(self) -> str | None:
        return None if self.assignment is None else self.assignment.arm


@dataclass
class RunSummary:
    campaign: str
    dry_run: bool
    planned: list[Planned] = field(default_factory=list)
    unreachable: int = 0
    already: int = 0  # recorded before for the same occasion
    capped: int = 0
    untargeted: int = 0  # outside the target of the campaign's experiment
    outcomes: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        held = sum(p.held_out for p in self.planned)
        head = (
            f"campaign {self.campaign}: {len(self.planned)} selected ({held} held out), "
            f"{self.already} already done, {self.capped} within the frequency cap, {self.unreachable} unreachable"
            + (f", {self.untargeted} outside the experiment's target" if self.untargeted else "")
        )
        if self.dry_run:
            return head + " — dry run, nothing recorded or sent"
        done = ", ".join(f"{n} {status}" for status, n in sorted(self.outcomes.items())) or "nothing sent"
        return f"{head}; {done}"


def _running(experiment: Experiment, now: datetime) -> bool:
    return (
        experiment.status == ExperimentStatus.RUNNING
        and experiment.starts_at is not None
        and experiment.starts_at <= now
        and (experiment.stops_at is None or experiment.stops_at > now)
    )


def plan(
    session: Session, campaign: OutreachCampaign, now: datetime, only: Collection[int] | None = None
) -> RunSummary:
    """Who this run would reach (nothing is written); `only` restricts it to these customers (a test send
    to the team's own accounts: the rule, consent, cap and hold-out still apply)."""
    summary = RunSummary(campaign.key, dry_run=True)
    experiment = campaign.experiment
    if experiment is not None and not _running(experiment, now):
        raise InvalidInput(
            f"campaign {campaign.key!r} measures itself with experiment {experiment.key!r}, which is "
            f"{experiment.status.value} now; start it (python -m crm experiments start {experiment.key})"
        )
    candidates, summary.unreachable = select_candidates(session, campaign.rule, now)
    if only is not None:
        candidates = [c for c in candidates if c.customer_id in only]
    done = set(
        session.execute(
            select(OutreachMessage.customer_id, OutreachMessage.trigger).where(
                OutreachMessage.campaign_id == campaign.id
            )
        ).all()
    )
    recent = set(
        session.scalars(
            select(OutreachMessage.customer_id).where(
                OutreachMessage.status.in_(CONTACTS),
                OutreachMessage.selected_at > now - timedelta(days=campaign.cap_days),
            )
        )
    )
    for candidate in candidates:
        if (candidate.customer_id, candidate.trigger) in done:
            summary.already += 1
            continue
        if campaign.cap_days and candidate.customer_id in recent:
            summary.capped += 1
            continue
        assignment, held_out = None, False
        if experiment is not None:
            assignment = arm_for(
                session,
                ExperimentSurface.OUTREACH,
                customer_id=candidate.customer_id,
                channel=candidate.channel,
                now=now,
            )
            if assignment is None:
                summary.untargeted += 1
                continue
            if assignment.experiment_id != experiment.id:  # one experiment runs per surface: never expected
                raise InvalidInput(
                    f"experiment {assignment.experiment_key!r} runs on outreach, not {experiment.key!r} of campaign "
                    f"{campaign.key!r}"
                )
            held_out = assignment.arm_id == experiment.arms[0].id
        summary.planned.append(Planned(candidate, assignment, held_out))
    return summary


def _record(session: Session, campaign: OutreachCampaign, planned: Planned, now: datetime) -> OutreachMessage:
    c = planned.candidate
    if planned.held_out:
        status = OutreachStatus.HELD_OUT
    else:
        status = OutreachStatus.PENDING
    message = OutreachMessage(
        campaign_id=campaign.id,
        customer_id=c.customer_id,
        trigger=c.trigger,
        channel=c.channel,
        language=c.language,
        arm=planned.arm,
        status=status,
        selected_at=now,
    )
    session.add(message)
    if planned.assignment is not None:
        record_exposure(session, planned.assignment, c.channel, now)
    return message


def run_campaign(
    factory: sessionmaker[Session],
    key: str,
    *,
    wechat: WeChatSender | None,
    now: datetime | None = None,
    dry_run: bool = False,
    only: Collection[int] | None = None,
) -> RunSummary:
    now = now or datetime.now(timezone.utc)

    def select_and_record(session: Session) -> tuple[RunSummary, list[tuple[int, str, str]]]:
        campaign = get_campaign(session, key)
        if not campaign.active:
            raise InvalidInput(f"campaign {key!r} is paused")
        summary = plan(session, campaign, now, only)
        to_send: list[tuple[int, str, str]] = []
        if dry_run:
            return summary, to_send
        summary.dry_run = False
        for planned in summary.planned:
            message = _record(session, campaign, planned, now)
            session.flush()
            if message.status == OutreachStatus.HELD_OUT:
                summary.outcomes["held out"] += 1
            elif message.channel == Channel.WEB:
                summary.outcomes["waiting for the next web visit"] += 1
            else:
                text = campaign_text(campaign, message.arm, message.language)
                to_send.append(
                    (message.id, planned.candidate.address, compose(text, message.channel, message.language))
                )
        return summary, to_send

    # run_transaction: the selection reads, then writes, while the action server and the consumer write
    # too; SQLite refuses such a transaction when another one committed in between, and it is run again
    summary, to_send = run_transaction(factory, select_and_record)
    for message_id, openid, text in to_send:
        error = "no WeChat sender" if wechat is None else wechat.send(openid, text)
        outcome = "sent on WeChat" if error is None else "failed on WeChat"
        run_transaction(factory, partial(_mark_sent, message_id=message_id, error=error))
        summary.outcomes[outcome] += 1
    return summary


def _mark_sent(session: Session, message_id: int, error: str | None) -> None:
    message = session.get_one(OutreachMessage, message_id)
    if error is None:
        message.status, message.sent_at = OutreachStatus.SENT, datetime.now(timezone.utc)
    else:
        message.status, message.error = OutreachStatus.FAILED, error[:120]

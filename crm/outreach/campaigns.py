"""Creating and finding campaigns: what a marketer decides before anyone is selected."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crm.errors import InvalidInput, NotFound
from crm.experiments.definitions import get_experiment
from crm.models import ExperimentSurface, OutreachCampaign, OutreachRule
from crm.outreach.wording import MAX_MESSAGE_CHARS

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DEFAULT_CAP_DAYS = 7
DEFAULT_WINDOW_DAYS = 7


class CampaignNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no outreach campaign {key!r} (python -m crm outreach list)")


def _message(text: str, language: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"the {language} message is empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"the {language} message has {len(text)} characters; at most {MAX_MESSAGE_CHARS}")
    return text


def create_campaign(
    session: Session,
    key: str,
    rule: OutreachRule | str,
    *,
    message_en: str,
    message_zh: str,
    experiment: str | None = None,
    cap_days: int = DEFAULT_CAP_DAYS,
    window_days: int = DEFAULT_WINDOW_DAYS,
    now: datetime | None = None,
) -> OutreachCampaign:
    """A campaign; `experiment` is the key of an experiment on the `outreach` surface whose first arm
    (the control) is the hold-out."""
    if not KEY_PATTERN.fullmatch(key or ""):
        raise InvalidInput(f"campaign key {key!r}: lower-case letters, digits, - and _ (at most 64)")
    if session.scalar(select(OutreachCampaign.id).where(OutreachCampaign.key == key)) is not None:
        raise InvalidInput(f"an outreach campaign {key!r} exists already")
    try:
        rule = OutreachRule(rule)
    except ValueError:
        raise InvalidInput(f"rule must be one of {', '.join(r.value for r in OutreachRule)}, not {rule!r}") from None
    if not 0 <= cap_days <= 365 or not 0 < window_days <= 90:
        raise InvalidInput("cap_days must be 0-365 and window_days 1-90")
    experiment_id = None
    if experiment is not None:
        found = get_experiment(session, experiment)
        if found.surface != ExperimentSurface.OUTREACH:
            raise InvalidInput(
                f"experiment {experiment!r} is on {found.surface.value}; an outreach needs one created with "
                "--surface outreach (its first arm is the hold-out)"
            )
        experiment_id = found.id
    campaign = OutreachCampaign(
        key=key,
        rule=rule,
        message_en=_message(message_en, "English"),
        message_zh=_message(message_zh, "Chinese"),
        experiment_id=experiment_id,
        cap_days=cap_days,
        window_days=window_days,
        active=True,
        created_at=now or datetime.now(timezone.utc),
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, key: str) -> OutreachCampaign:
    found = session.scalar(
        select(OutreachCampaign).where(OutreachCampaign.key == key).options(selectinload(OutreachCampaign.experiment))
    )
    if found is None:
        raise CampaignNotFound(key)
    return found


def list_campaigns(session: Session) -> list[OutreachCampaign]:
    return list(
        session.scalars(
            select(OutreachCampaign)
            .options(selectinload(OutreachCampaign.experiment))
            .order_by(OutreachCampaign.created_at.desc(), OutreachCampaign.id.desc())
        )
    )

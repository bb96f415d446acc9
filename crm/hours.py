"""The shop's queue settings (#16 item 3): business hours in the shop's time zone (per weekday, holidays),
automatic assignment on or off, how long a request may wait before it becomes a ticket, and how long an
agent's console may stay silent before the agent counts as offline.

Read from the environment, so the action server (which tells the customer) and the staff console (which
routes and expires requests) see the same settings:

| setting | environment | default |
| --- | --- | --- |
| shop time zone | `KELIAN_SHOP_TZ`, else `KELIAN_CONSOLE_TZ` | Asia/Shanghai |
| business hours | `KELIAN_BUSINESS_HOURS`, e.g. `mon-fri 09:00-21:00; sat,sun 10:00-18:00` | always open |
| holidays (closed all day) | `KELIAN_HOLIDAYS`, e.g. `2026-10-01,2026-10-02` | none |
| automatic assignment | `KELIAN_AUTO_ASSIGN` (`1` / `0`) | on |
| expiry of a waiting request | `KELIAN_HANDOFF_EXPIRY_MINUTES` (0 = never; the shop sets it, e.g. 60) | 0 |
| presence timeout | `KELIAN_PRESENCE_TIMEOUT_SECONDS` | 180 |

A range may pass midnight (`fri 20:00-02:00` is open until 2 in the morning of Saturday; it belongs to
Friday, so a holiday on Friday closes it); `24:00` ends a range at midnight."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([0-2]\d):([0-5]\d)-([0-2]\d):([0-5]\d)$")
MAX_SPEC_CHARS = 1000


class HoursError(ValueError):
    """A business-hours or holiday setting that cannot be read."""


@dataclass(frozen=True)
class Opening:
    start: int  # minutes after the day's midnight
    end: int  # minutes after the day's midnight; more than 1440 when the range passes midnight


def _minutes(hours: str, minutes: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if value > 24 * 60:
        raise HoursError(f"no such time {hours}:{minutes}")
    return value


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        part = part.strip().lower()
        if "-" in part:
            first, last = (p.strip() for p in part.split("-", 1))
            if first not in DAYS or last not in DAYS:
                raise HoursError(f"unknown weekday in {part!r}")
            i, j = DAYS.index(first), DAYS.index(last)
            days.extend(DAYS.index(DAYS[(i + k) % 7]) for k in range((j - i) % 7 + 1))
        elif part in DAYS:
            days.append(DAYS.index(part))
        else:
            raise HoursError(f"unknown weekday {part!r}")
    return days


def parse_hours(spec: str | None) -> dict[int, tuple[Opening, ...]] | None:
    """`mon-fri 09:00-21:00; sat 10:00-12:00,14:00-18:00` -> weekday (0 = Monday) -> openings; None (always
    open) for an empty setting. A day not named is closed."""
    if spec is None or not spec.strip():
        return None
    if len(spec) > MAX_SPEC_CHARS:
        raise HoursError("business hours setting too long")
    week: dict[int, list[Opening]] = {d: [] for d in range(7)}
    for clause in spec.split(";"):
        clause = clause.strip()
        if not clause:
            continue
        days_spec, _, ranges = clause.partition(" ")
        if not ranges.strip():
            raise HoursError(f"no hours in {clause!r}")
        for day in _days(days_spec):
            for piece in ranges.split(","):
                match = _RANGE.match(piece.strip())
                if match is None:
                    raise HoursError(f"not a range HH:MM-HH:MM: {piece.strip()!r}")
                start, end = _minutes(*match.group(1, 2)), _minutes(*match.group(3, 4))
                if start >= 24 * 60:
                    raise HoursError(f"a range cannot start at 24:00: {piece.strip()!r}")
                if end <= start:
                    end += 24 * 60  # passes midnight
                if end == start + 24 * 60 and start != 0:
                    raise HoursError(f"an empty range: {piece.strip()!r}")
                week[day].append(Opening(start, end))
    return {d: tuple(sorted(o, key=lambda r: r.start)) for d, o in week.items()}


def parse_holidays(spec: str | None) -> frozenset[date]:
    if spec is None or not spec.strip():
        return frozenset()
    if len(spec) > MAX_SPEC_CHARS:
        raise HoursError("holidays setting too long")
    try:
        return frozenset(date.fromisoformat(p.strip()) for p in spec.split(",") if p.strip())
    except ValueError as error:
        raise HoursError(f"holidays are dates YYYY-MM-DD: {error}") from None


@dataclass(frozen=True)
class BusinessHours:
    week: dict[int, tuple[Opening, ...]] | None  # None: always open
    zone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    holidays: frozenset[date] = frozenset()

    def _starts(self, day: date) -> tuple[Opening, ...]:
        if self.week is None or day in self.holidays:
            return ()
        return self.week.get(day.weekday(), ())

    def is_open(self, now: datetime) -> bool:
        if self.week is None:
            return True
        local = now.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        today, yesterday = local.date(), local.date() - timedelta(days=1)
        if any(o.start <= minute < o.end for o in self._starts(today)):
            return True
        return any(minute + 24 * 60 < o.end for o in self._starts(yesterday))

    def next_opening(self, now: datetime) -> datetime | None:
        """When people are next at work (in the shop's zone), or None when open now or never within 60 days."""
        if self.is_open(now):
            return None
        local = now.astimezone(self.zone)
        for offset in range(61):
            day = local.date() + timedelta(days=offset)
            for opening in self._starts(day):
                start = datetime.combine(day, time(0), self.zone) + timedelta(minutes=opening.start)
                if start > local:
                    return start
        return None


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None or not value.strip() else value.strip().lower() not in ("0", "false", "no", "off")


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 6:
        raise HoursError(f"{name} must be a whole number")
    return int(value)


@dataclass(frozen=True)
class QueueSettings:
    hours: BusinessHours = field(default_factory=lambda: BusinessHours(None))
    auto_assign: bool = True
    expiry_minutes: int = 0  # 0: requests never expire
    presence_timeout: timedelta = timedelta(seconds=180)

    @classmethod
    def from_environment(cls) -> QueueSettings:
        zone_name = os.environ.get("KELIAN_SHOP_TZ") or os.environ.get("KELIAN_CONSOLE_TZ") or "Asia/Shanghai"
        try:
            zone: tzinfo = ZoneInfo(zone_name)
        except (KeyError, ValueError) as error:
            raise HoursError(f"unknown time zone {zone_name!r}") from error
        hours = BusinessHours(
            parse_hours(os.environ.get("KELIAN_BUSINESS_HOURS")),
            zone,
            parse_holidays(os.environ.get("KELIAN_HOLIDAYS")),
        )
        return cls(
            hours=hours,
            auto_assign=_flag("KELIAN_AUTO_ASSIGN", True),
            expiry_minutes=_number("KELIAN_HANDOFF_EXPIRY_MINUTES", 0),
            presence_timeout=timedelta(seconds=max(30, _number("KELIAN_PRESENCE_TIMEOUT_SECONDS", 180))),
        )


_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def opening_words(opening: datetime, now: datetime, language: str) -> str:
    """When people are back, as a customer reads it in the shop's time: "today at 09:00", "明天 09:00",
    "on Mon 14 Dec at 09:00", "12月14日(周一)09:00"."""
    local_now = now.astimezone(opening.tzinfo)
    days = (opening.date() - local_now.date()).days
    clock = opening.strftime("%H:%M")
    if language == "zh":
        if days == 0:
            return f"今天 {clock}"
        if days == 1:
            return f"明天 {clock}"
        return f"{opening.month}月{opening.day}日({_WEEKDAYS_ZH[opening.weekday()]}){clock}"
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"on {_WEEKDAYS_EN[opening.weekday()]} {opening.day} {_MONTHS_EN[opening.month - 1]} at {clock}"

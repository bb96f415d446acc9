"""Business hours in the shop's time zone (crm.hours): weekdays, ranges past midnight, holidays, the next
opening, and the settings read from the environment."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from crm.hours import BusinessHours, HoursError, QueueSettings, opening_words, parse_holidays, parse_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_weekdays_in_the_shops_zone() -> None:
    hours = BusinessHours(parse_hours("mon-fri 09:00-21:00; sat,sun 10:00-18:00"), SHANGHAI)
    # Monday 2026-12-07 09:00 in Shanghai is 01:00 UTC
    assert not hours.is_open(at("2026-12-07T00:59:59"))
    assert hours.is_open(at("2026-12-07T01:00:00"))
    assert hours.is_open(at("2026-12-07T12:59:59"))  # 20:59:59 local
    assert not hours.is_open(at("2026-12-07T13:00:00"))  # 21:00 local: closed
    # Saturday 2026-12-12 at 09:30 local (01:30 UTC): weekend hours start at 10
    assert not hours.is_open(at("2026-12-12T01:30:00"))
    assert hours.next_opening(at("2026-12-12T01:30:00")) == datetime(2026, 12, 12, 10, 0, tzinfo=SHANGHAI)
    # Friday 21:30 local: next is Saturday 10:00
    assert hours.next_opening(at("2026-12-11T13:30:00")) == datetime(2026, 12, 12, 10, 0, tzinfo=SHANGHAI)
    assert hours.next_opening(at("2026-12-07T02:00:00")) is None  # open now


def test_the_utc_day_is_not_the_shops_day() -> None:
    hours = BusinessHours(parse_hours("mon 00:00-08:00"), SHANGHAI)
    # Sunday 2026-12-06 16:30 UTC is Monday 00:30 in Shanghai
    assert hours.is_open(at("2026-12-06T16:30:00"))
    assert not hours.is_open(at("2026-12-07T00:30:00"))  # Monday 08:30 local


def test_ranges_past_midnight_and_24_00() -> None:
    hours = BusinessHours(parse_hours("fri 20:00-02:00; sat 08:00-24:00"), SHANGHAI)
    friday_late = datetime(2026, 12, 11, 23, 59, tzinfo=SHANGHAI)
    saturday_early = datetime(2026, 12, 12, 1, 59, tzinfo=SHANGHAI)
    assert hours.is_open(friday_late) and hours.is_open(saturday_early)
    assert not hours.is_open(datetime(2026, 12, 12, 2, 0, tzinfo=SHANGHAI))
    assert hours.next_opening(datetime(2026, 12, 12, 2, 0, tzinfo=SHANGHAI)) == datetime(
        2026, 12, 12, 8, 0, tzinfo=SHANGHAI
    )
    assert hours.is_open(datetime(2026, 12, 12, 23, 59, 59, tzinfo=SHANGHAI))
    assert not hours.is_open(datetime(2026, 12, 13, 0, 0, tzinfo=SHANGHAI))  # Sunday: closed
    assert hours.next_opening(datetime(2026, 12, 13, 0, 0, tzinfo=SHANGHAI)) == datetime(
        2026, 12, 18, 20, 0, tzinfo=SHANGHAI
    )


def test_holidays_close_the_day_and_its_night() -> None:
    hours = BusinessHours(
        parse_hours("mon-sun 09:00-21:00; fri 22:00-01:00"), SHANGHAI, parse_holidays("2026-12-11, 2026-12-12")
    )
    assert not hours.is_open(datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI))
    assert not hours.is_open(datetime(2026, 12, 12, 0, 30, tzinfo=SHANGHAI))  # Friday's night is Friday's
    assert hours.next_opening(datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)) == datetime(
        2026, 12, 13, 9, 0, tzinfo=SHANGHAI
    )


def test_no_setting_means_always_open() -> None:
    hours = BusinessHours(parse_hours(""), SHANGHAI)
    assert hours.is_open(at("2026-12-07T19:00:00")) and hours.next_opening(at("2026-12-07T19:00:00")) is None


@pytest.mark.parametrize(
    "spec",
    ["mon 9-17", "funday 09:00-17:00", "mon 25:00-26:00", "mon", "mon 24:00-02:00", "mon 09:00-09:00", "x" * 2000],
)
def test_bad_hours_are_refused(spec: str) -> None:
    with pytest.raises(HoursError):
        parse_hours(spec)


def test_bad_holidays_are_refused() -> None:
    with pytest.raises(HoursError):
        parse_holidays("2026-13-01")
    assert parse_holidays("2026-10-01,2026-10-02") == {date(2026, 10, 1), date(2026, 10, 2)}


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KELIAN_SHOP_TZ", "Europe/Berlin")
    monkeypatch.setenv("KELIAN_BUSINESS_HOURS", "mon-fri 09:00-17:00")
    monkeypatch.setenv("KELIAN_AUTO_ASSIGN", "0")
    monkeypatch.setenv("KELIAN_HANDOFF_EXPIRY_MINUTES", "30")
    monkeypatch.setenv("KELIAN_PRESENCE_TIMEOUT_SECONDS", "120")
    settings = QueueSettings.from_environment()
    assert not settings.auto_assign and settings.expiry_minutes == 30
    assert settings.presence_timeout.total_seconds() == 120
    assert settings.hours.is_open(at("2026-12-07T08:00:00"))  # 09:00 in Berlin
    assert not settings.hours.is_open(at("2026-12-07T07:59:00"))
    monkeypatch.setenv("KELIAN_HANDOFF_EXPIRY_MINUTES", "soon")
    with pytest.raises(HoursError):
        QueueSettings.from_environment()
    monkeypatch.setenv("KELIAN_HANDOFF_EXPIRY_MINUTES", "30")
    monkeypatch.setenv("KELIAN_SHOP_TZ", "Mars/Olympus")
    with pytest.raises(HoursError):
        QueueSettings.from_environment()


def test_when_people_are_back_in_words() -> None:
    hours = BusinessHours(parse_hours("mon-fri 09:00-18:00"), SHANGHAI)
    early = datetime(2026, 12, 7, 7, 0, tzinfo=SHANGHAI)  # Monday 07:00
    late = datetime(2026, 12, 7, 23, 0, tzinfo=SHANGHAI)
    friday = datetime(2026, 12, 11, 19, 0, tzinfo=SHANGHAI)

    def back(now: datetime) -> datetime:
        opening = hours.next_opening(now)
        assert opening is not None
        return opening

    assert opening_words(back(early), early, "en") == "today at 09:00"
    assert opening_words(back(early), early, "zh") == "今天 09:00"
    assert opening_words(back(late), late, "zh") == "明天 09:00"
    assert opening_words(back(friday), friday, "en") == "on Mon 14 Dec at 09:00"
    assert opening_words(back(friday), friday, "zh") == "12月14日(周一)09:00"
    # a UTC "now" is read in the shop's zone: 2026-12-06 23:30 UTC is Monday 07:30 in Shanghai
    utc_now = at("2026-12-06T23:30:00")
    assert opening_words(back(utc_now), utc_now, "en") == "today at 09:00"

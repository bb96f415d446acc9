"""The shop's facts and standing policies, and how a text that states them is filled in.

Every figure a customer reads about delivery, fees and response times has one home:

- delivery options, their fees, free-shipping thresholds and delivery times: the CRM's
  `delivery_options` table, per region (what an order is charged and promised); the return window:
  the CRM's `RETURN_WINDOW` (what a refund request is checked against);
- cancellation fees: the CRM's `cancellation_fee_rules`, one row per order status, which state their
  own figures and are what a cancellation is charged by (`action_cancellation_fee` tells them);
- every other service figure (ticket and e-mail response times, refund and invoice times, pick-up
  holding times, international shipping): the `facts` of data/knowledge/policies.yml.

Texts (policies.yml answers, faq.yml answers, the actions' messages) name a fact by a placeholder
such as `{standard_fee}` or `{urgent_ticket_reply}`; `render` fills it at answer time in the
customer's language, so two answers cannot state two different figures.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crm.repository import RETURN_WINDOW, DeliveryOptionView

from actions.i18n import Language
from actions.render import money

KNOWLEDGE_DIR = Path(
    os.environ.get("KELIAN_KNOWLEDGE_DIR", Path(__file__).resolve().parent.parent / "data" / "knowledge")
)

# A unit of a fact in policies.yml: English singular and plural, Chinese.
UNITS: Mapping[str, tuple[str, str, str]] = {
    "hours": ("hour", "hours", "小时"),
    "minutes": ("minute", "minutes", "分钟"),
    "days": ("day", "days", "天"),
    "working_days": ("working day", "working days", "个工作日"),
    "months": ("month", "months", "个月"),
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class MissingFact(KeyError):
    """A text names a fact that the CRM or policies.yml does not hold."""


@lru_cache(maxsize=1)
def _knowledge() -> dict[str, Any]:
    with open(KNOWLEDGE_DIR / "policies.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def policies() -> dict[str, dict[str, str]]:
    """Every policy answer as written (placeholders unfilled), by topic."""
    return {entry["topic"]: {"en": entry["en"], "zh": entry["zh"]} for entry in _knowledge()["answers"]}


def service_facts() -> dict[str, Any]:
    """The facts of policies.yml as written: a number, or {unit: value} / {unit: [low, high]} (a unit of
    `UNITS`, or `yuan` for money)."""
    return dict(_knowledge()["facts"])


def span(low: int, high: int, unit: str, language: Language) -> str:
    """`3–5 working days`, or one number when both ends agree (`1 working day`, never `1–1`)."""
    one, many, zh = UNITS[unit]
    figure = str(low) if low == high else f"{low}–{high}"
    if language == "zh":
        return f"{figure} {zh}"
    return f"{figure} {one if figure == '1' else many}"


def money_span(low: Decimal, high: Decimal, language: Language) -> str:
    if low == high:
        return money(low, language)
    if language == "zh":
        return f"{money(low, 'en').removeprefix('¥')}–{money(high, language)}"
    return f"{money(low, language)}–{money(high, language)}"


def days_of(low: int, high: int, language: Language) -> str:
    if high == 0:
        return "当日" if language == "zh" else "the same day"
    return span(low, high, "working_days", language)


def _fact_text(value: Any, language: Language) -> str:
    if isinstance(value, Mapping) and len(value) == 1:
        unit, amount = next(iter(value.items()))
        low, high = (amount, amount) if isinstance(amount, int) else amount
        if unit == "yuan":
            return money_span(Decimal(low), Decimal(high), language)
        return span(low, high, unit, language)
    return str(value)


def _listing(names: list[str], language: Language) -> str:
    if language == "zh":
        return "、".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class DeliveryFact:
    """One delivery option's figures over the regions it is offered in (one region, or all of them).
    `key` prefixes its placeholders: the option code (`standard_fee`, a summary over every region) or
    region and code (`remote_standard_fee`, that region only)."""

    key: str
    name_en: str
    name_zh: str
    carrier: str
    fees: tuple[Decimal, Decimal]
    free_over: tuple[Decimal, Decimal] | None
    days: tuple[int, int]
    regions_en: tuple[str, ...]
    regions_zh: tuple[str, ...]

    def values(self, language: Language) -> dict[str, str]:
        zh = language == "zh"
        found = {
            "name": self.name_zh if zh else self.name_en,
            "carrier": self.carrier,
            "fee": money_span(*self.fees, language) if self.fees[1] > 0 else ("免费" if zh else "free"),
            "days": days_of(*self.days, language),
            "regions": _listing(list(self.regions_zh if zh else self.regions_en), language),
        }
        if self.free_over is not None:
            found["free_over"] = money_span(*self.free_over, language)
        return {f"{self.key}_{field}": value for field, value in found.items()}


DELIVERY_FIELDS = ("_name", "_carrier", "_fee", "_days", "_free_over", "_regions")


def _summary(key: str, found: list[DeliveryOptionView]) -> DeliveryFact:
    thresholds = [o.free_over for o in found if o.free_over is not None]
    return DeliveryFact(
        key=key,
        name_en=found[0].name_en,
        name_zh=found[0].name_zh,
        carrier=found[0].carrier,
        fees=(min(o.fee for o in found), max(o.fee for o in found)),
        free_over=(min(thresholds), max(thresholds)) if thresholds else None,
        days=(min(o.min_days for o in found), max(o.max_days for o in found)),
        regions_en=tuple(o.region_en for o in found),
        regions_zh=tuple(o.region_zh for o in found),
    )


def delivery_facts(options: Iterable[DeliveryOptionView]) -> dict[str, DeliveryFact]:
    """The CRM's delivery options as facts: per option code over every region given (a figure that
    differs by region becomes a range, lowest to highest), and per region and option code."""
    by_code: dict[str, list[DeliveryOptionView]] = {}
    facts = {}
    for option in options:
        by_code.setdefault(option.code, []).append(option)
        key = f"{option.region_code}_{option.code}"
        facts[key] = _summary(key, [option])
    facts.update({code: _summary(code, found) for code, found in by_code.items()})
    return facts


def fact_values(delivery: Mapping[str, DeliveryFact], language: Language) -> dict[str, str]:
    """Every placeholder a text may use, filled in `language`."""
    values = {name: _fact_text(value, language) for name, value in service_facts().items()}
    values["return_window"] = span(RETURN_WINDOW.days, RETURN_WINDOW.days, "days", language)
    for option in delivery.values():
        values.update(option.values(language))
    return values


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def render(template: str, language: Language, delivery: Mapping[str, DeliveryFact] | None = None) -> str:
    """`template` with its facts filled in. A line naming a delivery option the shop does not offer
    (no such option in the CRM) is left out; any other missing fact is an error of the text."""
    values = fact_values(delivery or {}, language)
    lines = []
    for line in template.split("\n"):
        missing = placeholders(line) - values.keys()
        if not missing:
            lines.append(line.format_map(values))
        elif delivery is None or not all(name.endswith(DELIVERY_FIELDS) for name in missing):
            raise MissingFact(f"no fact {sorted(missing)} for {line!r}")
    return "\n".join(lines)


def needs_delivery(template: str) -> bool:
    """Whether `template` states delivery figures, which only the CRM knows."""
    return bool(placeholders(template) - fact_values({}, "en").keys())


def fact(name: str, language: Language) -> str:
    """One fact of policies.yml as said in `language` (`fact("refund_time", "en")` → "3–7 working days")."""
    return render("{" + name + "}", language)


def policy(topic: str, language: Language, delivery: Mapping[str, DeliveryFact] | None = None) -> str:
    """The answer on `topic` in `language`, facts filled in; KeyError for a topic the file does not have."""
    return render(policies()[topic][language], language, delivery)

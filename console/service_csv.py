"""The dashboard's service figures as CSV (`/dashboard/service.csv`): one row per figure and group, with the
counts it is made of, so a spreadsheet can recompute every rate. Column names and figure keys are in English
whatever the page's language (they are read by programs); the definitions are crm.service_metrics'."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from crm.service_metrics import CsatFigures, ServiceFigures

COLUMNS = ("figure", "group", "value", "part", "whole")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula is written as text (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def _csat_rows(group: str, figures: CsatFigures) -> Iterator[tuple[object, ...]]:
    yield ("csat", group, _round(figures.csat), figures.satisfied, figures.answered)
    yield ("csat_response_rate", group, _round(figures.response_rate), figures.answered, figures.asked)
    yield ("csat_average_score", group, _round(figures.average), figures.score_total, figures.answered)


def rows(service: ServiceFigures) -> Iterator[tuple[object, ...]]:
    yield ("containment", "", _round(service.containment), service.contained, service.conversations)
    yield ("fallback_rate", "", _round(service.fallback_rate), service.failed_messages, service.customer_messages)
    yield ("rejected_faq_answers", "", service.rejected_faq_answers, "", "")
    yield ("handoff_wait_median_minutes", "", _round(service.median_wait), "", len(service.waits_minutes))
    yield ("handoff_wait_p90_minutes", "", _round(service.p90_wait), "", len(service.waits_minutes))
    yield ("longest_open_wait_minutes", "", _round(service.longest_open_wait_minutes), "", service.open_waits)
    for agent in service.agents:
        group = f"agent:{agent.agent}"
        yield ("handoffs", group, agent.handoffs, "", "")
        yield ("handoffs_closed", group, agent.closed, "", "")
        yield (
            "first_response_median_minutes",
            group,
            _round(agent.median_first_response),
            "",
            len(agent.first_response_minutes),
        )
        yield ("handle_time_median_minutes", group, _round(agent.median_handle), "", len(agent.handle_minutes))
    yield from _csat_rows("", service.csat_total)
    for name, figures in service.csat_by_agent.items():
        yield from _csat_rows(f"agent:{name}" if name else "agent:", figures)
    for intent, figures in service.csat_by_intent.items():
        yield from _csat_rows(f"intent:{intent}", figures)
    for week, figures in service.csat_by_week.items():
        yield from _csat_rows(f"week:{week.isoformat()}", figures)


def service_csv(service: ServiceFigures) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows(service):
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()

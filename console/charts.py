"""The dashboard's and the experiments page's charts, drawn on the server with matplotlib as SVG (nothing is
loaded from elsewhere).

Each chart is its own `Figure` (matplotlib's object API, not pyplot), so charts can be drawn from several
threads at once. Text stays text in the SVG (`svg.fonttype: none`): small files, the browser's fonts — which
also draw the Chinese of a Chinese-speaking staff member's charts (words from the console's catalogue).
"""

from __future__ import annotations

import io
import warnings
from collections import Counter
from datetime import date

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from crm.experiments.analysis import Analysis

from console.dashboard import Dashboard
from console.experiments import Daily
from console.i18n import intent_label, label, translate

Labels = dict[str, dict[str, str]]

# text.parse_math off: labels (intent names) are data, and "$…$" in one would be parsed as mathtext (and fail).
matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "text.parse_math": False,
    }
)
CHANNEL_COLOURS = {"web": "#2b6cb0", "wechat": "#2f855a", "rest": "#b7791f", "phone": "#805ad5", "email": "#c53030"}
SIZE = (7.2, 2.6)
# Matplotlib measures text with its own font, which has no Chinese: the SVG keeps the text and the browser
# draws it, so the missing glyphs are no problem to report.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)


def _svg(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    return buffer.getvalue()


def _empty(figure: Figure, message: str) -> bytes:
    figure.text(0.5, 0.5, message, ha="center", va="center", color="#666")
    return _svg(figure)


def _day_labels(axes: Axes, days: list[date]) -> None:
    step = max(1, len(days) // 10)
    axes.set_xticks(range(0, len(days), step))
    axes.set_xticklabels([d.strftime("%m-%d") for d in days[::step]])


def conversations_per_day(board: Dashboard, language: str = "en", intents: Labels | None = None) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    channels = sorted({c for counts in board.per_day_channel.values() for c in counts})
    if not channels:
        return _empty(figure, translate(language, "chart.no_conversations"))
    bottom = [0] * len(board.day_list)
    for channel in channels:
        values = [board.per_day_channel.get(d, Counter())[channel] for d in board.day_list]
        axes.bar(
            range(len(values)),
            values,
            bottom=bottom,
            label=label(language, "channel", channel),
            width=0.85,
            color=CHANNEL_COLOURS.get(channel, "#718096"),
        )
        bottom = [b + v for b, v in zip(bottom, values)]
    _day_labels(axes, board.day_list)
    axes.set_ylabel(translate(language, "chart.conversations"))
    locator = axes.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # matplotlib's default AutoLocator is one
        locator.set_params(integer=True)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncol=len(channels))
    return _svg(figure)


def rates_over_time(board: Dashboard, language: str = "en", intents: Labels | None = None) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    if not board.rates_by_bucket or not board.conversations:
        return _empty(figure, translate(language, "chart.no_conversations"))
    rows = board.rates_by_bucket
    days = [row[0] for row in rows]
    for key, colour, rates in (
        ("chart.containment", "#2f855a", [row[1] for row in rows]),
        ("chart.fallback", "#c53030", [row[2] for row in rows]),
        ("chart.handoff", "#b7791f", [row[3] for row in rows]),
    ):
        values = [rate * 100 if rate is not None else float("nan") for rate in rates]
        axes.plot(range(len(days)), values, marker="o", markersize=3, label=translate(language, key), color=colour)
    _day_labels(axes, days)
    axes.set_ylim(0, 100)
    axes.set_ylabel(translate(language, "chart.per_day" if board.days <= 31 else "chart.per_week"))
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncol=3)
    return _svg(figure)


def wait_times(board: Dashboard, language: str = "en", intents: Labels | None = None) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    service = board.service  # crm.service_metrics' waits: a request still waiting counts with its wait so far
    if not service.waits_minutes:
        return _empty(figure, translate(language, "chart.no_waits"))
    axes.hist(service.waits_minutes, bins=min(20, max(5, len(service.waits_minutes) // 3)), color="#2b6cb0")
    if service.median_wait is not None:
        axes.axvline(
            service.median_wait,
            color="#c53030",
            linestyle="--",
            label=translate(language, "chart.median", n=f"{service.median_wait:.1f}"),
        )
        axes.legend(frameon=False)
    axes.set_xlabel(translate(language, "chart.minutes_until_taken"))
    axes.set_ylabel(translate(language, "chart.handoffs"))
    return _svg(figure)


def recommendation_funnel(board: Dashboard, language: str = "en", intents: Labels | None = None) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    stages = [
        (translate(language, "chart.impressions"), board.impressions),
        (translate(language, "chart.clicks"), board.clicks),
        (translate(language, "chart.purchases_after_click"), board.purchases_after_click),
    ]
    if not board.impressions and not board.clicks:
        return _empty(figure, translate(language, "chart.no_recommendations"))
    labels = [name for name, _ in stages][::-1]
    values = [value for _, value in stages][::-1]
    bars = axes.barh(labels, values, color=["#2f855a", "#b7791f", "#2b6cb0"])
    for bar, value in zip(bars, values):
        axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {value:,}", va="center")
    axes.set_xlim(0, max(values) * 1.15 or 1)
    return _svg(figure)


def top_intents(board: Dashboard, language: str = "en", intents: Labels | None = None) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    if not board.top_intents:
        return _empty(figure, translate(language, "chart.no_messages"))
    names = [intent_label(language, name, intents or {}) for name, _ in board.top_intents][::-1]
    counts = [count for _, count in board.top_intents][::-1]
    axes.barh(range(len(names)), counts, color="#4a5568")
    axes.set_yticks(range(len(names)), names)  # positions, not categories: two intents may share a label
    axes.set_xlabel(translate(language, "chart.customer_messages"))
    return _svg(figure)


CHARTS = {
    "conversations": conversations_per_day,
    "rates": rates_over_time,
    "waits": wait_times,
    "funnel": recommendation_funnel,
    "intents": top_intents,
}


# --- experiments page: each arm's rate with its interval, and the cumulative rates per day ------------------

ARM_COLOURS = ("#4a5568", "#2b6cb0", "#2f855a", "#b7791f", "#805ad5")


def experiment_rates(analysis: Analysis, language: str = "en") -> bytes:
    """Each arm's conversion rate with its Wilson interval (the report's figures), the control first and grey."""
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    shown = [(i, a) for i, a in enumerate(analysis.arms) if a.rate is not None]
    if not shown:
        return _empty(figure, translate(language, "chart.no_analysed_units"))
    for i, arm in shown:
        rate, low, high = (arm.rate or 0.0) * 100, (arm.rate_low or 0.0) * 100, (arm.rate_high or 0.0) * 100
        axes.errorbar(
            [i], [rate], yerr=[[rate - low], [high - rate]], fmt="o", capsize=6, color=ARM_COLOURS[i % 5], markersize=7
        )
        axes.annotate(f"{rate:.2f} %", (i, rate), xytext=(9, 0), textcoords="offset points", va="center", fontsize=8)
    axes.set_xticks(range(len(analysis.arms)), [a.name for a in analysis.arms])
    axes.set_xlim(-0.6, len(analysis.arms) - 0.4)
    axes.set_ylim(bottom=0)
    axes.set_ylabel(translate(language, "chart.rate_with_interval", level=f"{1 - analysis.alpha:.0%}"))
    return _svg(figure)


def experiment_daily(series: Daily, language: str = "en") -> bytes:
    """Each arm's cumulative rate at the end of each day, its interval shaded: how the figures moved, which is
    no reason to stop early (the page says so)."""
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    if not any(rate is not None for rates in series.rates for rate in rates):
        return _empty(figure, translate(language, "chart.no_analysed_units"))
    x = range(len(series.days))
    for i, name in enumerate(series.arms):
        colour = ARM_COLOURS[i % 5]
        rates = [float("nan") if r is None else r * 100 for r in series.rates[i]]
        lows = [float("nan") if r is None else r * 100 for r in series.lows[i]]
        highs = [float("nan") if r is None else r * 100 for r in series.highs[i]]
        axes.plot(x, rates, marker="o", markersize=3, color=colour, label=name)
        axes.fill_between(x, lows, highs, color=colour, alpha=0.12, linewidth=0)
    _day_labels(axes, series.days)
    axes.set_ylim(bottom=0)
    axes.set_ylabel(translate(language, "chart.cumulative_rate"))
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncol=len(series.arms))
    return _svg(figure)

"""The dashboard's charts, drawn on the server with matplotlib as SVG (nothing is loaded from elsewhere).

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
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from console.dashboard import Dashboard
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


def _day_labels(axes, days: list[date]) -> None:  # noqa: ANN001 - a matplotlib Axes
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
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncol=len(channels))
    return _svg(figure)


def rates_over_time(board: Dashboard, language: str = "en", intents: Labels | None = None) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    if not board.rates_by_bucket or not board.conversations:
        return _empty(figure, translate(language, "chart.no_conversations"))
    days = [b for b, *_ in board.rates_by_bucket]
    for index, (key, colour) in enumerate(
        (("chart.self_service", "#2f855a"), ("chart.fallback", "#c53030"), ("chart.handoff", "#b7791f")), start=1
    ):
        values = [row[index] * 100 if row[index] is not None else float("nan") for row in board.rates_by_bucket]
        axes.plot(range(len(days)), values, marker="o", markersize=3, label=translate(language, key), color=colour)
    _day_labels(axes, days)
    axes.set_ylim(0, 100)
    axes.set_ylabel(translate(language, "chart.per_day" if board.days <= 31 else "chart.per_week"))
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncol=3)
    return _svg(figure)


def wait_times(board: Dashboard, language: str = "en", intents: Labels | None = None) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    if not board.waits_minutes:
        return _empty(figure, translate(language, "chart.no_waits"))
    axes.hist(board.waits_minutes, bins=min(20, max(5, len(board.waits_minutes) // 3)), color="#2b6cb0")
    if board.median_wait is not None:
        axes.axvline(
            board.median_wait,
            color="#c53030",
            linestyle="--",
            label=translate(language, "chart.median", n=f"{board.median_wait:.1f}"),
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

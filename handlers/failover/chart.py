"""A PNG of the MultiMaster node counts: people read a picture of a dip faster than numbers, often on a phone."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, MinuteLocator
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from handlers.failover.signals import REQUESTED, RUNNING

Series = dict[str, list[tuple[datetime, float]]]

# A multi-primary EMR cluster runs three primaries; with two it still has quorum, below two it has lost it.
ALL_PRIMARIES = 3
QUORUM = 2
# Slack shows an image about 360 px wide on a phone: at 900 px these sizes read as 5 to 6 pt, no smaller.
WIDTH_INCHES, HEIGHT_INCHES, DPI = 6.0, 3.4, 150
FONT = 12


def render_chart(series: Series, title: str, opened_at: datetime | None = None) -> bytes | None:
    """Running and requested primaries over time, the quorum lines, and when the alert opened; None without data."""
    running, requested = series.get(RUNNING) or [], series.get(REQUESTED) or []
    if not running and not requested:
        return None
    # Figure and the Agg canvas directly, not pyplot: pyplot keeps global state and is not thread-safe.
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Requested first and wide and pale, Running on top, dark and stepped: where they differ, a primary is missing.
    if requested:
        times, values = zip(*requested, strict=True)
        axes.step(times, values, where="post", color="#9ecae1", linewidth=6, label="requested", zorder=2)
    if running:
        times, values = zip(*running, strict=True)
        axes.step(times, values, where="post", color="#08306b", linewidth=2.5, label="running", zorder=3)
        axes.plot(times, values, linestyle="none", marker="o", markersize=4, color="#08306b", zorder=3)
    axes.axhline(ALL_PRIMARIES, color="#2ca02c", linestyle=":", linewidth=1.5, zorder=1)
    axes.axhline(QUORUM, color="#d62728", linestyle="--", linewidth=1.5, zorder=1)
    right = axes.get_xlim()[1]
    axes.text(right, ALL_PRIMARIES, " all 3", color="#2ca02c", va="center", fontsize=FONT - 2)
    axes.text(right, QUORUM, " quorum", color="#d62728", va="center", fontsize=FONT - 2)
    if opened_at is not None:
        axes.axvline(opened_at, color="#ff7f0e", linewidth=2, zorder=1)
        axes.annotate(
            f"alert {opened_at.astimezone(UTC):%H:%M}",
            xy=(opened_at, 0.4),
            xytext=(4, 0),
            textcoords="offset points",
            color="#ff7f0e",
            fontsize=FONT - 2,
        )
    axes.set_ylim(0, ALL_PRIMARIES + 0.6)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=UTC))
    axes.xaxis.set_major_locator(MinuteLocator(byminute=[0, 30], tz=UTC))
    axes.set_ylabel("primaries", fontsize=FONT)
    axes.set_xlabel("UTC", fontsize=FONT - 2)
    axes.tick_params(labelsize=FONT - 1)
    axes.set_title(title[:60], fontsize=FONT)
    axes.legend(fontsize=FONT - 2, loc="lower left", frameon=False, ncols=2)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def alt_text(series: Series, cluster: str) -> str:
    """What the chart shows, for screen readers and for anyone whose client does not load it."""
    running = [value for _, value in series.get(RUNNING) or []]
    requested = [value for _, value in series.get(REQUESTED) or []]
    if not running:
        return f"No MultiMaster data for {cluster} in the last 3 hours."
    low, now = int(min(running)), int(running[-1])
    wanted = int(requested[-1]) if requested else ALL_PRIMARIES
    return (
        f"Primary nodes of {cluster} over the last 3 hours: {now} of {wanted} running now, "
        f"lowest {low}{' (quorum lost)' if low < QUORUM else ''}."
    )

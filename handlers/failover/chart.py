"""A PNG of the MultiMaster node counts: people read a picture of a dip faster than numbers, often on a phone."""

from __future__ import annotations

from datetime import UTC, datetime

from matplotlib.dates import DateFormatter, MinuteLocator
from matplotlib.ticker import MaxNLocator

from bot.charts import BAD, DPI, FONT, GOOD, INK, MARK, PALE, WIDTH_INCHES, Picture, figure, png
from bot.db import utc
from handlers.failover.cluster_info import ClusterReader
from handlers.failover.models import Alert
from handlers.failover.signals import REQUESTED, RUNNING

Series = dict[str, list[tuple[datetime, float]]]

# A multi-primary EMR cluster runs three primaries; with two it still has quorum, below two it has lost it.
ALL_PRIMARIES = 3
QUORUM = 2

__all__ = ["DPI", "WIDTH_INCHES", "alert_chart", "alt_text", "render_chart"]


def render_chart(series: Series, title: str, opened_at: datetime | None = None) -> bytes | None:
    """Running and requested primaries over time, the quorum lines, and when the alert opened; None without data."""
    running, requested = series.get(RUNNING) or [], series.get(REQUESTED) or []
    if not running and not requested:
        return None
    drawing, axes = figure()
    # Requested first and wide and pale, Running on top, dark and stepped: where they differ, a primary is missing.
    if requested:
        times, values = zip(*requested, strict=True)
        axes.step(times, values, where="post", color=PALE, linewidth=6, label="requested", zorder=2)
    if running:
        times, values = zip(*running, strict=True)
        axes.step(times, values, where="post", color=INK, linewidth=2.5, label="running", zorder=3)
        axes.plot(times, values, linestyle="none", marker="o", markersize=4, color=INK, zorder=3)
    axes.axhline(ALL_PRIMARIES, color=GOOD, linestyle=":", linewidth=1.5, zorder=1)
    axes.axhline(QUORUM, color=BAD, linestyle="--", linewidth=1.5, zorder=1)
    right = axes.get_xlim()[1]
    axes.text(right, ALL_PRIMARIES, " all 3", color=GOOD, va="center", fontsize=FONT - 2)
    axes.text(right, QUORUM, " quorum", color=BAD, va="center", fontsize=FONT - 2)
    if opened_at is not None:
        axes.axvline(opened_at, color=MARK, linewidth=2, zorder=1)
        axes.annotate(
            f"alert {opened_at.astimezone(UTC):%H:%M}",
            xy=(opened_at, 0.4),
            xytext=(4, 0),
            textcoords="offset points",
            color=MARK,
            fontsize=FONT - 2,
        )
    axes.set_ylim(0, ALL_PRIMARIES + 0.6)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=UTC))
    axes.xaxis.set_major_locator(MinuteLocator(byminute=[0, 30], tz=UTC))
    axes.set_ylabel("primaries", fontsize=FONT)
    axes.set_xlabel("UTC", fontsize=FONT - 2)
    axes.legend(fontsize=FONT - 2, loc="lower left", frameon=False, ncols=2)
    return png(drawing, axes, title)


def alt_text(series: Series, cluster: str, opened_at: datetime | None = None) -> str:
    """What the chart shows, for screen readers and for anyone whose client does not load it: the cluster, the
    metric, where the lines are, and when the alert opened."""
    running = [value for _, value in series.get(RUNNING) or []]
    requested = [value for _, value in series.get(REQUESTED) or []]
    if not running:
        return f"No MultiMaster data for {cluster} in the last 3 hours."
    low, now = int(min(running)), int(running[-1])
    wanted = int(requested[-1]) if requested else ALL_PRIMARIES
    text = (
        f"Primary nodes of {cluster} over the last 3 hours ({RUNNING} against {REQUESTED}): "
        f"{now} of {wanted} running now, lowest {low}{' (quorum lost)' if low < QUORUM else ''}. "
        f"Lines at {ALL_PRIMARIES} (all primaries) and {QUORUM} (quorum)"
    )
    if opened_at is not None:
        text += f"; the alert opened at {opened_at.astimezone(UTC):%H:%M} UTC"
    return text + "."


def alert_chart(reader: ClusterReader, alert: Alert) -> Picture | None:
    """The chart of an alert's cluster over the last 3 hours, as its card shows it; None without a cluster or data."""
    if not alert.cluster_id:
        return None
    series = reader.metrics(alert.cluster_id, datetime.now(UTC))
    name = alert.cluster_name or alert.cluster_id
    drawn = render_chart(series, f"{name}: primaries, last 3 hours", alert.opened_at)
    if drawn is None:
        return None
    return Picture(drawn, alt_text(series, f"{name} ({alert.cluster_id})", utc(alert.opened_at)))

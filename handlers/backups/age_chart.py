"""The catalog backup's age over the last week against the RPO: a sawtooth a person reads at a glance on a phone."""

from __future__ import annotations

from datetime import UTC

from matplotlib.dates import DateFormatter, DayLocator

from bot.charts import BAD, FONT, INK, Picture, figure, png
from bot.wording import age, count
from handlers.backups.age import AgeHistory

HOUR = 3600.0


def render(history: AgeHistory, domain: str) -> Picture | None:
    """The chart and its alt text; None with no complete run at all (there is no age to draw)."""
    if not history.points:
        return None
    drawing, axes = figure()
    times = [t for t, _ in history.points]
    hours = [age.total_seconds() / HOUR for _, age in history.points]
    rpo_hours = history.rpo.total_seconds() / HOUR
    axes.plot(times, hours, color=INK, linewidth=2, label="backup age", zorder=3)
    axes.fill_between(
        times, hours, rpo_hours, where=[h > rpo_hours for h in hours], interpolate=True, color=BAD, alpha=0.3,
        label="past the RPO", zorder=2,
    )  # fmt: skip
    axes.axhline(rpo_hours, color=BAD, linestyle="--", linewidth=1.5, zorder=1)
    axes.text(history.until, rpo_hours, f" RPO {age(history.rpo)}", color=BAD, va="center", fontsize=FONT - 2)
    axes.set_xlim(history.since, history.until)
    axes.set_ylim(0, max(max(hours), rpo_hours) * 1.15)
    axes.xaxis.set_major_locator(DayLocator(tz=UTC))
    axes.xaxis.set_major_formatter(DateFormatter("%a %d", tz=UTC))
    axes.set_ylabel("age (hours)", fontsize=FONT)
    axes.set_xlabel("UTC, days start at 00:00", fontsize=FONT - 2)
    axes.legend(fontsize=FONT - 2, loc="upper left", frameon=False, ncols=2)
    title = f"Catalog backup age, last 7 days: {_breaches(len(history.breaches))}"
    return Picture(png(drawing, axes, title), alt_text(history, domain))


def _breaches(n: int) -> str:
    return "no breaches" if n == 0 else count(n, "breach", "breaches")


def alt_text(history: AgeHistory, domain: str) -> str:
    """What the chart shows, e.g. "oldest 3 h 10 min, RPO 1 h, 2 breaches in 7 days"."""
    days = round((history.until - history.since).total_seconds() / 86400)
    head = f"Age of the catalog backup of {domain} over the {days} days to {history.until:%Y-%m-%d %H:%M} UTC"
    if not history.points:
        return f"{head}: no complete backup."
    now = history.points[-1][1]
    breaches = _breaches(len(history.breaches))
    text = f"{head}: oldest {age(history.oldest)}, now {age(now)}, RPO {age(history.rpo)}, {breaches} in {days} days"
    if history.breaches:
        worst = max(history.breaches, key=lambda b: b[1] - b[0])
        text += f" (the longest from {worst[0]:%a %H:%M} UTC for {age(worst[1] - worst[0])})"
    return text + "."

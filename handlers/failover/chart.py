"""A small PNG of the MultiMaster metrics: people read a picture of a dip faster than numbers."""

from __future__ import annotations

import io
from datetime import datetime

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.failover.signals import PERCENTAGE

Series = dict[str, list[tuple[datetime, float]]]


def render_chart(series: Series, title: str) -> bytes | None:
    """A PNG with node counts on the left axis and the percentage on the right; None when there is no data."""
    if not any(series.values()):
        return None
    # Figure and the Agg canvas directly, not pyplot: pyplot keeps global state and is not thread-safe.
    figure = Figure(figsize=(6, 2.4), dpi=100)
    FigureCanvasAgg(figure)
    counts = figure.add_subplot()
    percent = counts.twinx()
    for metric, points in series.items():
        if not points:
            continue
        times, values = zip(*points, strict=True)
        label = metric.removeprefix("MultiMasterInstanceGroup")
        if metric == PERCENTAGE:
            percent.plot(times, values, color="tab:red", linestyle="--", linewidth=1.2, label=label)
        else:
            counts.step(times, values, where="post", linewidth=1.6, label=label)
    counts.set_ylabel("nodes")
    counts.set_ylim(bottom=0)
    percent.set_ylabel("%")
    percent.set_ylim(0, 110)
    counts.set_title(title[:80], fontsize=9)
    counts.tick_params(labelsize=7)
    percent.tick_params(labelsize=7)
    handles = counts.get_legend_handles_labels()
    extra = percent.get_legend_handles_labels()
    counts.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=6, loc="lower left")
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()

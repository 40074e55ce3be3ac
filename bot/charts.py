"""The look every chart opsbot posts shares: sized and lettered for a phone, drawn without pyplot, saved as PNG.

Slack shows an image about 360 px wide on a phone; at 900 px (6 in at 150 dpi) labels of 10 to 12 pt still read
as 5 to 6 pt there, no smaller. Each chart module draws on the axes `figure()` gives and ends with `png()`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH_INCHES, HEIGHT_INCHES, DPI = 6.0, 3.4, 150
FONT = 12
# Colours with a meaning, the same in every chart: the line to stay on the right side of, and trouble.
GOOD, BAD, MARK = "#2ca02c", "#d62728", "#ff7f0e"
INK, PALE = "#08306b", "#9ecae1"


@dataclass(frozen=True)
class Picture:
    """A chart's PNG and the text that says what it shows (for screen readers and clients that load no image)."""

    png: bytes
    alt_text: str


def figure() -> tuple[Figure, Axes]:
    """A phone-sized figure and its one set of axes."""
    # Figure and the Agg canvas directly, not pyplot: pyplot keeps global state and is not thread-safe.
    drawing = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(drawing)
    return drawing, drawing.add_subplot()


def png(drawing: Figure, axes: Axes, title: str) -> bytes:
    """Title, tick sizes and bare top and right edges, as every chart has them; the PNG bytes."""
    axes.tick_params(labelsize=FONT - 1)
    axes.set_title(title[:60], fontsize=FONT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    drawing.tight_layout()
    out = io.BytesIO()
    drawing.savefig(out, format="png")
    return out.getvalue()

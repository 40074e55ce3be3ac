"""The MultiMaster chart: a picture sized for a phone, and alt text that says what it shows."""

import struct
from datetime import UTC, datetime, timedelta

from handlers.failover.chart import DPI, WIDTH_INCHES, alt_text, render_chart
from handlers.failover.signals import REQUESTED, RUNNING

END = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TIMES = [END - timedelta(minutes=5 * n) for n in range(36)][::-1]


def _series(running):
    return {RUNNING: list(zip(TIMES, running, strict=True)), REQUESTED: [(t, 3.0) for t in TIMES]}


def _png_size(png):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_chart_is_a_png_wide_enough_to_read_on_a_phone():
    series = _series([3.0] * 20 + [2.0] * 6 + [1.0] * 2 + [2.0] * 3 + [3.0] * 5)
    width, height = _png_size(render_chart(series, "sales-analytics-ha: primaries", opened_at=TIMES[20]))
    # Slack scales it to the screen: 900 px keeps 10 pt labels legible at a phone's ~360 px.
    assert width == WIDTH_INCHES * DPI == 900 and height < width


def test_no_data_no_chart():
    assert render_chart({RUNNING: [], REQUESTED: []}, "empty") is None


def test_alt_text_says_how_many_run_whether_quorum_was_lost_the_lines_and_when_the_alert_opened():
    lost = _series([3.0] * 30 + [1.0] * 3 + [2.0] * 3)
    text = alt_text(lost, "sales (j-1)", opened_at=TIMES[30])
    assert text.startswith("Primary nodes of sales (j-1) over the last 3 hours (MultiMasterInstanceGroupNodesRunning")
    assert "2 of 3 running now, lowest 1 (quorum lost)." in text
    assert "Lines at 3 (all primaries) and 2 (quorum); the alert opened at 11:35 UTC." in text
    healthy = alt_text(_series([3.0] * 36), "sales")
    assert "3 of 3 running now, lowest 3." in healthy and "quorum lost" not in healthy
    assert alt_text({}, "sales") == "No MultiMaster data for sales in the last 3 hours."

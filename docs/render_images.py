"""Draws the pictures in docs/images from the sandbox, through the real app: `PYTHONPATH=. .venv/bin/python
docs/render_images.py` (about a minute; nothing leaves the machine).

- failover-chart.png: the chart the bot uploads into a failover card's thread and shows in the card, after
  `simulate primary-failure` (the sandbox's CloudWatch holds three hours of MultiMaster datapoints);
- backup-age.png: the chart `/backup history` sends to the asker's DM. The sandbox starts empty, so the week of
  run records before it is written here as the schedule would have left them (a run every three hours, one
  missed night); then a real `/backup run` completes and the history is asked for;
- protein-hits.png: the table block `/protein FAM004_m07 k=8` answers with, drawn as Slack lays it out (header
  row, right-aligned numbers), from the sandbox's protein database.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from matplotlib.table import Table
from rich.console import Console as Terminal

from bot.charts import DPI, FONT, WIDTH_INCHES, figure
from handlers.backups.store import BackupRun
from sandbox.console import Console
from sandbox.runtime import start_sandbox
from sandbox.world import CLUSTER_NAME, DOMAIN_ID

IMAGES = Path(__file__).resolve().parent / "images"


def _blocks(call: Any) -> list[dict[str, Any]]:
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def failover_chart(console: Console) -> bytes:
    """The chart of a primary failure, as the card shows it."""
    slack = console.sandbox.slack
    console.run(f"simulate primary-failure {CLUSTER_NAME}")
    shown = slack.wait_for(
        "chat.update", lambda c: not c.error and any(b["type"] == "image" for b in _blocks(c)), timeout=60
    )
    (image,) = [b for b in _blocks(shown) if b["type"] == "image"]
    content = slack.files[image["slack_file"]["id"]].content
    assert content is not None
    return content


def _seed_week(console: Console, now: datetime) -> None:
    with console.deps.db.session() as session:
        for n in range(1, 57):
            if n in (12, 13, 14):
                continue  # a night without backups: the breach the chart shades
            started = now - timedelta(hours=3 * n)
            session.add(
                BackupRun(
                    run_id=f"docs-{n:03d}", domain_id=DOMAIN_ID, mode="full" if n % 8 == 0 else "incremental",
                    trigger="schedule", status="succeeded", started_at=started,
                    ended_at=started + timedelta(minutes=4), counts="{}", errors="[]", write_calls=0, items_written=0,
                )
            )  # fmt: skip


def backup_age_chart(console: Console) -> bytes:
    """The week's backup age against the RPO, as `/backup history` sends it."""
    slack = console.sandbox.slack
    _seed_week(console, datetime.now(UTC))
    console.run("as ada")
    console.run("/backup run")
    console.run("expect succeeded")
    console.run("as maria")
    console.run("/backup history")
    done = slack.wait_for(
        "files.completeUploadExternal",
        lambda c: not c.error and c.body.get("channel_id", "").startswith("D"),
        timeout=60,
    )
    (file_id,) = [f["id"] for f in done.answer["files"]]
    content = slack.files[file_id].content
    assert content is not None
    return content


def protein_table(console: Console) -> bytes:
    """The hits table block, drawn cell by cell."""
    slack = console.sandbox.slack
    console.run("/protein FAM004_m07 k=8")
    answer = slack.wait_for("response_url", lambda c: any(b["type"] == "table" for b in _blocks(c)), timeout=60)
    (table,) = [b for b in _blocks(answer) if b["type"] == "table"]
    head = next(b for b in _blocks(answer) if b["type"] == "section")["text"]["text"]
    return draw_table(table, head.replace("*", "").replace("`", ""))


def draw_table(block: dict[str, Any], title: str) -> bytes:
    """A table block as Slack shows it: bold header row, each column's alignment, light rules between rows."""
    rows = [[cell.get("text", "") for cell in row] for row in block["rows"]]
    aligns = [(setting or {}).get("align", "left") for setting in block.get("column_settings") or []]
    aligns += ["left"] * (len(rows[0]) - len(aligns))
    widths = [max(len(row[c]) for row in rows) + 2 for c in range(len(rows[0]))]
    drawing, axes = figure()
    drawing.set_size_inches(WIDTH_INCHES, 0.6 + 0.3 * len(rows))
    axes.set_axis_off()
    table = Table(axes, loc="center")
    height = 1.0 / len(rows)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.add_cell(r, c, widths[c] / sum(widths), height, text=text, loc=aligns[c])
            cell.visible_edges = "horizontal"
            cell.set_edgecolor("#dddddd")
            if r == 0:
                cell.get_text().set_fontweight("bold")
    table.auto_set_font_size(False)
    table.set_fontsize(FONT - 2)
    axes.add_table(table)
    axes.set_title(title[:70], fontsize=FONT - 1, loc="left")
    out = io.BytesIO()
    drawing.savefig(out, format="png", dpi=DPI, bbox_inches="tight")
    return out.getvalue()


def main() -> int:
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="opsbot-docs-") as workdir:
        box = start_sandbox(Path(workdir))
        console = Console(box, Path(workdir), terminal=Terminal(file=io.StringIO()))
        try:
            pictures = {
                "failover-chart.png": failover_chart(console),
                "backup-age.png": backup_age_chart(console),
                "protein-hits.png": protein_table(console),
            }
        finally:
            console.close()
            box.stop()
    for name, content in pictures.items():
        (IMAGES / name).write_bytes(content)
        print(f"docs/images/{name}: {len(content):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

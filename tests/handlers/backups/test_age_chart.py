"""The backup's age against the RPO over the week: the sawtooth from run records, and its chart in the asker's DM."""

import json
import struct
from datetime import UTC, datetime, timedelta

from handlers.backups.age import age_history
from handlers.backups.age_chart import alt_text, render
from handlers.backups.engine import FULL
from handlers.backups.listeners import AGE_CHART_SENT
from handlers.backups.store import BackupRun
from sandbox.runtime import ANALYST
from sandbox.world import DOMAIN_ID
from tests.handlers.backups.helpers import command, reply

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
RPO = timedelta(hours=1)


def _run(n, started, took=timedelta(minutes=5), status="succeeded", mode="full"):
    return BackupRun(
        run_id=f"run-{n}", domain_id=DOMAIN_ID, mode=mode, trigger="schedule", status=status,
        started_at=started, ended_at=started + took, counts="{}", errors="[]", write_calls=0, items_written=0,
    )  # fmt: skip


def _png_size(png):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_age_is_a_sawtooth_from_the_start_of_the_last_complete_run():
    runs = [_run(0, NOW - timedelta(days=8)), _run(1, NOW - timedelta(hours=3)), _run(2, NOW - timedelta(hours=1))]
    history = age_history(runs, RPO, NOW)
    since = NOW - timedelta(days=7)
    ended_1, ended_2 = NOW - timedelta(hours=3) + timedelta(minutes=5), NOW - timedelta(minutes=55)
    assert history.points == [
        (since, timedelta(days=1)),
        (ended_1, ended_1 - runs[0].started_at),
        (ended_1, timedelta(minutes=5)),
        (ended_2, timedelta(hours=2, minutes=5)),
        (ended_2, timedelta(minutes=5)),
        (NOW, timedelta(hours=1)),
    ]
    # One breach: from the window's start until run 1 completed; from run 1 to run 2 the age passed 1 h too.
    assert history.breaches == [(since, ended_1), (ended_1 + timedelta(minutes=55), ended_2)]
    assert history.oldest == ended_1 - runs[0].started_at


def test_alt_text_says_the_oldest_age_the_rpo_and_how_many_breaches():
    runs = [_run(n, NOW - timedelta(days=7) + timedelta(minutes=50 * n)) for n in range(202)]
    runs = [r for r in runs if not (40 <= int(r.run_id[4:]) < 44)]  # no run completes for 4 h 15 min
    history = age_history(runs, RPO, NOW)
    text = alt_text(history, "dzd_sales")
    assert text.startswith("Age of the catalog backup of dzd_sales over the 7 days to 2026-11-30 12:00 UTC: ")
    assert "oldest 4 h 15 min" in text and "RPO 1 h" in text and "1 breach in 7 days" in text
    assert "UTC for 3 h 15 min" in text
    assert "no breaches in 7 days" in alt_text(age_history(runs[60:], timedelta(hours=2), NOW), "d")


def test_the_chart_is_a_phone_sized_png_and_no_run_no_chart():
    runs = [_run(n, NOW - timedelta(hours=6 * n)) for n in range(30)]
    picture = render(age_history(runs, timedelta(hours=4), NOW), DOMAIN_ID)
    width, height = _png_size(picture.png)
    assert width == 900 and height < width
    assert "breaches" in picture.alt_text
    assert render(age_history([], RPO, NOW), DOMAIN_ID) is None


def test_backup_history_sends_the_age_chart_of_real_runs_to_the_asker_only(bot):
    slack, store = bot["box"].slack, bot["service"].store
    now = datetime.now(UTC)
    # A week of runs every three hours, then a real one now: the sandbox's RPO is 4 hours, so the gap of 9 hours
    # two days ago is the one breach.
    with bot["deps"].db.session() as session:
        for n in range(1, 56):
            if n not in (16, 17):
                session.add(_run(n, now - timedelta(hours=3 * n)))
    bot["service"].run(FULL, "cli")
    assert len(store.completed(DOMAIN_ID, now - timedelta(days=7))) == 54  # 53 seeded, one real
    command(bot, "history", ANALYST)
    answer = reply(bot, lambda b: "Backup runs, newest first" in b)
    assert AGE_CHART_SENT in json.dumps(answer.body)
    assert answer.body.get("response_type") == "ephemeral"
    (done,) = slack.calls_to("files.completeUploadExternal")
    dm = slack.calls_to("conversations.open")[-1].answer["channel"]["id"]
    assert done.body["channel_id"] == dm and slack.workspace.channels[dm].name == ANALYST
    assert not [c for c in slack.calls if c.body.get("channel") == "C0GENERAL" and c.method != "response_url"]
    (chart,) = slack.files.values()
    width, _ = _png_size(chart.content)
    assert width == 900 and chart.filename == "backup-age.png"
    assert "RPO 4 h" in chart.alt_txt and "1 breach in 7 days" in chart.alt_txt
    assert chart.channel == dm and chart.initial_comment == chart.alt_txt

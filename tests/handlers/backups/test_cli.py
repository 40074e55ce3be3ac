"""`opsbot backup ...` over the sandbox: the same service as /backup, printed for a terminal."""

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from bot.cli import Composition, main
from handlers.backups.service import INCREMENTAL_JOB
from opsbot.capabilities import CAPABILITIES
from sandbox.world import RECOVERY_DOMAIN_ID
from scheduler import job_store, register_jobs


def _opsbot(*args, input=None):
    result = CliRunner().invoke(
        main, ["backup", *args], input=input, catch_exceptions=False, obj=Composition(CAPABILITIES)
    )
    return result.exit_code, result.output


def test_run_status_verify_and_restore_from_the_command_line(bot, monkeypatch, tmp_path):
    monkeypatch.setenv("OPSBOT_DATABASE_URL", bot["settings"].database_url)
    code, out = _opsbot("status")
    assert code == 0 and out.startswith("[RED] No complete backup yet")
    code, out = _opsbot("run")
    assert code == 0 and "assets: 3 read, 3 written" in out and "(full) succeeded" in out
    code, out = _opsbot("status")
    assert code == 0 and out.startswith("[GREEN] Last complete backup") and "eu-central-1: ACTIVE" in out
    code, out = _opsbot("run", "--incremental")
    assert code == 0 and "(incremental) succeeded" in out
    code, out = _opsbot("history", "5")
    assert code == 0 and out.count("by cli") == 2
    code, out = _opsbot("verify")
    assert code == 0 and "The backup matches the catalog" in out
    code, out = _opsbot("restore", "plan", RECOVERY_DOMAIN_ID)
    assert code == 0 and "assets: 3 to create" in out
    plan_id = out.split()[1].rstrip(":")
    code, out = _opsbot("restore", "apply", plan_id, input="n\n")
    assert code == 1 and "Aborted" in out
    code, out = _opsbot("restore", "apply", plan_id, input="y\n")
    assert code == 0 and "10 created, 0 updated" in out
    assert json.loads(out.strip().splitlines()[-1])["created"] == 10
    code, out = _opsbot("restore", "apply", "plan-bad")
    assert code == 1 and "is not a plan id" in out
    # Audited with the results and details /audit reads: a status and counts, not free text.
    runs = bot["deps"].audit.recent(action="backups.run")
    assert [(e.result, e.detail) for e in runs] == [("ok", {"status": "succeeded"})] * 2
    (applied,) = bot["deps"].audit.recent(action="backups.restore_apply")
    assert applied.result == "ok" and (applied.detail["created"], applied.detail["failed"]) == (10, 0)


def test_status_reads_the_stored_jobs_without_moving_them(bot, monkeypatch):
    monkeypatch.setenv("OPSBOT_DATABASE_URL", bot["settings"].database_url)
    register_jobs(bot["scheduler"], bot["deps"], CAPABILITIES)
    # An incremental run fell due while no leader ran: it must still run once when a leader is back.
    overdue = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    bot["scheduler"].modify_job(INCREMENTAL_JOB, next_run_time=overdue)
    store = job_store(bot["deps"].db)
    before = {job.id: job.next_run_time for job in store.get_all_jobs()}
    code, out = _opsbot("status")
    assert code == 0 and f"next run: {overdue:%Y-%m-%d %H:%M} UTC" in out
    assert {job.id: job.next_run_time for job in store.get_all_jobs()} == before
    assert before[INCREMENTAL_JOB] == overdue

"""`opsbot backup ...` over the sandbox: the same service as /backup, printed for a terminal."""

import json

from click.testing import CliRunner

from bot.cli import main
from sandbox.world import RECOVERY_DOMAIN_ID


def _opsbot(*args, input=None):
    result = CliRunner().invoke(main, ["backup", *args], input=input, catch_exceptions=False)
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

"""The opsbot command as an operator runs it: doctor's report, start-up errors, a graceful SIGTERM."""

import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.harness import eventually, free_port, opsbot_env, running_opsbot


def _opsbot(*args, env, cwd):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_doctor_passes_on_a_healthy_setup(fake_slack, tmp_path, moto_url):
    env = opsbot_env(fake_slack, tmp_path, AWS_ENDPOINT_URL=moto_url)
    assert _opsbot("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    result = _opsbot("doctor", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  Slack bot token: bot opsbot in team opsbot sandbox" in result.stdout
    assert "PASS  Slack app token" in result.stdout
    assert "PASS  AWS identity: arn:aws:sts::123456789012:user/moto" in result.stdout
    assert "PASS  database: schema at 0009" in result.stdout
    assert "PASS  EMR: reachable" in result.stdout and "PASS  CloudWatch: reachable" in result.stdout
    # Nothing names a queue, table or domain: those checks and their permission probes are skipped.
    assert "SKIP  backup table: skipped: OPSBOT_BACKUP_TABLE unset" in result.stdout
    assert "SKIP  permission sqs:ReceiveMessage: skipped: OPSBOT_EVENTS_QUEUE_URL unset" in result.stdout
    assert re.search(r"^\d+/\d+ checks passed \((\d+ with warnings; )?\d+ skipped\)\.$", result.stdout, re.M)


def test_doctor_fails_clearly(fake_slack, tmp_path, moto_url):
    env = opsbot_env(fake_slack, tmp_path, SLACK_BOT_TOKEN="xoxb-wrong", AWS_ENDPOINT_URL="http://127.0.0.1:9")
    env.pop("SLACK_APP_TOKEN")
    result = _opsbot("doctor", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "FAIL  Slack bot token: auth.test: invalid_auth" in result.stdout
    assert "FAIL  settings for socket mode: needs SLACK_APP_TOKEN" in result.stdout
    assert "PASS  settings for http mode: ready" in result.stdout
    assert f"FAIL  database: no database at {tmp_path / 'opsbot.db'}: run `opsbot db upgrade`" in result.stdout
    assert not (tmp_path / "opsbot.db").exists()
    assert "FAIL  AWS identity" in result.stdout


def test_doctor_reports_malformed_settings(fake_slack, tmp_path):
    result = _opsbot("doctor", env=opsbot_env(fake_slack, tmp_path, OPSBOT_PORT="x"), cwd=tmp_path)
    assert result.returncode == 1
    assert "FAIL  settings: invalid settings: OPSBOT_PORT" in result.stdout


@pytest.mark.parametrize(
    ("mode", "variable"), [("http", "SLACK_SIGNING_SECRET"), ("socket", "SLACK_APP_TOKEN"), ("http", "SLACK_BOT_TOKEN")]
)
def test_run_refuses_to_start_without_a_setting(fake_slack, tmp_path, mode, variable):
    env = opsbot_env(fake_slack, tmp_path)
    env.pop(variable)
    result = _opsbot("run", "--mode", mode, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"{mode} mode needs" in result.stderr and f"{variable} (not set)" in result.stderr


def test_http_mode_serves_and_stops_gracefully_on_sigterm(fake_slack, tmp_path, requests_):
    port = free_port()
    with running_opsbot("http", port, opsbot_env(fake_slack, tmp_path), tmp_path) as (process, stopped):

        def healthy():
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.TransportError:
                return process.poll() is not None  # stop waiting if it died

        eventually(healthy, timeout=60)
        body, headers = requests_.slash_command("/backup", "help", user_id="U0ANY")
        reply = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers)
        assert "/backup run" in reply.json()["text"]
    assert stopped.returncode == 0, stopped.stderr
    assert '"event": "opsbot_stopped"' in stopped.stderr
    assert "xoxb-" not in stopped.stderr  # no token in the logs


def test_socket_mode_with_a_refused_app_token_fails_with_a_clear_message(fake_slack, tmp_path):
    env = opsbot_env(fake_slack, tmp_path, SLACK_APP_TOKEN="xapp-wrong")
    started = time.monotonic()
    result = _opsbot("run", "--mode", "socket", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "Error: Slack refused apps.connections.open: invalid_auth" in result.stderr
    assert "Traceback" not in result.stderr
    assert '"event": "opsbot_stopped"' in result.stderr  # what had started was stopped
    assert time.monotonic() - started < 60

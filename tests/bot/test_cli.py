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
        [sys.executable, "-m", "opsbot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_doctor_passes_on_a_healthy_setup(fake_slack, tmp_path, moto_url):
    env = opsbot_env(fake_slack, tmp_path, AWS_ENDPOINT_URL=moto_url)
    assert _opsbot("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    result = _opsbot("doctor", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  Slack bot token: bot opsbot in team opsbot sandbox" in result.stdout
    assert "PASS  Slack app token" in result.stdout
    assert "PASS  AWS identity: arn:aws:sts::123456789012:user/moto" in result.stdout
    assert "PASS  database: schema at 0012" in result.stdout
    assert "PASS  EMR: reachable" in result.stdout and "PASS  CloudWatch: reachable" in result.stdout
    # Nothing names a queue, table or domain: those checks and their permission probes are skipped.
    assert "SKIP  backup table: skipped: OPSBOT_BACKUP_TABLE unset" in result.stdout
    assert "SKIP  permission sqs:ReceiveMessage: skipped: OPSBOT_EVENTS_QUEUE_URL unset" in result.stdout
    assert re.search(r"^\d+/\d+ checks passed \((\d+ with warnings; )?\d+ skipped\)\.$", result.stdout, re.M)


@pytest.mark.slack_refusals("invalid_auth")
def test_doctor_fails_clearly(fake_slack, tmp_path, moto_url):
    env = opsbot_env(fake_slack, tmp_path, SLACK_BOT_TOKEN="xoxb-wrong", AWS_ENDPOINT_URL="http://127.0.0.1:9")
    env.pop("SLACK_APP_TOKEN")
    result = _opsbot("doctor", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "FAIL  Slack bot token: auth.test: invalid_auth" in result.stdout
    assert "FAIL  settings for socket mode: needs SLACK_APP_TOKEN" in result.stdout
    assert "settings for http mode" not in result.stdout  # not the mode that will run
    assert f"FAIL  database: no database at {tmp_path / 'opsbot.db'}: run `opsbot db upgrade`" in result.stdout
    assert not (tmp_path / "opsbot.db").exists()
    assert "FAIL  AWS identity" in result.stdout


def test_doctor_checks_only_the_mode_that_will_run(fake_slack, tmp_path, moto_url):
    env = opsbot_env(fake_slack, tmp_path, AWS_ENDPOINT_URL=moto_url)
    env.pop("SLACK_SIGNING_SECRET")  # a Socket Mode install has no signing secret
    assert _opsbot("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    socket = _opsbot("doctor", env=env, cwd=tmp_path)
    assert socket.returncode == 0, socket.stdout
    assert "PASS  settings for socket mode: ready" in socket.stdout
    http = _opsbot("doctor", "--mode", "http", env=env, cwd=tmp_path)
    assert http.returncode == 1
    assert "FAIL  settings for http mode: needs SLACK_SIGNING_SECRET" in http.stdout
    assert "Slack app token" not in http.stdout  # HTTP mode never opens a Socket Mode connection


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


@pytest.mark.slack_refusals("invalid_auth")
def test_socket_mode_with_a_refused_app_token_fails_with_a_clear_message(fake_slack, tmp_path):
    env = opsbot_env(fake_slack, tmp_path, SLACK_APP_TOKEN="xapp-wrong")
    started = time.monotonic()
    result = _opsbot("run", "--mode", "socket", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "Error: Slack refused apps.connections.open: invalid_auth" in result.stderr
    assert "Traceback" not in result.stderr
    assert '"event": "opsbot_stopped"' in result.stderr  # what had started was stopped
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("command", [("db", "upgrade"), ("run", "--mode", "http")])
@pytest.mark.parametrize(
    "url", ["sqlite:///{tmp}/missing-folder/opsbot.db", "postgresql://opsbot@127.0.0.1:{port}/opsbot"]
)
def test_a_database_that_does_not_answer_is_one_line_naming_the_setting(fake_slack, tmp_path, command, url):
    url = url.format(tmp=tmp_path, port=free_port())  # a port nothing listens on
    env = opsbot_env(fake_slack, tmp_path, OPSBOT_DATABASE_URL=url)
    result = _opsbot(*command, env={**env, "OPSBOT_PORT": str(free_port())}, cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: OPSBOT_DATABASE_URL ({url}): the database cannot be used")
    assert "Traceback" not in result.stderr


def test_a_misspelt_setting_is_warned_with_the_closest_name(fake_slack, tmp_path):
    (tmp_path / ".env").write_text("OPSBOT_ADMIN_CHANEL=C0ADMIN\n")
    env = opsbot_env(fake_slack, tmp_path, OPSBOT_DATABSE_URL="sqlite:///elsewhere.db")
    result = _opsbot("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "warning: OPSBOT_DATABSE_URL is not an opsbot setting and is ignored; did you mean OPSBOT_DATABASE_URL?"
        in result.stderr
    )
    assert (
        "warning: OPSBOT_ADMIN_CHANEL is not an opsbot setting and is ignored; did you mean OPSBOT_ADMIN_CHANNEL?"
        in (result.stderr)
    )
    doctor = _opsbot("doctor", env=env, cwd=tmp_path)
    assert "WARN  setting: OPSBOT_DATABSE_URL is not an opsbot setting" in doctor.stdout


def test_version(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "opsbot", "--version"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0 and re.fullmatch(r"opsbot, version \d+\.\d+\.\d+\S*\n", result.stdout)

"""HTTP mode over real HTTP: signed requests are handled, anything else is refused with 401."""

import dataclasses
import time

import httpx
import pytest

from bot.app import build_app
from bot.audit import AuditLog
from bot.db import Database
from bot.http import build_http_app
from opsbot.capabilities import CAPABILITIES
from tests.conftest import ADMIN, MALLORY
from tests.harness import serve


@pytest.fixture
def server(settings, sqlite_deps):
    with serve(build_http_app(sqlite_deps, build_app(settings, sqlite_deps, CAPABILITIES))) as url:
        yield url


def _slack_calls(fake_slack):
    return [c for c in fake_slack.calls if c.method != "auth.test"]


def test_signed_command_is_answered(server, requests_):
    body, headers = requests_.slash_command("/backup", "help", user_id=MALLORY)
    response = httpx.post(f"{server}/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    assert "/backup history [n]" in response.json()["text"]


def test_command_mentioning_payload_is_answered_over_http(server, requests_):
    body, headers = requests_.slash_command("/backup", "help payload", user_id=MALLORY)
    response = httpx.post(f"{server}/slack/events", content=body, headers=headers)
    assert response.status_code == 200 and "/backup history" in response.json()["text"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h: {**h, "x-slack-signature": "v0=" + "0" * 64}, id="bad-signature"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "x-slack-signature"}, id="no-signature"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "x-slack-request-timestamp"}, id="no-timestamp"),
    ],
)
def test_unsigned_requests_are_refused(server, requests_, fake_slack, sqlite_deps, tamper):
    fake_slack.reset()
    body, headers = requests_.slash_command("/backup", "run", user_id=ADMIN)
    response = httpx.post(f"{server}/slack/events", content=body, headers=tamper(headers))
    assert response.status_code == 401
    time.sleep(0.2)  # a wrongly accepted request would have reached a worker by now
    assert _slack_calls(fake_slack) == []
    assert AuditLog(sqlite_deps.db).recent() == []


def test_stale_timestamp_is_refused(server, requests_, fake_slack, sqlite_deps):
    fake_slack.reset()
    body, _ = requests_.slash_command("/backup", "run", user_id=ADMIN)
    stale = requests_.sign(body, timestamp=int(time.time()) - 6 * 60)
    response = httpx.post(
        f"{server}/slack/events", content=body, headers={"content-type": "application/x-www-form-urlencoded", **stale}
    )
    assert response.status_code == 401
    assert _slack_calls(fake_slack) == []
    assert AuditLog(sqlite_deps.db).recent() == []


def test_signature_for_other_body_is_refused(server, requests_):
    body, headers = requests_.slash_command("/backup", "help", user_id=MALLORY)
    response = httpx.post(f"{server}/slack/events", content=body.replace("help", "run"), headers=headers)
    assert response.status_code == 401


def test_healthz_and_metrics(server, requests_):
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    body, headers = requests_.slash_command("/cluster", "help", user_id=MALLORY)
    httpx.post(f"{server}/slack/events", content=body, headers=headers)
    metrics = httpx.get(f"{server}/metrics").text
    assert 'opsbot_slack_requests_total{kind="command",outcome="accepted"} 1.0' in metrics
    assert "opsbot_slack_ack_seconds_count 1.0" in metrics


def test_healthz_reports_a_dead_database(sqlite_deps):
    broken = dataclasses.replace(sqlite_deps, db=Database.from_url("sqlite:////nonexistent/dir/opsbot.db"))
    with serve(build_http_app(broken, None)) as url:
        response = httpx.get(f"{url}/healthz")
        no_slack_route = httpx.post(f"{url}/slack/events")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert no_slack_route.status_code == 404  # Socket Mode serves health and metrics only

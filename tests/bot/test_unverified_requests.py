"""Unsigned, forged, stale and malformed-timestamp requests get 401, change nothing and make no outbound call.

Over real HTTP (uvicorn) and straight through Bolt's dispatch: every request names a response_url on the
fake Slack, a channel and a user, so a reply to any of them would be recorded.
"""

import time

import httpx
import pytest

from bot.app import build_app
from bot.audit import AuditLog
from bot.http import build_http_app
from opsbot.capabilities import CAPABILITIES
from tests.bot.hostile import FORM, drain, signed_bytes, signed_with, unverified_requests
from tests.harness import BoltDriver, serve

CASES = list(unverified_requests("http://placeholder/response/r"))


@pytest.fixture
def http(settings, sqlite_deps, fake_slack):
    with serve(build_http_app(sqlite_deps, build_app(settings, sqlite_deps, CAPABILITIES))) as url:
        fake_slack.reset()  # building the app called auth.test and loaded the user groups
        yield url


@pytest.fixture
def bolt(settings, sqlite_deps, requests_, fake_slack):
    driver = BoltDriver(build_app(settings, sqlite_deps, CAPABILITIES), requests_)
    fake_slack.reset()
    return driver


def _assert_nothing_happened(fake_slack, deps):
    drain(deps)
    assert fake_slack.calls == []
    assert AuditLog(deps.db).recent() == []


@pytest.mark.parametrize("case", CASES)
def test_unverified_request_over_http_is_refused_silently(http, fake_slack, sqlite_deps, case):
    body, headers = unverified_requests(fake_slack.response_url())[case]
    response = httpx.post(f"{http}/slack/events", content=body, headers=headers)
    assert response.status_code == 401, response.text
    _assert_nothing_happened(fake_slack, sqlite_deps)


@pytest.mark.parametrize("case", CASES)
def test_unverified_request_through_bolt_is_refused_silently(bolt, fake_slack, sqlite_deps, case):
    body, headers = unverified_requests(fake_slack.response_url())[case]
    response = bolt.dispatch(body, headers)
    assert response.status == 401, response.body
    _assert_nothing_happened(fake_slack, sqlite_deps)


def test_unverified_click_naming_a_channel_and_user_gets_no_ephemeral(bolt, requests_, fake_slack, sqlite_deps):
    # A click without response_url: the error handler used to post an ephemeral as the bot instead.
    body, _ = requests_.block_action("backup.apply", user_id="U0ADMIN", response_url="")
    response = bolt.dispatch(body, signed_with(body, "not-a-number"))
    assert response.status == 401
    _assert_nothing_happened(fake_slack, sqlite_deps)


def test_repeated_headers_are_refused(http, requests_, fake_slack, sqlite_deps):
    body, headers = requests_.slash_command("/backup", "run", user_id="U0ADMIN")
    twice = [*headers.items(), ("x-slack-request-timestamp", str(int(time.time()) - 1000))]
    assert httpx.post(f"{http}/slack/events", content=body, headers=twice).status_code == 401
    _assert_nothing_happened(fake_slack, sqlite_deps)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{" * 200_000, id="deeply-nested-json"),
        pytest.param(b"payload=" + b"%5B" * 50_000, id="deeply-nested-payload"),
        pytest.param(b"\xff\xfe\x00command=/backup", id="not-utf-8"),
        pytest.param(b"", id="empty"),
    ],
)
def test_hostile_unsigned_bodies_get_401_before_any_parsing(http, fake_slack, sqlite_deps, body):
    for content_type in (FORM, "application/json"):
        response = httpx.post(f"{http}/slack/events", content=body, headers={"content-type": content_type})
        assert response.status_code == 401
    _assert_nothing_happened(fake_slack, sqlite_deps)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"type": "event_callback", "event": ' * 5_000, id="deeply-nested-json"),
        pytest.param(b"\xff\xfe\x00command=/backup", id="not-utf-8"),
    ],
)
def test_signed_but_unreadable_bodies_get_400_not_500(http, fake_slack, sqlite_deps, body):
    response = httpx.post(f"{http}/slack/events", content=body, headers=signed_bytes(body, "application/json"))
    assert response.status_code == 400
    _assert_nothing_happened(fake_slack, sqlite_deps)


def test_oversized_body_gets_413_without_being_read(http, fake_slack, sqlite_deps):
    # 413 rather than 401: the signature cannot be checked without reading the whole body, which is the
    # point of refusing it; the status tells an operator which limit a request hit.
    body = b"command=/backup&text=" + b"a" * (3 * 1024 * 1024)
    response = httpx.post(f"{http}/slack/events", content=body, headers={"content-type": FORM})
    assert response.status_code == 413
    _assert_nothing_happened(fake_slack, sqlite_deps)


def test_oversized_body_without_content_length_is_cut_off(http, fake_slack, sqlite_deps):
    def chunks():
        for _ in range(64):
            yield b"a" * 65536

    response = httpx.post(f"{http}/slack/events", content=chunks(), headers={"content-type": FORM})
    assert response.status_code == 413
    _assert_nothing_happened(fake_slack, sqlite_deps)


def test_signed_request_still_works(http, requests_, fake_slack):
    body, headers = requests_.slash_command("/backup", "help", user_id="U0MALLORY")
    response = httpx.post(f"{http}/slack/events", content=body, headers=headers)
    assert response.status_code == 200 and "/backup history" in response.json()["text"]

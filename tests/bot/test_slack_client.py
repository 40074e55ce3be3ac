"""The Web API clients: the bot's retries 429s, server errors and nothing else; the outbox's retries nothing."""

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack_client import build_delivery_client, build_slack_client


def test_rate_limited_call_is_retried_after_retry_after(settings, fake_slack):
    fake_slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    response = build_slack_client(settings).chat_postMessage(channel="C0SALES", text="hello")
    assert response["ok"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


def test_server_error_is_retried(settings, fake_slack):
    client = build_slack_client(settings)
    posted = client.chat_postMessage(channel="C0SALES", text="first")
    fake_slack.fail_next("chat.update", 503, times=2)
    client.chat_update(channel="C0SALES", ts=posted["ts"], text="updated")
    assert len(fake_slack.calls_to("chat.update")) == 3


def test_gives_up_after_bounded_retries(settings, fake_slack):
    fake_slack.fail_next("chat.update", 500, times=10)
    with pytest.raises(SlackApiError):
        build_slack_client(settings).chat_update(channel="C0SALES", ts="1.000001", text="updated")
    assert len(fake_slack.calls_to("chat.update")) == 3


@pytest.mark.slack_refusals("channel_not_found")
def test_api_errors_are_not_retried(settings, fake_slack):
    with pytest.raises(SlackApiError) as raised:
        build_slack_client(settings).chat_postMessage(channel="", text="nowhere")
    assert raised.value.response["error"] == "channel_not_found"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(("status", "headers"), [(500, {}), (503, {}), (429, {"Retry-After": "1"})])
def test_the_delivery_client_retries_nothing(settings, fake_slack, status, headers):
    # A 5xx after a post may have landed: the outbox looks for it instead; a 429 waits in its channel alone.
    fake_slack.fail_next("chat.postMessage", status, {"ok": False, "error": "fake_failure"}, headers)
    with pytest.raises(SlackApiError) as raised:
        build_delivery_client(settings).chat_postMessage(channel="C0SALES", text="once")
    assert raised.value.response.status_code == status
    assert len(fake_slack.calls_to("chat.postMessage")) == 1

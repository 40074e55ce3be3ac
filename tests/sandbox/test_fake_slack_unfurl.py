"""The fake Slack's link unfurling: the link_shared event it builds, and chat.unfurl refused as Slack refuses it."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient

from tests.sandbox.test_fake_slack import button, refused, section

URL = "https://dzd_x.datazone.eu-west-1.on.aws/assets/a1"
CARD = {"blocks": [section("*customer_pii*"), {"type": "actions", "elements": [button("catalog.request")]}]}


@pytest.fixture
def client(fake_slack):
    return WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)


@pytest.fixture
def shared(fake_slack):
    fake_slack.workspace.join("C0SALES")
    return fake_slack.share_links("C0SALES", "U0MARIA", [URL])


def test_link_shared_has_the_published_fields(shared):
    assert shared["type"] == "link_shared" and shared["channel"] == "C0SALES" and shared["user"] == "U0MARIA"
    assert shared["links"] == [{"domain": "dzd_x.datazone.eu-west-1.on.aws", "url": URL}]
    assert shared["source"] == "conversations_history" and shared["unfurl_id"] and shared["is_bot_user_member"]


def test_a_well_formed_unfurl_is_accepted_by_channel_and_ts_or_by_unfurl_id(client, fake_slack, shared):
    assert client.chat_unfurl(channel="C0SALES", ts=shared["message_ts"], unfurls={URL: CARD})["ok"]
    assert client.chat_unfurl(unfurl_id=shared["unfurl_id"], source="conversations_history", unfurls={URL: CARD})["ok"]
    assert fake_slack.links.unfurled[URL] == CARD


def test_a_malformed_unfurl_is_refused(client, fake_slack, shared):
    ts = shared["message_ts"]
    refused(fake_slack, lambda: client.chat_unfurl(channel="C0SALES", unfurls={URL: CARD}), "missing_ts")
    refused(fake_slack, lambda: client.chat_unfurl(ts=ts, unfurls={URL: CARD}), "missing_channel")
    refused(fake_slack, lambda: client.chat_unfurl(unfurl_id=shared["unfurl_id"], unfurls={}), "missing_source")
    bad_source = lambda: client.chat_unfurl(unfurl_id=shared["unfurl_id"], source="chat", unfurls={URL: CARD})  # noqa: E731
    refused(fake_slack, bad_source, "invalid_source")
    refused(fake_slack, lambda: client.chat_unfurl(channel="C0SALES", ts=ts), "missing_unfurls")
    as_list = lambda: client.api_call("chat.unfurl", json={"channel": "C0SALES", "ts": ts, "unfurls": [CARD]})  # noqa: E731
    refused(fake_slack, as_list, "invalid_unfurls_format")
    refused(
        fake_slack, lambda: client.chat_unfurl(channel="C0SALES", ts="1.2", unfurls={URL: CARD}), "cannot_find_message"
    )
    other = "https://example.com/elsewhere"
    refused(
        fake_slack, lambda: client.chat_unfurl(channel="C0SALES", ts=ts, unfurls={other: CARD}), "cannot_unfurl_message"
    )
    broken = {URL: {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]}}
    body = refused(
        fake_slack, lambda: client.chat_unfurl(channel="C0SALES", ts=ts, unfurls=broken), "cannot_parse_attachment"
    )
    assert f"/unfurls/{URL}/blocks/0" in json.dumps(body)


def test_a_message_the_app_was_never_told_about_cannot_unfurl(client, fake_slack):
    fake_slack.workspace.join("C0SALES")
    posted = client.chat_postMessage(channel="C0SALES", text=URL)
    send = lambda: client.chat_unfurl(channel="C0SALES", ts=posted["ts"], unfurls={URL: CARD})  # noqa: E731
    refused(fake_slack, send, "cannot_unfurl_url")

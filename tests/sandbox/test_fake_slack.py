"""The fake Slack Web API answers the calls opsbot makes the way Slack does, through the real SDK client."""

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient


@pytest.fixture
def client(fake_slack):
    return WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)


def test_wrong_token_is_invalid_auth(fake_slack):
    with pytest.raises(SlackApiError) as raised:
        WebClient(token="xoxb-wrong", base_url=fake_slack.api_url).auth_test()
    assert raised.value.response["error"] == "invalid_auth"


def test_messages_get_increasing_timestamps_and_are_recorded(client, fake_slack):
    first = client.chat_postMessage(channel="C0SALES", text="one", blocks=[{"type": "divider"}])
    second = client.chat_postMessage(channel="C0SALES", text="two", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    calls = fake_slack.calls_to("chat.postMessage")
    assert calls[0].body["blocks"] == [{"type": "divider"}]
    assert calls[1].body["thread_ts"] == first["ts"]


def test_files_upload_v2_round_trip(client, fake_slack):
    response = client.files_upload_v2(
        channel="C0SALES", filename="hits.csv", content="id,distance\nP1,0.1\n", title="hits"
    )
    assert response["ok"] and response["files"][0]["title"] == "hits"
    [upload] = fake_slack.calls_to("file_upload")
    assert "P1,0.1" in upload.body["content"]
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C0SALES"


def test_users_info_and_usergroups(client, fake_slack):
    fake_slack.workspace.users["U0ALICE"] = {"id": "U0ALICE", "name": "alice", "real_name": "Alice"}
    assert client.users_info(user="U0ALICE")["user"]["real_name"] == "Alice"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")
    assert client.usergroups_users_list(usergroup="S0APPROVERS")["users"] == ["U0BOB"]


def test_views_and_response_urls(client, fake_slack):
    opened = client.views_open(trigger_id="1.t", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}})
    assert opened["view"]["id"].startswith("V")
    WebhookClient(fake_slack.response_url("abc")).send(text="private", response_type="ephemeral")
    [reply] = fake_slack.calls_to("response_url")
    assert reply.body["text"] == "private" and reply.body["_path"] == "/response/abc"

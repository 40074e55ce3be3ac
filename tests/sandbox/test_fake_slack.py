"""The fake Slack checks every call as Slack does: each rule refuses with Slack's error and accepts its neighbour."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from sandbox.slack import FakeSlack


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)


class Clock:
    """A clock the test moves by hand, so time-window faults need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked() -> Iterator[tuple[FakeSlack, Clock, WebClient]]:
    clock = Clock()
    fake = FakeSlack(clock=clock).start()
    fake.workspace.join("C0SALES")
    yield fake, clock, WebClient(token=fake.bot_token, base_url=fake.api_url)
    fake.stop()


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id: str, text: str = "Go", **more: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, **more}


def refused(fake: FakeSlack, send: Any, error: str) -> dict[str, Any]:
    """Slack's error body for a call the test expects refused with `error`."""
    with fake.expect_refusals(error), pytest.raises(SlackApiError) as raised:
        send()
    assert raised.value.response["error"] == error
    return raised.value.response.data


def post(client: WebClient, blocks: list[dict[str, Any]], **more: Any) -> Any:
    return client.chat_postMessage(channel="C0SALES", text="fallback", blocks=blocks, **more)


# -- authentication and methods ---------------------------------------------------------------------


def test_wrong_token_is_invalid_auth_and_none_is_not_authed(fake_slack):
    refused(fake_slack, WebClient(token="xoxb-wrong", base_url=fake_slack.api_url).auth_test, "invalid_auth")
    refused(fake_slack, WebClient(base_url=fake_slack.api_url).auth_test, "not_authed")
    assert WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url).auth_test()["ok"]


def test_an_unknown_method_is_unknown_method(client, fake_slack):
    refused(fake_slack, lambda: client.api_call("chat.postMessagez"), "unknown_method")


# -- Block Kit limits ------------------------------------------------------------------------------

LIMITS = [
    # (what, valid block, the same one past its limit, json-pointer Slack names)
    ("section text", section("x" * 3000), section("x" * 3001), "/blocks/0/text/text"),
    (
        "section field",
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2000}]},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]},
        "/blocks/0/fields/0/text",
    ),
    (
        "section fields count",
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 10},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
        "/blocks/0/fields",
    ),
    (
        "header",
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        "/blocks/0/text/text",
    ),
    (
        "button text",
        {"type": "actions", "elements": [button("a", "b" * 75)]},
        {"type": "actions", "elements": [button("a", "b" * 76)]},
        "/blocks/0/elements/0/text/text",
    ),
    (
        "button value",
        {"type": "actions", "elements": [button("a", value="v" * 2000)]},
        {"type": "actions", "elements": [button("a", value="v" * 2001)]},
        "/blocks/0/elements/0/value",
    ),
    (
        "button url",
        {"type": "actions", "elements": [button("a", url="https://x.test/" + "u" * 2985)]},
        {"type": "actions", "elements": [button("a", url="https://x.test/" + "u" * 2986)]},
        "/blocks/0/elements/0/url",
    ),
    (
        "option text",
        {**section("pick"), "accessory": {"type": "static_select", "action_id": "s", "options": [
            {"text": {"type": "plain_text", "text": "o" * 75}, "value": "v"}]}},
        {**section("pick"), "accessory": {"type": "static_select", "action_id": "s", "options": [
            {"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}]}},
        "/blocks/0/accessory/options/0/text/text",
    ),
    (
        "option value",
        {**section("pick"), "accessory": {"type": "static_select", "action_id": "s", "options": [
            {"text": {"type": "plain_text", "text": "o"}, "value": "v" * 150}]}},
        {**section("pick"), "accessory": {"type": "static_select", "action_id": "s", "options": [
            {"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}]}},
        "/blocks/0/accessory/options/0/value",
    ),
    (
        "context elements",
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
        "/blocks/0/elements",
    ),
    (
        "empty text",
        section("x"),
        section(""),
        "/blocks/0/text/text",
    ),
    ("unknown property", {"type": "divider"}, {"type": "divider", "colour": "red"}, "/blocks/0/colour"),
    ("unknown block type", {"type": "divider"}, {"type": "carousel"}, "/blocks/0"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "valid", "invalid", "pointer"), LIMITS, ids=[limit[0] for limit in LIMITS])
def test_each_block_limit_refuses_with_invalid_blocks_and_a_pointer(client, fake_slack, what, valid, invalid, pointer):
    assert post(client, [valid])["ok"]
    body = refused(fake_slack, lambda: post(client, [invalid]), "invalid_blocks")
    messages = body["response_metadata"]["messages"]
    assert all(m.startswith("[ERROR] ") for m in messages)
    assert any(m.endswith(f"[json-pointer:{pointer}]") for m in messages), messages
    [refusal] = fake_slack.refused
    assert refusal.method == "chat.postMessage" and refusal.expected and refusal.call.error == "invalid_blocks"


def test_slack_words_a_length_limit_as_less_than_limit_plus_one(client, fake_slack):
    body = refused(fake_slack, lambda: post(client, [section("x" * 3001)]), "invalid_blocks")
    assert body["response_metadata"]["messages"] == [
        "[ERROR] failed to match all allowed schemas [json-pointer:/blocks/0/text]",
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ]


def test_action_ids_are_unique_within_an_actions_block_not_across_blocks(client, fake_slack):
    two_blocks = [{"type": "actions", "elements": [button("preview")]} for _ in range(2)]
    assert post(client, two_blocks)["ok"]
    one_block = [{"type": "actions", "elements": [button("preview"), button("preview")]}]
    body = refused(fake_slack, lambda: post(client, one_block), "invalid_blocks")
    assert "[json-pointer:/blocks/0/elements/1/action_id]" in body["response_metadata"]["messages"][0]


def test_block_ids_are_unique_within_a_message(client, fake_slack):
    assert post(client, [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "b"}])["ok"]
    same = [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]
    refused(fake_slack, lambda: post(client, same), "invalid_blocks")


def test_a_message_holds_50_blocks(client, fake_slack):
    assert post(client, [{"type": "divider"}] * 50)["ok"]
    refused(fake_slack, lambda: post(client, [{"type": "divider"}] * 51), "invalid_blocks")


def test_blocks_that_are_not_a_json_array_are_invalid_blocks_format(client, fake_slack):
    send = lambda: client.api_call("chat.postMessage", data={"channel": "C0SALES", "blocks": "{not json"})  # noqa: E731
    refused(fake_slack, send, "invalid_blocks_format")


# -- message text ------------------------------------------------------------------------------------


def test_a_message_needs_text_blocks_or_attachments(client, fake_slack):
    with pytest.warns(UserWarning, match="top-level `text` argument is missing"):
        refused(fake_slack, lambda: client.chat_postMessage(channel="C0SALES", text=""), "no_text")
    assert client.chat_postMessage(channel="C0SALES", text="hello")["ok"]


def test_a_message_holds_100_attachments(client, fake_slack):
    one = {"fallback": "a", "text": "a"}
    assert client.chat_postMessage(channel="C0SALES", text="t", attachments=[one] * 100)["ok"]
    send = lambda: client.chat_postMessage(channel="C0SALES", text="t", attachments=[one] * 101)  # noqa: E731
    refused(fake_slack, send, "too_many_attachments")


def test_text_past_40000_characters_is_truncated_with_a_warning(client, fake_slack):
    with fake_slack.expect_refusals("message_truncated"):
        answer = client.chat_postMessage(channel="C0SALES", text="x" * 40001)
    assert answer["ok"] and len(answer["message"]["text"]) == 40000
    assert answer["response_metadata"]["warnings"] == ["message_truncated"]
    assert [w.error for w in fake_slack.warned] == ["message_truncated"]
    assert client.chat_postMessage(channel="C0SALES", text="x" * 40000)["ok"]
    assert len(fake_slack.warned) == 1


def test_blocks_without_a_text_fallback_are_posted_and_noted(client, fake_slack):
    # slack_sdk warns on the client side too; Slack itself posts the message.
    with fake_slack.expect_refusals("missing_text_fallback"), pytest.warns(UserWarning, match="`text` argument"):
        assert client.chat_postMessage(channel="C0SALES", blocks=[section("only blocks")])["ok"]
    assert [w.error for w in fake_slack.warned] == ["missing_text_fallback"]
    assert post(client, [section("with text")])["ok"]
    assert len(fake_slack.warned) == 1


# -- channels ------------------------------------------------------------------------------------------


def test_posting_needs_a_channel_the_bot_is_in(client, fake_slack):
    fake_slack.workspace.add_channel("C0OTHER", "other", member=False)
    fake_slack.workspace.add_channel("G0SECRET", "secret", kind="private", member=False)
    assert client.chat_postMessage(channel="C0SALES", text="in")["ok"]
    refused(fake_slack, lambda: client.chat_postMessage(channel="C0OTHER", text="out"), "not_in_channel")
    # A private channel the bot is not in is invisible to it.
    refused(fake_slack, lambda: client.chat_postMessage(channel="G0SECRET", text="out"), "channel_not_found")
    refused(fake_slack, lambda: client.chat_postMessage(channel="C0NOWHERE", text="out"), "channel_not_found")
    fake_slack.workspace.channels["C0SALES"].archived = True
    refused(fake_slack, lambda: client.chat_postMessage(channel="C0SALES", text="old"), "is_archived")


def test_posting_to_a_user_id_posts_in_the_bots_dm(client, fake_slack):
    answer = client.chat_postMessage(channel="U0ALICE", text="psst")
    assert answer["channel"].startswith("D")
    assert client.chat_update(channel=answer["channel"], ts=answer["ts"], text="edited")["ok"]
    refused(fake_slack, lambda: client.chat_postMessage(channel="U0NOBODY", text="?"), "channel_not_found")


def test_chat_update_needs_a_message_the_bot_posted_there(client, fake_slack):
    posted = client.chat_postMessage(channel="C0SALES", text="first")
    assert client.chat_update(channel="C0SALES", ts=posted["ts"], text="second")["ok"]
    refused(fake_slack, lambda: client.chat_update(channel="C0SALES", ts="1.000001", text="x"), "message_not_found")


def test_an_ephemeral_needs_a_user(client, fake_slack):
    assert client.chat_postEphemeral(channel="C0SALES", user="U0ALICE", text="just you")["ok"]
    send = lambda: client.api_call("chat.postEphemeral", json={"channel": "C0SALES", "text": "who?"})  # noqa: E731
    refused(fake_slack, send, "invalid_arguments")


# -- views ---------------------------------------------------------------------------------------------


def modal(**more: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Approve"}, "blocks": [section("x")], **more}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


VIEW_LIMITS = [
    ("title", modal(title=plain("t" * 24)), modal(title=plain("t" * 25)), "/view/title/text"),
    ("submit", modal(submit=plain("s" * 24)), modal(submit=plain("s" * 25)), "/view/submit/text"),
    ("close", modal(close=plain("c" * 24)), modal(close=plain("c" * 25)), "/view/close/text"),
    ("private_metadata", modal(private_metadata="m" * 3000), modal(private_metadata="m" * 3001),
     "/view/private_metadata"),
    ("callback_id", modal(callback_id="c" * 255), modal(callback_id="c" * 256), "/view/callback_id"),
    ("blocks", modal(blocks=[{"type": "divider"}] * 100), modal(blocks=[{"type": "divider"}] * 101), "/view/blocks"),
    (
        "input needs submit",
        modal(submit=plain("Go"), blocks=[{"type": "input", "label": plain("Why"),
                                           "element": {"type": "plain_text_input", "action_id": "why"}}]),
        modal(blocks=[{"type": "input", "label": plain("Why"),
                       "element": {"type": "plain_text_input", "action_id": "why"}}]),
        "/view/submit",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("what", "valid", "invalid", "pointer"), VIEW_LIMITS, ids=[v[0] for v in VIEW_LIMITS])
def test_each_view_limit_refuses_with_invalid_arguments(client, fake_slack, what, valid, invalid, pointer):
    assert client.views_open(trigger_id="1.t", view=valid)["ok"]
    body = refused(fake_slack, lambda: client.views_open(trigger_id="1.t", view=invalid), "invalid_arguments")
    messages = body["response_metadata"]["messages"]
    assert messages[0] == "[ERROR] failed to match all allowed schemas [json-pointer:/view]"
    assert any(m.endswith(f"[json-pointer:{pointer}]") for m in messages), messages


def test_views_publish_takes_a_home_tab_and_views_open_a_modal(client, fake_slack):
    home = {"type": "home", "blocks": [section("hi")]}
    assert client.views_publish(user_id="U0ALICE", view=home)["ok"]
    refused(fake_slack, lambda: client.views_publish(user_id="U0ALICE", view=modal()), "invalid_arguments")
    refused(fake_slack, lambda: client.views_open(trigger_id="1.t", view=home), "invalid_arguments")


def test_views_update_needs_a_shown_view_and_its_current_hash(client, fake_slack):
    shown = client.views_open(trigger_id="1.t", view=modal())["view"]
    assert client.views_update(view_id=shown["id"], hash=shown["hash"], view=modal(callback_id="next"))["ok"]
    stale = lambda: client.views_update(view_id=shown["id"], hash=shown["hash"], view=modal())  # noqa: E731
    refused(fake_slack, stale, "hash_conflict")
    refused(fake_slack, lambda: client.views_update(view_id="V0NOPE", view=modal()), "not_found")


# -- response_url ----------------------------------------------------------------------------------------


def test_response_urls_check_the_message_like_chat_post_message(fake_slack):
    hook = WebhookClient(fake_slack.response_url("abc"))
    assert hook.send(text="private", response_type="ephemeral").status_code == 200
    [reply] = fake_slack.calls_to("response_url")
    assert reply.body["text"] == "private" and reply.body["_path"] == "/response/abc"
    assert hook.send_dict({"delete_original": True}).status_code == 200
    with fake_slack.expect_refusals("invalid_blocks"):
        answer = hook.send(text="long", blocks=[section("x" * 3001)])
    assert answer.status_code == 400 and json.loads(answer.body)["error"] == "invalid_blocks"
    with fake_slack.expect_refusals("no_text"):
        assert hook.send(text="").status_code == 400


# -- faults ------------------------------------------------------------------------------------------------


def test_fail_next_answers_the_next_calls_then_slack_again(client, fake_slack):
    fake_slack.fail_next("auth.test", 500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.auth_test()
    assert client.auth_test()["ok"]
    assert [r.injected for r in fake_slack.refused] == [True, True]


def test_fail_next_with_when_picks_the_calls_it_fails(client, fake_slack):
    fake_slack.fail_next("chat.postMessage", 500, when=lambda body: body.get("text") == "second")
    assert client.chat_postMessage(channel="C0SALES", text="first")["ok"]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0SALES", text="second")
    assert client.chat_postMessage(channel="C0SALES", text="second")["ok"]


def test_fail_for_fails_every_call_in_its_window(clocked):
    fake, clock, client = clocked
    fake.fail_for("*", seconds=30, status=429, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0SALES", text="now")
    assert raised.value.response.status_code == 429 and raised.value.response.headers["Retry-After"] == "7"
    clock.now += 29
    with pytest.raises(SlackApiError):
        client.auth_test()
    clock.now += 2
    assert client.chat_postMessage(channel="C0SALES", text="later")["ok"]


def test_ratelimit_answers_429_with_retry_after_past_the_limit(clocked):
    fake, clock, client = clocked
    fake.ratelimit("chat.postMessage", calls=2, per_seconds=60)
    for _ in range(2):
        assert client.chat_postMessage(channel="C0SALES", text="ok")["ok"]
    clock.now += 20
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0SALES", text="too many")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "40"
    assert client.auth_test()["ok"]  # other methods have their own limits
    clock.now += 40
    assert client.chat_postMessage(channel="C0SALES", text="again")["ok"]


# -- files ------------------------------------------------------------------------------------------------


def test_files_upload_v2_keeps_the_bytes_and_where_they_were_shared(client, fake_slack):
    posted = client.chat_postMessage(channel="C0SALES", text="results")
    response = client.files_upload_v2(
        channel="C0SALES",
        filename="hits.csv",
        content="id,distance\nP1,0.1\n",
        title="hits",
        thread_ts=posted["ts"],
        initial_comment="all hits",
    )
    assert response["ok"] and response["files"][0]["title"] == "hits"
    [shared] = fake_slack.files.values()
    assert shared.content == b"id,distance\nP1,0.1\n" and shared.filename == "hits.csv"
    assert (shared.channel, shared.thread_ts, shared.initial_comment) == ("C0SALES", posted["ts"], "all hits")
    [ask] = fake_slack.calls_to("files.getUploadURLExternal")
    assert int(ask.body["length"]) == len(shared.content)


def test_the_upload_flow_refuses_steps_out_of_order(client, fake_slack):
    refused(fake_slack, lambda: client.files_getUploadURLExternal(filename="x.csv", length=0), "invalid_arguments")
    started = client.files_getUploadURLExternal(filename="x.csv", length=3)
    complete = lambda: client.files_completeUploadExternal(files=[{"id": started["file_id"]}])  # noqa: E731
    refused(fake_slack, complete, "file_not_found")  # no bytes reached the upload URL yet
    urllib.request.urlopen(urllib.request.Request(started["upload_url"], data=b"a,b", method="POST")).read()
    with fake_slack.expect_refusals("upload_url_not_found"), pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(urllib.request.Request(started["upload_url"], data=b"again", method="POST"))
    assert complete()["ok"]


def _png(client: WebClient, **more: Any) -> str:
    return client.files_upload_v2(file=b"\x89PNG\r\n\x1a\n" + bytes(64), filename="chart.png", **more)["file"]["id"]


def test_an_image_block_shows_a_file_the_workspace_holds_by_id_or_url(client, fake_slack):
    file_id = _png(client, alt_txt="primaries over 3 hours")
    assert fake_slack.files[file_id].alt_txt == "primaries over 3 hours"
    assert post(client, [{"type": "image", "slack_file": {"id": file_id}, "alt_text": "primaries"}])["ok"]
    url_private, permalink = fake_slack.file_urls(file_id)
    for url in (url_private, permalink):
        assert post(client, [{"type": "image", "slack_file": {"url": url}, "alt_text": "primaries"}])["ok"]


def test_an_image_block_whose_slack_file_names_no_held_file_is_refused(client, fake_slack):
    file_id = _png(client)
    csv = client.files_upload_v2(content="a,b\n", filename="rows.csv")["file"]["id"]
    for slack_file in ({"id": "F0NOSUCHFILE"}, {"id": csv}, {"url": "https://files.slack.com/files-pri/T0-F0/x.png"}):
        image = {"type": "image", "slack_file": slack_file, "alt_text": "x"}
        body = refused(fake_slack, lambda image=image: post(client, [image]), "invalid_blocks")
        assert body["errors"] == ["invalid slack file [json-pointer:/blocks/0/slack_file]"]
    body = refused(fake_slack, lambda: post(client, [{"type": "image", "slack_file": {"id": "x1"}, "alt_text": "x"}]),
                   "invalid_blocks")  # fmt: skip
    assert body["errors"][0].endswith("[json-pointer:/blocks/0/slack_file/id]")
    both = {"id": file_id, "url": fake_slack.file_urls(file_id)[0]}
    refused(
        fake_slack, lambda: post(client, [{"type": "image", "slack_file": both, "alt_text": "x"}]), "invalid_blocks"
    )


def test_an_image_block_needs_alt_text_and_exactly_one_source(client, fake_slack):
    file_id = _png(client)
    shown = {"slack_file": {"id": file_id}}
    body = refused(fake_slack, lambda: post(client, [{"type": "image", **shown}]), "invalid_blocks")
    assert body["errors"] == ["missing required field: alt_text [json-pointer:/blocks/0]"]
    body = refused(fake_slack, lambda: post(client, [{"type": "image", **shown, "alt_text": "x" * 2001}]),
                   "invalid_blocks")  # fmt: skip
    assert body["errors"] == ["must be less than 2001 characters [json-pointer:/blocks/0/alt_text]"]
    assert post(client, [{"type": "image", **shown, "alt_text": "x" * 2000}])["ok"]
    refused(fake_slack, lambda: post(client, [{"type": "image", "alt_text": "x"}]), "invalid_blocks")
    both = {**shown, "image_url": "https://example.com/a.png", "alt_text": "x"}
    refused(fake_slack, lambda: post(client, [{"type": "image", **both}]), "invalid_blocks")
    titled = {**shown, "alt_text": "x", "title": {"type": "mrkdwn", "text": "*t*"}}
    refused(fake_slack, lambda: post(client, [{"type": "image", **titled}]), "invalid_blocks")


def test_alt_txt_of_an_upload_is_at_most_1000_characters(client, fake_slack):
    refused(fake_slack, lambda: client.files_getUploadURLExternal(filename="a.png", length=3, alt_txt="x" * 1001),
            "alt_txt_too_large")  # fmt: skip


def test_files_upload_is_retired(client, fake_slack):
    refused(fake_slack, lambda: client.api_call("files.upload", data={"content": "x", "channels": "C0SALES"}),
            "method_deprecated")  # fmt: skip


# -- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.slack_refusals("channel_not_found")
def test_refusals_are_kept_and_marked_expected_only_inside_expect_refusals(client, fake_slack):
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOWHERE", text="x")
    with fake_slack.expect_refusals("channel_not_found"), pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOWHERE", text="x")
    assert [(r.error, r.expected) for r in fake_slack.refused] == [
        ("channel_not_found", False),
        ("channel_not_found", True),
    ]
    assert fake_slack.calls_to("chat.postMessage")[0].error == "channel_not_found"

"""The chart in the card: once uploaded into the card's thread, the card shows it as an image block."""

import json

from handlers.failover.outbox import CHART_REFUSALS
from sandbox.world import CLUSTER_ID
from tests.handlers.failover.conftest import SALES
from tests.harness import eventually


def _blocks(call):
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def _images(call):
    return [b for b in _blocks(call) if b.get("type") == "image"]


def _shown(bot, ts):
    """The blocks of the card as the fake Slack holds it now."""
    return bot.slack.messages[(SALES, ts)].get("blocks") or []


def test_the_card_shows_the_uploaded_chart_with_alt_text_that_says_what_it_shows(bot):
    bot.alarm("ALARM")
    posted, _ = bot.card(SALES)
    assert not _images(posted)  # no chart before it is uploaded
    upload = bot.slack.wait_for("files.completeUploadExternal")
    assert upload.body["channel_id"] == SALES  # shared in the card's thread, so the channel may see it
    (uploaded,) = bot.slack.files.values()
    assert uploaded.content[:4] == b"\x89PNG" and len(uploaded.content) > 2000
    update = bot.slack.wait_for("chat.update", lambda c: bool(_images(c)) and not c.error)
    (image,) = _images(update)
    assert image["slack_file"] == {"id": uploaded.id}
    alt = image["alt_text"]
    assert CLUSTER_ID in alt and "MultiMasterInstanceGroupNodesRunning" in alt
    assert "2 (quorum)" in alt and "the alert opened at" in alt
    assert uploaded.alt_txt == alt
    (alert,) = bot.alerts()
    assert alert.chart_file == uploaded.id
    eventually(lambda: bot.alerts()[0].rendered_version == bot.alerts()[0].version)
    assert any(b.get("type") == "image" for b in _shown(bot, alert.card_ts))
    # Still one card, one upload.
    assert len([c for c in bot.posts(SALES) if not c.body.get("thread_ts")]) == 1
    assert len(bot.slack.calls_to("files.completeUploadExternal")) == 1


def test_a_failed_upload_leaves_the_card_as_it_was(bot):
    with bot.slack.expect_refusals("file_uploads_disabled"):
        bot.slack.fail_next("files.getUploadURLExternal", 200, {"ok": False, "error": "file_uploads_disabled"})
        bot.alarm("ALARM")
        posted, _ = bot.card(SALES)
        bot.slack.wait_for("files.getUploadURLExternal", lambda c: c.error == "file_uploads_disabled")
        eventually(lambda: bot.alerts()[0].chart == "pending")  # tried again later, not lost
    (alert,) = bot.alerts()
    assert alert.chart_file is None and not bot.slack.files
    assert not bot.slack.calls_to("chat.update")
    assert _shown(bot, alert.card_ts) == _blocks(posted)


def test_a_card_refused_while_slack_processes_the_file_is_sent_again_and_then_shows_it(bot):
    refusal = {"ok": False, "error": "invalid_blocks", "errors": ["invalid slack file [json-pointer:/blocks/5]"]}
    with bot.slack.expect_refusals("invalid_blocks"):
        bot.slack.fail_next("chat.update", 200, refusal, times=2, when=lambda body: "slack_file" in json.dumps(body))
        bot.alarm("ALARM")
        bot.card(SALES)
        shown = bot.slack.wait_for("chat.update", lambda c: bool(_images(c)) and not c.error)
    assert len([c for c in bot.slack.calls_to("chat.update") if c.error == "invalid_blocks"]) == 2
    (alert,) = bot.alerts()
    assert alert.chart_refusals == 2 and _images(shown)[0]["slack_file"] == {"id": alert.chart_file}


def test_a_chart_slack_keeps_refusing_gives_way_to_the_card_without_it(bot):
    refusal = {"ok": False, "error": "invalid_blocks", "errors": ["invalid slack file [json-pointer:/blocks/5]"]}
    with bot.slack.expect_refusals("invalid_blocks"):
        bot.slack.fail_next(
            "chat.update", 200, refusal, times=CHART_REFUSALS + 5, when=lambda body: "slack_file" in json.dumps(body)
        )
        bot.alarm("ALARM")
        bot.card(SALES)
        plain = bot.slack.wait_for("chat.update", lambda c: not c.error and not _images(c), timeout=20)
    assert len([c for c in bot.slack.calls_to("chat.update") if c.error]) == CHART_REFUSALS
    eventually(lambda: bot.alerts()[0].rendered_version == bot.alerts()[0].version)
    assert "sales-analytics-ha" in json.dumps(plain.body)
    assert len(bot.slack.files) == 1  # the chart stays in the thread

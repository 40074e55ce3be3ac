"""`/cluster alerts` pages through every open alert; the count and each page come from the database."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from bot.inbox.envelope import parse_message
from handlers.failover import blocks, ids
from handlers.failover.lifecycle import Lifecycle, Placement
from handlers.failover.parse import parse_signal
from handlers.failover.store import AlertStore
from sandbox.aws.notifications import alarm_message, sns_envelope
from sandbox.runtime import ADMIN, ANALYST
from tests.harness import eventually

# One second for all of them: a burst opens many alerts at once, and pages must neither repeat nor skip one.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


def _cluster(n):
    return f"j-PAGE{n:07d}"


def _open(database, count, channel=None):
    """`count` open alerts, one cluster each, through the same lifecycle the inbox applies signals with.

    Without a channel the outbox has no card to post, so seeding hundreds costs no Slack calls.
    """
    lifecycle = Lifecycle(database)
    for n in range(count):
        body = sns_envelope(alarm_message(f"page-{n}", _cluster(n), "ALARM", at=T0))
        signal = parse_signal(parse_message(body, str(uuid.uuid4())))
        placement = Placement(channel=channel, cluster_name=_cluster(n))
        lifecycle.apply(signal, placement, now=T0, flap_minutes=15, escalation_minutes=15)


def test_the_store_counts_and_slices_open_alerts(database):
    _open(database, 75)
    store = AlertStore(database)
    assert store.count_active() == 75
    pages = [store.active_page(offset, 30) for offset in (0, 30, 60)]
    assert [len(page) for page in pages] == [30, 30, 15]
    ids_in_order = [alert.id for page in pages for alert in page]
    assert ids_in_order == sorted(ids_in_order, reverse=True)  # same opened_at: newest id first, every one once
    assert store.active_page(75, 30) == []


def test_every_active_alert_is_read_however_many(database):
    # A silence notes each of a cluster's alerts and the recovery check reads each: none is left past a cap.
    _open(database, 250)
    assert len(AlertStore(database).active()) == 250


def _replies(bot):
    return [c.body for c in bot.slack.calls_to("response_url")]


def _next_reply(bot, seen):
    eventually(lambda: len(_replies(bot)) > seen)
    return _replies(bot)[seen]


def _buttons(body):
    return {e["text"]["text"]: e for b in body.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}


def _clusters(body):
    """The cluster each line of a page names (every seeded alert has its own)."""
    return [
        b["text"]["text"].split("`")[1]
        for b in body.get("blocks", [])
        if b["type"] == "section" and b["text"]["text"].startswith("*j-PAGE")
    ]


def test_every_one_of_600_open_alerts_is_reachable_page_by_page(bot):
    _open(bot.deps.db, 600)
    bot.driver.command("/cluster", "alerts", user=ANALYST)
    body, seen, listed, heads = _next_reply(bot, 0), 1, [], []
    assert body["replace_original"] is False and body["text"] == "600 open cluster alerts"
    while True:
        heads.append(body["blocks"][0]["text"]["text"])
        listed += _clusters(body)
        following = _buttons(body).get("Next page")
        if following is None:
            break
        bot.driver.click(following["action_id"], user=ANALYST, value=following["value"])
        body = _next_reply(bot, seen)
        seen += 1
        assert body["replace_original"] is True
    assert len(heads) == 20
    assert heads[0] == "*Open cluster alerts*: 1\u201330 of 600, page 1 of 20, newest first"
    assert heads[-1] == "*Open cluster alerts*: 571\u2013600 of 600, page 20 of 20, newest first"
    assert len(listed) == len(set(listed)) == 600
    assert set(listed) == {_cluster(n) for n in range(600)}


def test_a_page_by_number_and_one_past_the_last(bot):
    _open(bot.deps.db, 61)
    bot.driver.command("/cluster", "alerts page=3", user=ANALYST)
    last = _next_reply(bot, 0)
    assert last["blocks"][0]["text"]["text"] == "*Open cluster alerts*: 61 of 61, page 3 of 3, newest first"
    assert _clusters(last) == [_cluster(0)]  # the oldest comes last
    assert set(_buttons(last)) == {"Previous page"}
    earlier = _buttons(last)["Previous page"]
    bot.driver.click(earlier["action_id"], user=ANALYST, value=earlier["value"])
    assert "31\u201360 of 61, page 2 of 3" in _next_reply(bot, 1)["blocks"][0]["text"]["text"]
    bot.driver.command("/cluster", "alerts page=4", user=ANALYST)
    answer = _next_reply(bot, 2)["text"]
    assert "There is no page 4: there are 61 open alerts on 3 pages." in answer
    assert "`/cluster alerts page=3` shows the last." in answer
    bot.driver.command("/cluster", "alerts sales", user=ADMIN)
    assert "takes only a page number" in _next_reply(bot, 3)["text"]


def _resolve(database, clusters):
    lifecycle = Lifecycle(database)
    for n in clusters:
        body = sns_envelope(alarm_message(f"page-{n}", _cluster(n), "OK", value=3.0, at=T0 + timedelta(minutes=1)))
        signal = parse_signal(parse_message(body, str(uuid.uuid4())))
        lifecycle.apply(signal, None, now=T0 + timedelta(minutes=1), flap_minutes=15, escalation_minutes=15)


def test_a_page_button_after_alerts_resolved_shows_the_last_page_there_is(bot):
    _open(bot.deps.db, 35)
    bot.driver.command("/cluster", "alerts", user=ANALYST)
    following = _buttons(_next_reply(bot, 0))["Next page"]
    assert json.loads(following["value"]) == {"offset": 30}
    _resolve(bot.deps.db, range(10))
    bot.driver.click(ids.ALERTS_PAGES.next, user=ANALYST, value=following["value"])
    assert _next_reply(bot, 1)["blocks"][0]["text"]["text"].startswith("*Open cluster alerts*: 1\u201325 of 25")


def test_a_digest_points_at_the_paged_list(database):
    _open(database, 25)
    digest = blocks.digest(AlertStore(database).active_page(0, 25), {}, T0)
    assert digest[-1]["elements"][0]["text"] == "and 5 more: `/cluster alerts` pages through every open alert"


def test_the_home_tab_counts_the_rest_and_says_where_they_are(bot):
    _open(bot.deps.db, 15)
    bot.driver.event({"type": "app_home_opened", "user": ANALYST, "channel": "D0HOME", "tab": "home"})
    view = json.dumps(bot.slack.wait_for("views.publish").body["view"])
    assert sum(_cluster(n) in view for n in range(15)) == 10  # the newest ten
    assert "and 5 more: `/cluster alerts` pages through them all" in view

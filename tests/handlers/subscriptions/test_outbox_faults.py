"""Subscriptions through the outbox while Slack fails: nothing lost, nothing doubled; decisions settled by the sweep."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.inbox.service import build_inbox
from handlers.subscriptions import ids, tasks
from handlers.subscriptions.messages import card_key
from handlers.subscriptions.store import CardStore, RequestCard
from sandbox.runtime import ADMIN, ANALYST, APPROVER, SIGNING_SECRET
from sandbox.slack_requests import SlackRequests
from sandbox.world import DOMAIN_ID
from tests.handlers.subscriptions.helpers import event, request, status, submit
from tests.harness import BoltDriver, eventually
from tests.sandbox_bot import built_app, single_step_policy
from tests.slack_proxy import SlackProxy

CHANNEL = "C0SALESDATA"


@pytest.fixture
def proxied(box, tmp_path, monkeypatch):
    """The app on the sandbox, talking to Slack through a proxy that records what Slack accepted; confidential
    requests decided in one step, as the faults are the subject here (test_chains has the sandbox's two)."""
    proxy = SlackProxy(box.slack.url)
    one_step = str(single_step_policy(box, tmp_path))
    for name, value in {**box.env(), "SLACK_API_URL": proxy.api_url, "OPSBOT_CONFIG": one_step}.items():
        monkeypatch.setenv(name, value)
    _, deps, scheduler, app = built_app(tmp_path)
    box.slack.reset()
    yield {
        "deps": deps,
        "inbox": build_inbox(deps),
        "driver": BoltDriver(app, SlackRequests(SIGNING_SECRET)),
        "dz": box.client("datazone"),
        "box": box,
        "proxy": proxy,
    }
    scheduler.shutdown(wait=False)
    deps.close()
    proxy.stop()


def _cards(proxy, request_id):
    """Card posts Slack accepted for the request."""
    return proxy.landed(
        "chat.postMessage", lambda b: b.get("channel") == CHANNEL and request_id in json.dumps(b.get("blocks") or [])
    )


def _buttons(post):
    return _buttons_of(post.body["blocks"])


def _to(user):
    return lambda body: body.get("channel") == user


def _settled(bot):
    return lambda: bot["deps"].outbox.store.pending_count() == 0


def test_card_update_and_dm_each_arrive_once_through_429s_and_500s(proxied):
    bot, proxy, fake = proxied, proxied["proxy"], proxied["box"].slack
    request_id = request(bot, as_user="maria")  # confidential, and maria is mapped to a Slack user
    fake.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
    fake.fail_next("chat.postMessage", 500, times=3)
    assert bot["inbox"].handle(event(request_id)) == "handled"
    # While Slack is failing, a redelivered event and the sweep find the request claimed and card nothing more.
    bot["inbox"].handle(event(request_id))
    tasks(bot["deps"].kernel)["subscriptions.sweep"](DOMAIN_ID)
    eventually(lambda: _cards(proxy, request_id), timeout=60)
    buttons = _buttons(_cards(proxy, request_id)[0])

    fake.fail_next("chat.update", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
    fake.fail_next("chat.update", 500, times=2)
    fake.fail_next("chat.postMessage", 500, times=3)
    submit(bot, APPROVER, ids.APPROVE_MODAL, buttons[ids.APPROVE], "ok", ids.COMMENT_BLOCK, ids.COMMENT_ACTION)
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    eventually(lambda: proxy.landed("chat.update") and proxy.landed("chat.postMessage", _to(ANALYST)), timeout=60)
    eventually(_settled(bot), timeout=60)

    ts = CardStore(bot["deps"].db).get(request_id).message_ts
    assert len(_cards(proxy, request_id)) == 1 and _cards(proxy, request_id)[0].answer["ts"] == ts
    updates = proxy.landed("chat.update", lambda b: b.get("ts") == ts)
    assert len(updates) == 1 and "Accepted" in json.dumps(updates[0].body["blocks"])
    dms = proxy.landed("chat.postMessage", _to(ANALYST))
    assert len(dms) == 1 and "accepted" in dms[0].body["text"] and f"<@{APPROVER}>" in dms[0].body["text"]
    # The faults were really met: Slack refused some of these calls before accepting one.
    refused = [s.status for s in proxy.seen if s.method in ("chat.postMessage", "chat.update") and s.status != 200]
    assert refused.count(429) == 2 and refused.count(500) == 8


def test_a_post_whose_answer_is_lost_is_not_carded_twice(proxied):
    bot, proxy = proxied, proxied["proxy"]
    request_id = request(bot)
    proxy.lose_answers("chat.postMessage", 1)  # Slack stores the card, the bot hears 500
    bot["inbox"].handle(event(request_id))
    eventually(lambda: CardStore(bot["deps"].db).get(request_id).message_ts, timeout=60)
    eventually(_settled(bot), timeout=60)
    cards = _cards(proxy, request_id)
    assert len(cards) == 1
    assert CardStore(bot["deps"].db).get(request_id).message_ts == cards[0].answer["ts"]


def test_the_loser_of_a_decision_hears_who_won_and_which_way(proxied):
    bot, proxy = proxied, proxied["proxy"]
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    eventually(lambda: _cards(proxy, request_id), timeout=30)
    buttons = _buttons(_cards(proxy, request_id)[0])
    submit(bot, APPROVER, ids.REJECT_MODAL, buttons[ids.REJECT], "needs a DPIA", ids.REASON_BLOCK, ids.REASON_ACTION)
    eventually(lambda: status(bot, request_id)["status"] == "REJECTED")
    # Once the rejection is recorded (while it is in flight the loser hears "is rejecting right now").
    eventually(lambda: CardStore(bot["deps"].db).get(request_id).status == "rejected")
    submit(bot, ADMIN, ids.APPROVE_MODAL, buttons[ids.APPROVE], "", ids.COMMENT_BLOCK, ids.COMMENT_ACTION)
    told = bot["box"].slack.wait_for("chat.postMessage", lambda c: c.body.get("channel") == ADMIN)
    assert f"<@{APPROVER}> already rejected this request" in told.body["text"]
    assert status(bot, request_id)["status"] == "REJECTED"


def test_the_sweep_settles_a_card_decided_in_datazone_without_an_event(proxied):
    bot, proxy = proxied, proxied["proxy"]
    request_id = request(bot, as_user="maria")
    bot["inbox"].handle(event(request_id))
    eventually(lambda: CardStore(bot["deps"].db).get(request_id).message_ts, timeout=30)
    # Alice rejects in the portal; the "Subscription Request Rejected" event never arrives.
    bot["box"].client("datazone", as_user="alice").reject_subscription_request(
        domainIdentifier=DOMAIN_ID, identifier=request_id, decisionComment="not for marketing"
    )
    outcomes = tasks(bot["deps"].kernel)["subscriptions.sweep"](DOMAIN_ID)
    assert outcomes["reconciled"] == 1
    eventually(lambda: proxy.landed("chat.update") and proxy.landed("chat.postMessage", _to(ANALYST)), timeout=30)
    ts = CardStore(bot["deps"].db).get(request_id).message_ts
    updates = proxy.landed("chat.update", lambda b: b.get("ts") == ts)
    assert len(updates) == 1
    shown = json.dumps(updates[0].body["blocks"])
    assert "Rejected" in shown and f"<@{APPROVER}>" in shown and "not for marketing" in shown
    dms = proxy.landed("chat.postMessage", _to(ANALYST))
    assert len(dms) == 1 and "rejected" in dms[0].body["text"] and f"<@{APPROVER}>" in dms[0].body["text"]
    # Swept again: settled once, said once.
    assert tasks(bot["deps"].kernel)["subscriptions.sweep"](DOMAIN_ID)["reconciled"] == 0
    eventually(_settled(bot), timeout=30)
    assert len(proxy.landed("chat.postMessage", _to(ANALYST))) == 1


def test_a_decision_whose_replica_died_before_datazone_heard_is_reopened_by_the_sweep(proxied):
    bot = proxied
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    store = CardStore(bot["deps"].db)
    eventually(lambda: store.get(request_id).message_ts, timeout=30)
    assert store.start_decision(request_id, APPROVER, approve=True)
    with bot["deps"].db.session() as session:  # the replica that claimed it died an hour ago
        session.execute(
            update(RequestCard)
            .where(RequestCard.request_id == request_id)
            .values(decided_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert tasks(bot["deps"].kernel)["subscriptions.sweep"](DOMAIN_ID)["reopened"] == 1
    assert store.get(request_id).status == "pending"
    assert status(bot, request_id)["status"] == "PENDING"


def test_fifteen_seconds_of_429s_then_500s_during_a_request_and_its_decision_lose_and_double_nothing(proxied):
    bot, proxy, fake = proxied, proxied["proxy"], proxied["box"].slack
    # Slack's outage as it would come: rate limited for 7.5 s (Retry-After 1), then failing with 500s until 15 s.
    for method in ("chat.postMessage", "chat.update"):
        fake.fail_for(method, 7.5, 429, retry_after=1)
        fake.fail_for(method, 15, 500)
    request_id = request(bot, as_user="maria")  # confidential, and maria is mapped to a Slack user
    assert bot["inbox"].handle(event(request_id)) == "handled"
    # The approver decides while Slack is still down, from the card the outbox holds (the one Slack will show).
    queued = bot["deps"].outbox.store.by_key(card_key(request_id))
    value = _buttons_of(queued.payload["blocks"])[ids.APPROVE]
    submit(bot, APPROVER, ids.APPROVE_MODAL, value, "ok", ids.COMMENT_BLOCK, ids.COMMENT_ACTION)
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")  # DataZone does not wait for Slack
    eventually(_settled(bot), timeout=120)

    ts = CardStore(bot["deps"].db).get(request_id).message_ts
    assert [c.answer["ts"] for c in _cards(proxy, request_id)] == [ts]
    assert len(proxy.landed("chat.update", lambda b: b.get("ts") == ts)) == 1
    assert len(proxy.landed("chat.postMessage", _to(ANALYST))) == 1
    refused = [s.status for s in proxy.seen if s.method in ("chat.postMessage", "chat.update") and s.status != 200]
    assert 429 in refused and 500 in refused  # the outage was really met


def _buttons_of(blocks):
    actions = next(b for b in blocks if b.get("type") == "actions")["elements"]
    return {b["action_id"]: b["value"] for b in actions}

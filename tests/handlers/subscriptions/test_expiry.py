"""Time-bound access (expiry across a restart, reminder, renewal) and reminders on requests left waiting."""

import json
from datetime import UTC, datetime, timedelta

import time_machine

from bot.app import build_app
from bot.deps import build_deps
from bot.policy import SubscriptionPolicy
from handlers.subscriptions import ids, tasks
from handlers.subscriptions.expiry import days_for
from handlers.subscriptions.flows import subscriptions
from handlers.subscriptions.intake import follow_up
from handlers.subscriptions.store import AccessStore, CardStore
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import ADMIN_CHANNEL, ANALYST, APPROVER
from sandbox.world import DOMAIN_ID
from scheduler import bound_tasks, build_scheduler
from tests.handlers.subscriptions.helpers import card, command, event, request, status
from tests.harness import eventually


def _subscription(bot, request_id):
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    found = bot["dz"].list_subscriptions(domainIdentifier=DOMAIN_ID, subscriptionRequestIdentifier=request_id)
    return found["items"][0]["id"]


def _subscription_status(bot, subscription_id):
    return bot["dz"].get_subscription(domainIdentifier=DOMAIN_ID, identifier=subscription_id)["status"]


def test_time_bound_access_is_revoked_by_the_scheduler_after_a_restart(bot):
    request_id = request(bot, as_user="maria")
    command(bot, f"approve {request_id} 1d pilot only", APPROVER)
    subscription = _subscription(bot, request_id)
    eventually(lambda: bot["deps"].jobs.due(f"subscriptions.expire.{subscription}") is not None)
    due = bot["deps"].jobs.due(f"subscriptions.expire.{subscription}")
    assert timedelta(hours=23) < due - datetime.now(UTC) <= timedelta(days=1)
    bot["scheduler"].shutdown()  # the bot stops; the job stays in its database

    with time_machine.travel(due + timedelta(minutes=2), tick=True):
        deps = build_deps(bot["settings"])  # a new process over the same database
        build_app(bot["settings"], deps, CAPABILITIES)
        scheduler = build_scheduler(deps.db, bound_tasks(deps, CAPABILITIES))
        deps.jobs.attach(scheduler)
        scheduler.start()
        try:
            eventually(lambda: _subscription_status(bot, subscription) == "REVOKED")
            eventually(lambda: deps.jobs.due(f"subscriptions.expire.{subscription}") is None)
            # The new process's outbox delivers what its expiry task enqueued.
            ended = bot["box"].slack.wait_for("chat.postMessage", lambda c: "has ended" in c.body.get("text", ""))
        finally:
            scheduler.shutdown()
            deps.close()
    assert ended.body["channel"] == ANALYST
    assert bot["deps"].audit.recent(action="subscriptions.expire")[0].target == subscription
    # Run again (a job that survived a stop between run and removal): nothing more happens.
    assert tasks(bot["deps"].kernel)["subscriptions.expire"](DOMAIN_ID, subscription) == "nothing to do"


def test_the_policy_maximum_caps_the_duration_and_is_the_default():
    capped = SubscriptionPolicy(max_access_days=30)
    assert [days_for(capped, asked) for asked in (None, 7, 400)] == [30, 7, 30]
    assert [days_for(SubscriptionPolicy(), asked) for asked in (None, 400)] == [None, 400]


def test_reminder_renewal_and_extension(bot):
    request_id = request(bot, as_user="maria")
    command(bot, f"approve {request_id} 7d", APPROVER)
    subscription = _subscription(bot, request_id)
    # The access row is stored, then its expiry and reminder jobs scheduled, on the listener's worker.
    eventually(lambda: bot["deps"].jobs.due(f"subscriptions.expiry_reminder.{subscription}") is not None)
    ends = AccessStore(bot["deps"].db).get(subscription).expires_at
    assert bot["deps"].jobs.due(f"subscriptions.expiry_reminder.{subscription}") == ends - timedelta(days=1)

    assert tasks(bot["deps"].kernel)["subscriptions.expiry_reminder"](DOMAIN_ID, subscription) == "reminded"
    reminder = bot["box"].slack.wait_for("chat.postMessage", lambda c: "Ask to renew" in json.dumps(c.body))
    assert reminder.body["channel"] == ANALYST
    renew = next(b for b in reminder.body["blocks"] if b["type"] == "actions")["elements"][0]
    bot["driver"].click(ids.RENEW, user=ANALYST, value=renew["value"], response_url=bot["box"].slack.response_url())
    renewal = bot["box"].slack.wait_for("chat.postMessage", lambda c: "asks to keep access" in json.dumps(c.body))
    assert renewal.body["channel"] == "C0SALESDATA"
    extend = next(b for b in renewal.body["blocks"] if b["type"] == "actions")["elements"][0]

    bot["driver"].click(ids.EXTEND, user=ANALYST, value=extend["value"])  # not an approver: refused
    bot["driver"].click(ids.EXTEND, user=APPROVER, value=extend["value"], response_url=bot["box"].slack.response_url())
    eventually(lambda: AccessStore(bot["deps"].db).get(subscription).expires_at > ends)
    extended = AccessStore(bot["deps"].db).get(subscription).expires_at
    assert timedelta(days=7) - timedelta(minutes=1) < extended - ends <= timedelta(days=7)
    # The row is extended before the listener's worker moves the job: wait for the job too.
    eventually(lambda: bot["deps"].jobs.due(f"subscriptions.expire.{subscription}") == extended)
    assert (
        "extended your access"
        in bot["box"]
        .slack.wait_for(
            "chat.postMessage", lambda c: c.body.get("channel") == ANALYST and "extended" in c.body.get("text", "")
        )
        .body["text"]
    )
    outcomes = {(e.actor, e.result) for e in bot["deps"].audit.recent(action="subscriptions.extend")}
    assert outcomes == {(APPROVER, "ok"), (ANALYST, "denied")}


def test_waiting_cards_get_one_reminder_then_one_escalation(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    card(bot, request_id)
    store, now = CardStore(bot["deps"].db), datetime.now(UTC)
    eventually(lambda: store.get(request_id).message_ts)  # the outbox records where the card landed
    flows = subscriptions(bot["deps"].kernel)
    assert follow_up(flows, now) == {"reminded": 0, "escalated": 0}
    assert follow_up(flows, now + timedelta(hours=25))["reminded"] >= 1
    nudge = bot["box"].slack.wait_for("chat.postMessage", lambda c: "waited over 24 hours" in c.body.get("text", ""))
    assert nudge.body["thread_ts"] and "<@U0ALICE>" in nudge.body["text"]
    later = follow_up(flows, now + timedelta(hours=73))
    assert later["reminded"] == 0 and later["escalated"] >= 1
    escalation = bot["box"].slack.wait_for("chat.postMessage", lambda c: c.body.get("channel") == ADMIN_CHANNEL)
    assert request_id in escalation.body["text"] and "archives/C0SALESDATA" in escalation.body["text"]
    assert follow_up(flows, now + timedelta(hours=100)) == {"reminded": 0, "escalated": 0}

"""The outbox over a real database and the fake Slack: ambiguous failures, shared pacing, dependencies, 429s."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import update

from bot.outbox import Outbox, message
from bot.outbox.models import FAILED, SENT, OutboxMessage
from bot.outbox.sender import attempt, metadata_for
from bot.slack_client import build_delivery_client
from tests.harness import eventually
from tests.slack_proxy import SlackProxy


@pytest.fixture
def proxy(fake_slack) -> Iterator[SlackProxy]:
    fake_slack.workspace.join("C0ONE", "C0TWO", "C0BUSY", "C0QUIET")
    served = SlackProxy(fake_slack.url)
    yield served
    served.stop()


@pytest.fixture
def replicas(settings, database, proxy) -> Iterator[list[Outbox]]:
    """Two outboxes on one database, as two replicas would have, each with the bot's delivery client."""
    client_settings = settings.model_copy(update={"slack_api_url": proxy.api_url})
    built = [Outbox(database, build_delivery_client(client_settings)) for _ in range(2)]
    yield built
    for outbox in built:
        outbox.stop()


def _marked(outbox_id: int):
    return lambda body: (body.get("metadata") or {}).get("event_payload", {}).get("id") == f"outbox:{outbox_id}"


def _status(outbox: Outbox, message_id: int) -> str:
    row = outbox.store.get(message_id)
    return row.status if row else "missing"


def test_a_post_whose_answer_is_lost_after_slack_stored_it_is_found_not_posted_again(replicas, proxy):
    outbox = replicas[0]
    landed_at: list[tuple[str | None, str | None]] = []
    outbox.on_sent("test.landed", lambda _session, _context, channel, ts: landed_at.append((channel, ts)))
    proxy.lose_answers("chat.postMessage", 1)
    post_id = outbox.send(message.post("C0ONE", "the card", key="card-1", on_sent="test.landed"))
    outbox.start()
    eventually(lambda: _status(outbox, post_id) == SENT, timeout=30)
    copies = proxy.landed("chat.postMessage", _marked(post_id))
    assert len(copies) == 1
    # The bot was told 500, looked the post up by its metadata, and recorded where Slack had put it.
    assert [s.status for s in proxy.seen if s.method == "chat.postMessage"] == [500]
    assert any(s.method == "conversations.history" for s in proxy.seen)
    assert outbox.store.get(post_id).result_ts == copies[0].answer["ts"]
    assert landed_at == [("C0ONE", copies[0].answer["ts"])]


def test_two_replicas_pace_one_channel_together_and_send_each_message_once(replicas, proxy):
    ids = [replicas[n % 2].send(message.post("C0BUSY", f"line {n}")) for n in range(6)]
    ids.append(replicas[0].send(message.post("C0QUIET", "elsewhere")))
    for outbox in replicas:
        outbox.start()
    eventually(lambda: all(_status(replicas[0], i) == SENT for i in ids), timeout=60)
    for message_id in ids:
        assert len(proxy.landed("chat.postMessage", _marked(message_id))) == 1
    arrivals = sorted(s.at for s in proxy.seen if s.method == "chat.postMessage" and s.body["channel"] == "C0BUSY")
    assert len(arrivals) == 6
    # Each slot opens a full second after the previous call ended, so arrivals are at least a second apart
    # (a millisecond allows for the two clocks involved: the replicas' wall clock, the proxy's monotonic one).
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.999, gaps


def test_an_update_and_a_reply_wait_for_the_post_they_need(replicas, proxy, fake_slack):
    outbox = replicas[0]
    fake_slack.fail_next("chat.postMessage", 503, times=2)
    post_id = outbox.send(message.post("C0ONE", "card", key="card-2"))
    update_id = outbox.send(message.update("C0ONE", "decided", after="card-2"))
    reply_id = outbox.send(message.reply("C0ONE", "in the thread", after="card-2"))
    outbox.start()
    eventually(lambda: _status(outbox, reply_id) == SENT and _status(outbox, update_id) == SENT, timeout=60)
    ts = outbox.store.get(post_id).result_ts
    updates = proxy.landed("chat.update")
    assert [u.body["ts"] for u in updates] == [ts]
    replies = proxy.landed("chat.postMessage", lambda body: body.get("text") == "in the thread")
    assert [r.body["thread_ts"] for r in replies] == [ts]
    assert len(proxy.landed("chat.postMessage", _marked(post_id))) == 1


def test_a_newer_update_supersedes_one_not_yet_sent(replicas, proxy):
    outbox = replicas[0]
    outbox.send(message.post("C0ONE", "card", key="card-3"))
    outbox.send(message.update("C0ONE", "first", after="card-3", replaces="card-3"))
    outbox.send(message.update("C0ONE", "second", after="card-3", replaces="card-3"))
    outbox.start()
    eventually(lambda: proxy.landed("chat.update"), timeout=30)
    eventually(lambda: outbox.store.pending_count() == 0, timeout=30)
    assert [u.body["text"] for u in proxy.landed("chat.update")] == ["second"]


def test_a_429_pauses_its_channel_alone_for_retry_after(replicas, proxy, fake_slack):
    outbox = replicas[0]
    fake_slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"})
    first = outbox.send(message.post("C0ONE", "one"))
    second = outbox.send(message.post("C0TWO", "two"))
    outbox.start()
    eventually(lambda: _status(outbox, first) == SENT and _status(outbox, second) == SENT, timeout=30)
    posts = [s for s in proxy.seen if s.method == "chat.postMessage"]
    limited = posts[0]
    assert limited.status == 429
    retried = next(s for s in posts[1:] if s.body["channel"] == limited.body["channel"])
    other = next(s for s in posts if s.body["channel"] != limited.body["channel"])
    assert retried.at - limited.at >= 3.0
    assert other.at < retried.at  # the other channel did not wait


def test_rate_limited_calls_are_not_counted_as_failed_attempts(replicas, proxy, fake_slack):
    # The backoff after a failure grows with the attempts counted; a 429 is Slack saying "later", not a failure,
    # so six of them before a 503 must not turn the 503's retry into a two-minute wait.
    outbox = replicas[0]
    limited = {"ok": False, "error": "ratelimited"}
    fake_slack.fail_next("chat.postMessage", 429, limited, {"Retry-After": "1"}, times=6)
    fake_slack.fail_next("chat.postMessage", 503)
    post_id = outbox.send(message.post("C0ONE", "after the storm"))
    outbox.start()
    eventually(lambda: _status(outbox, post_id) == SENT, timeout=60)
    statuses = [s.status for s in proxy.seen if s.method == "chat.postMessage"]
    assert statuses == [429] * 6 + [503, 200]
    assert outbox.store.get(post_id).attempts == 2  # the 503 and the post that landed


def test_a_message_slack_refuses_fails_after_a_few_tries_and_takes_its_dependents(replicas, fake_slack):
    outbox = replicas[0]
    fake_slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "channel_not_found"}, times=20)
    post_id = outbox.send(message.post("C0GONE", "card", key="card-4"))
    update_id = outbox.send(message.update("C0GONE", "decided", after="card-4"))
    outbox.start()
    eventually(lambda: _status(outbox, post_id) == FAILED, timeout=60)
    assert outbox.store.get(post_id).last_error == "channel_not_found"
    eventually(lambda: _status(outbox, update_id) == FAILED, timeout=60)


def test_a_post_whose_replica_died_mid_call_is_found_by_the_next_one(replicas, proxy, fake_slack, database):
    dead, alive = replicas
    post_id = dead.send(message.post("C0ONE", "the card", key="card-5"))
    # The dead replica claimed the message and its post reached Slack; then the process was killed.
    claimed = dead.store.claim_next("C0ONE", dead.owner, datetime.now(UTC))
    dead.store.started(claimed.message, datetime.now(UTC))
    with database.session() as session:  # ... five minutes ago
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == post_id)
            .values(claimed_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    stored = WebClient(token=fake_slack.bot_token, base_url=proxy.api_url).chat_postMessage(
        channel="C0ONE", text="the card", metadata=metadata_for(post_id)
    )
    alive.start()
    eventually(lambda: _status(alive, post_id) == SENT, timeout=60)
    assert len(proxy.landed("chat.postMessage", _marked(post_id))) == 1
    assert alive.store.get(post_id).result_ts == stored["ts"]
    assert any(s.method == "conversations.history" for s in proxy.seen)  # looked, found, did not post


def test_a_replica_whose_claim_was_taken_over_records_nothing_and_calls_slack_no_more(replicas, proxy, database):
    slow, other = replicas
    post_id = slow.send(message.post("C0ONE", "the card", key="card-6"))
    landed: list[str | None] = []
    slow.on_sent("test.landed", lambda _session, _context, _channel, ts: landed.append(ts))
    claimed = slow.store.claim_next("C0ONE", slow.owner, datetime.now(UTC))
    # The slow replica's call outlived STALE_CLAIM: housekeeping took the claim for a dead one's, another took it.
    later = datetime.now(UTC) + timedelta(minutes=5)
    slow.store.housekeeping(later)
    retaken = other.store.claim_next("C0ONE", other.owner, later)
    assert retaken is not None and retaken.message.id == post_id

    # The slow replica's late outcomes change nothing; the row stays the other replica's.
    slow.store.sent(claimed.message, "C0ONE", "1.000001", lambda session: landed.append("late"))
    slow.store.retry(claimed.message, "late", timedelta(0), uncertain=False)
    slow.store.failed(claimed.message, "late")
    row = slow.store.get(post_id)
    assert (row.status, row.claimed_by, row.result_ts, landed) == ("sending", other.owner, None, [])
    # And an attempt that finds its claim gone makes no call at all.
    assert not slow.store.renew(claimed.message, datetime.now(UTC))
    assert attempt(WebClient(base_url=proxy.api_url), claimed, keep=lambda: False).state == "lost"
    assert not [s for s in proxy.seen if s.method == "chat.postMessage"]

"""Failover alerts: event-to-card latency through SQS, and a 500-notification burst against Slack's rate limits.

Runs the real app and inbox in-process over the sandbox (moto SQS/SNS/CloudWatch, the EMR emulator, fake Slack)
and prints JSON:
- latency: from send_message to the card's chat.postMessage, p50/p99, beside the bare SQS round trip (send,
  long-poll receive) measured in the same run;
- burst: NOTIFICATIONS alarm notifications (repeats, SNS and EventBridge copies, recoveries) for CLUSTERS
  clusters routed to CHANNELS channels, sent at once: Slack calls made, the most calls in any one second in
  one channel, and alerts lost (final state in the database or on the last card not what was sent), beside
  the baseline of posting one message per notification as fast as it comes;
- replicas: the same burst (fresh clusters) against REPLICAS bot replicas on one database, each with its own
  inbox consumer and senders, beside the single replica of the same run: the most calls in one channel within
  any one second and over any ten seconds (per second) across all replicas, alerts lost, and alerts doubled
  (a cluster on more than one top-level card or digest).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.inbox.consumer import SqsConsumer  # noqa: E402
from bot.inbox.service import build_inbox  # noqa: E402
from bot.logs import configure_logging  # noqa: E402
from handlers.failover.models import Alert  # noqa: E402
from handlers.failover.store import AlertStore  # noqa: E402
from opsbot.capabilities import CAPABILITIES  # noqa: E402
from sandbox.aws.notifications import alarm_message, alarm_state_change, sns_envelope  # noqa: E402
from sandbox.runtime import start_sandbox  # noqa: E402

LATENCY_SAMPLES = 20
NOTIFICATIONS, CLUSTERS, CHANNELS = 500, 25, 5
REPLICAS = 3
SUSTAINED_SECONDS = 10.0
SLACK_LIMIT_PER_CHANNEL_PER_SECOND = 1


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50": _percentile(values, 0.5),
        "p99": _percentile(values, 0.99),
        "mean": round(statistics.mean(values), 1),
    }


def _channel(body: dict) -> str | None:
    return body.get("channel") or body.get("channel_id")


def max_per_channel_per_second(stamped: list[tuple[float, str]], window: float = 1.0) -> int:
    """The most calls any one channel got within any `window`-second window."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    for at, channel in stamped:
        by_channel[channel].append(at)
    best = 0
    for times in by_channel.values():
        times.sort()
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
    return best


class Recorder:
    """Stamps every call the fake Slack records, so rates can be measured."""

    def __init__(self, fake) -> None:
        self.stamped: list[tuple[float, object]] = []
        original = fake._record

        def record(call):
            self.stamped.append((time.monotonic(), call))
            return original(call)

        fake._record = record

    def since(self, mark: int) -> list[tuple[float, object]]:
        return self.stamped[mark:]


def _write_policy(path: Path) -> dict[str, str]:
    routes = [{"tag": f"team=t{n}", "channel": f"C0BENCH{n}"} for n in range(CHANNELS)]
    policy = {"admins": {"users": ["U0ADA"]}, "clusters": {"default_channel": "C0BENCHDEFAULT", "routes": routes}}
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return {r["tag"]: r["channel"] for r in routes}


def latency(box, fake, sqs) -> dict:
    """send_message to card, one new cluster at a time (slower than a card a second, so pacing adds nothing)."""
    probe = sqs.create_queue(QueueName="bench-probe")["QueueUrl"]
    baseline = []
    for _ in range(LATENCY_SAMPLES):
        started = time.perf_counter()
        sqs.send_message(QueueUrl=probe, MessageBody="{}")
        message = sqs.receive_message(QueueUrl=probe, WaitTimeSeconds=1)["Messages"][0]
        baseline.append((time.perf_counter() - started) * 1000)
        sqs.delete_message(QueueUrl=probe, ReceiptHandle=message["ReceiptHandle"])
    measured = []
    for n in range(LATENCY_SAMPLES + 1):
        cluster = f"j-LATENCY{n:04d}"
        body = sns_envelope(alarm_message(f"latency-{n}", cluster, "ALARM"))
        started = time.perf_counter()
        sqs.send_message(QueueUrl=box.world.queue_url, MessageBody=body)
        fake.wait_for("chat.postMessage", lambda c, cluster=cluster: cluster in json.dumps(c.body), timeout=30)
        measured.append((time.perf_counter() - started) * 1000)
        time.sleep(1.1)
    # The first event pays for start-up (clients, models, connections); it is reported on its own.
    return {
        "first_event_to_card_ms": round(measured[0], 1),
        "event_to_card_ms": _stats(measured[1:]),
        "baseline_sqs_round_trip_ms": _stats(baseline),
    }


def _burst_messages(now: datetime, prefix: str = "BURST") -> tuple[list[str], dict[str, str]]:
    """NOTIFICATIONS bodies and the final state each cluster's alert must end in."""
    per_cluster = NOTIFICATIONS // CLUSTERS
    bodies, expected = [], {}
    for c in range(CLUSTERS):
        cluster, name = f"j-{prefix}{c:06d}", f"{prefix.lower()}-{c}"
        recovers = c % 2 == 1
        for n in range(per_cluster):
            at = now - timedelta(seconds=per_cluster - n)
            last = n == per_cluster - 1
            state = "OK" if recovers and last else "ALARM"
            if n % 5 == 4 and not last:
                # The EventBridge copy of the previous transition: must not count as news.
                previous = now - timedelta(seconds=per_cluster - n + 1)
                bodies.append(json.dumps(alarm_state_change(name, cluster, "ALARM", at=previous)))
                continue
            bodies.append(
                sns_envelope(alarm_message(name, cluster, state, at=at, value=2.0 if state == "ALARM" else 3.0))
            )
        expected[cluster] = "resolved" if recovers else "open"
    return bodies, expected


def burst(box, deps, fake, recorder, sqs, prefix: str = "BURST") -> dict:
    """Everything at once into the queue; then wait until every card shows its alert's final state."""
    for c in range(CLUSTERS):
        box.emr_fleets.add_cluster(f"j-{prefix}{c:06d}", f"{prefix.lower()}-{c}", tags={"team": f"t{c % CHANNELS}"})
    bodies, expected = _burst_messages(datetime.now(UTC), prefix)
    mark = len(recorder.stamped)
    started = time.monotonic()
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])]
        sqs.send_message_batch(QueueUrl=box.world.queue_url, Entries=entries)
    sent_in = time.monotonic() - started
    store = AlertStore(deps.db)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        alerts = [a for a in _alerts(deps.db) if a.cluster_id in expected]
        settled = len(alerts) == CLUSTERS and all(
            a.card_ts not in (None, "posting") and a.rendered_version >= a.version and a.chart != "pending"
            for a in alerts
        )
        if settled and not store.channels_with_work():
            break
        time.sleep(0.2)
    settle_seconds = time.monotonic() - started
    calls = recorder.since(mark)
    slack_calls = [(at, _channel(call.body)) for at, call in calls if call.method != "file_upload"]
    lost = _lost(deps.db, expected, [call for _, call in calls])
    in_channels = [s for s in slack_calls if s[1]]
    return {
        "sent_in_seconds": round(sent_in, 2),
        "slack_calls": len(slack_calls),
        "max_calls_per_channel_per_second": max_per_channel_per_second(in_channels),
        "max_calls_per_channel_per_second_sustained": round(
            max_per_channel_per_second(in_channels, SUSTAINED_SECONDS) / SUSTAINED_SECONDS, 2
        ),
        "alerts_lost": lost,
        "alerts_doubled": _doubled(expected, [call for _, call in calls]),
        "seconds_until_every_card_is_current": round(settle_seconds, 1),
    }


def _doubled(expected: dict[str, str], calls: list) -> int:
    """Clusters shown on more than one top-level post (card or digest): a card posted twice."""
    posts: dict[str, int] = defaultdict(int)
    for call in calls:
        if call.method != "chat.postMessage" or call.body.get("thread_ts"):
            continue
        text = json.dumps(call.body.get("blocks") or [])
        for cluster in expected:
            if f"{cluster}" in text:
                posts[cluster] += 1
    return sum(1 for count in posts.values() if count > 1)


def _alerts(db):
    with db.session() as session:
        return list(session.scalars(select(Alert)))


def _lost(db, expected: dict[str, str], calls: list) -> int:
    """Clusters whose alert is missing, in the wrong state, or whose last card in Slack shows another state."""
    by_cluster = {a.cluster_id: a for a in _alerts(db)}
    last_shown: dict[str, str] = {}
    for call in calls:
        if call.method not in ("chat.postMessage", "chat.update") or call.body.get("thread_ts"):
            continue
        # A digest shows one alert per section; a card is one alert across all its blocks.
        digest = "cluster alerts" in call.body.get("text", "")
        parts = [json.dumps(b) for b in call.body.get("blocks") or []] if digest else [json.dumps(call.body)]
        for text in parts:
            for cluster in expected:
                if cluster in text:
                    last_shown[cluster] = "resolved" if "Resolved at" in text else "open"
    lost = 0
    for cluster, state in expected.items():
        alert = by_cluster.get(cluster)
        if alert is None or alert.state != state or last_shown.get(cluster) != state:
            lost += 1
    return lost


def baseline_burst(fake, recorder) -> dict:
    """One chat.postMessage per notification as it comes: what a bot without pacing or coalescing does."""
    from slack_sdk import WebClient

    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    bodies, _ = _burst_messages(datetime.now(UTC))
    mark = len(recorder.stamped)
    for n, _body in enumerate(bodies):
        client.chat_postMessage(channel=f"C0BENCH{(n // (NOTIFICATIONS // CLUSTERS)) % CHANNELS}", text="alarm")
    calls = [(at, _channel(call.body)) for at, call in recorder.since(mark)]
    return {"slack_calls": len(calls), "max_calls_per_channel_per_second": max_per_channel_per_second(calls)}


def replicas_burst(box, workdir: Path, policy: Path, recorder, sqs) -> dict:
    """The burst against REPLICAS replicas on one database, each consuming the queue and sending to Slack."""
    shared = workdir / "replicas"
    shared.mkdir()
    replicas, consumers = [], []
    for _ in range(REPLICAS):
        settings, deps = box.bot_deps(shared, OPSBOT_CONFIG=str(policy))
        build_app(settings, deps, CAPABILITIES)
        consumer = SqsConsumer(
            deps.aws.client("sqs"), box.world.queue_url, build_inbox(deps), deps.metrics, wait_seconds=1
        )
        consumer.start()
        replicas.append(deps)
        consumers.append(consumer)
    try:
        return burst(box, replicas[0], box.slack, recorder, sqs, prefix="REPL")
    finally:
        for consumer in consumers:
            consumer.stop()
        for deps in replicas:
            deps.close()


def main() -> None:
    configure_logging("ERROR", "console")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        box = start_sandbox(workdir)
        try:
            policy = workdir / "bench-policy.yml"
            routed = _write_policy(policy)
            # The bot was invited to every channel the bench's policy routes alerts to.
            box.slack.workspace.join(*routed.values(), "C0BENCHDEFAULT")
            settings, deps = box.bot_deps(workdir, OPSBOT_CONFIG=str(policy))
            build_app(settings, deps, CAPABILITIES)
            recorder = Recorder(box.slack)
            sqs = box.client("sqs")
            consumer = SqsConsumer(
                deps.aws.client("sqs"), box.world.queue_url, build_inbox(deps), deps.metrics, wait_seconds=1
            )
            consumer.start()
            try:
                result = {"latency": latency(box, box.slack, sqs)}
                result["burst"] = {
                    "notifications": NOTIFICATIONS,
                    "clusters": CLUSTERS,
                    "channels": CHANNELS,
                    "slack_limit_per_channel_per_second": SLACK_LIMIT_PER_CHANNEL_PER_SECOND,
                    "opsbot": burst(box, deps, box.slack, recorder, sqs),
                    "baseline_one_post_per_notification": baseline_burst(box.slack, recorder),
                }
            finally:
                consumer.stop()
                deps.close()
            result["replicas"] = {
                "replicas": REPLICAS,
                "notifications": NOTIFICATIONS,
                "opsbot_replicas": replicas_burst(box, workdir, policy, recorder, sqs),
                "single_replica_same_run": result["burst"]["opsbot"],
            }
        finally:
            box.stop()
    print(json.dumps({"benchmark": "alerts", **result}, indent=2))


if __name__ == "__main__":
    main()

"""/healthz over HTTP: 503 naming the consumer while it cannot poll or has stopped, 200 again once it polls."""

import httpx

from bot.health import Health, PollLiveness, connection_check, poll_bound
from bot.http import build_http_app
from bot.inbox.consumer import SqsConsumer
from bot.inbox.service import build_inbox
from tests.bot.inbox.test_consumer import _eventbridge, queues, received  # noqa: F401  (fixtures)
from tests.harness import eventually, serve


def _status(url):
    response = httpx.get(f"{url}/healthz")
    return response.status_code, response.json()


def test_healthz_follows_the_consumer(queues, sqlite_deps, received):  # noqa: F811
    sqs, queue, _ = queues
    name = queue.rsplit("/", 1)[1]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    consumer = SqsConsumer(
        sqlite_deps.aws.client("sqs"),
        queue,
        build_inbox(sqlite_deps),
        sqlite_deps.metrics,
        wait_seconds=1,
        # The runner derives the bound from the wait (poll_bound); a short one keeps the test quick.
        liveness=PollLiveness(bound=2),
    )
    health = Health()
    health.add("consumer", consumer.liveness.problem)
    app = build_http_app(sqlite_deps, None)
    app.state.health = health
    with serve(app) as url:
        assert _status(url)[0] == 503  # not started yet: it takes no events
        consumer.start()
        try:
            eventually(lambda: _status(url) == (200, {"status": "ok"}), timeout=15)
            sqs.delete_queue(QueueUrl=queue)  # every poll now fails
            # A long poll already in flight when the queue went may still succeed once: judge one answer.
            answers = []
            eventually(lambda: answers.append(_status(url)) or answers[-1][0] == 503, timeout=30)
            body = answers[-1][1]
            assert body["status"] == "unhealthy" and body["consumer"].startswith("no successful poll for")
            assert "database" not in body
            sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": attributes["VisibilityTimeout"]})
            eventually(lambda: _status(url) == (200, {"status": "ok"}), timeout=90)
            # Recovered for real: an event sent now is handled.
            sqs.send_message(QueueUrl=queue, MessageBody=_eventbridge("ev-after-recovery"))
            eventually(lambda: [e.event_id for e in received["events"]] == ["ev-after-recovery"], timeout=30)
        finally:
            consumer.stop()
        assert _status(url) == (503, {"status": "unhealthy", "consumer": "stopped"})


def test_healthz_names_a_lost_socket_mode_connection(sqlite_deps):
    connected = {"now": True}
    health = Health()
    health.add("socket_mode", connection_check(lambda: connected["now"]))
    app = build_http_app(sqlite_deps, None)
    app.state.health = health
    with serve(app) as url:
        assert _status(url) == (200, {"status": "ok"})
        connected["now"] = False
        assert _status(url) == (503, {"status": "unhealthy", "socket_mode": "disconnected"})
        connected["now"] = True
        assert _status(url) == (200, {"status": "ok"})


def test_the_poll_bound_leaves_room_for_the_long_poll():
    assert poll_bound(20) == 90 and poll_bound(1) > 1

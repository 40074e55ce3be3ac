"""The consumer's supervisor restarts its loop whatever ended it; one message's troubles never reach the loop."""

import threading

from bot.inbox.consumer import SqsConsumer
from bot.inbox.service import build_inbox
from bot.inbox.supervisor import Supervised, restart_delay
from tests.bot.inbox.test_consumer import _eventbridge, queues, received  # noqa: F401  (fixtures)
from tests.harness import eventually


def test_a_loop_that_crashes_or_returns_is_started_again():
    calls = []
    running = threading.Event()

    def loop(stop):
        calls.append(1)
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded")
        if len(calls) == 2:
            return  # ended for no reason at all
        running.set()
        stop.wait()

    supervised = Supervised("test-loop", loop, delay=lambda _n: 0)
    supervised.start()
    assert running.wait(10)
    supervised.stop(5)
    assert supervised.restarts == 2 and len(calls) == 3


def test_restart_delays_back_off_and_are_capped():
    assert [restart_delay(n) for n in (1, 2, 3)] == [1, 2, 4]
    assert restart_delay(30) == 60


def test_a_message_that_cannot_be_settled_or_has_no_fields_never_raises(
    queues,  # noqa: F811
    sqlite_deps,
    received,  # noqa: F811
    caplog,
):
    _, queue, _ = queues
    consumer = SqsConsumer(sqlite_deps.aws.client("sqs"), queue, build_inbox(sqlite_deps), sqlite_deps.metrics)
    # SQS refuses the receipt handle when the bot deletes it: the event was handled, the refusal only logged.
    outcome = consumer.process({"MessageId": "m-1", "ReceiptHandle": "not-a-receipt", "Body": _eventbridge("ev-1")})
    assert outcome == "handled" and [e.event_id for e in received["events"]] == ["ev-1"]
    [refused] = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg["event"] == "inbox_settle_failed"]
    assert "ReceiptHandleIsInvalid" in refused["error"]
    assert consumer.process({}) == "malformed"
    received["fail"] = 1
    outcome = consumer.process({"MessageId": "m-2", "ReceiptHandle": "not-a-receipt", "Body": _eventbridge("ev-2")})
    assert outcome == "failed"
    eventually(lambda: consumer.process({"MessageId": "m-3", "Body": _eventbridge("ev-2")}) == "handled")
    assert [e.event_id for e in received["events"]] == ["ev-1", "ev-2"]

"""An events queue in moto, a publisher feeding it, and helpers to read what arrived."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import boto3

from sandbox.aws.eventbus import EventPublisher


def moto_client(service: str, url: str) -> Any:
    """A boto3 client for `service` on the moto server at `url`."""
    return boto3.client(
        service, region_name="eu-west-1", endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="x"
    )


class EventsQueue:
    """A fresh SQS queue with a publisher sending to it; `take()` returns what arrived since the last take."""

    def __init__(self, moto_url: str, name: str) -> None:
        self.sqs = moto_client("sqs", moto_url)
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.publisher = EventPublisher(self.sqs, self.url)

    def take(self) -> list[dict[str, Any]]:
        """Every event on the queue now (after the publisher sent what it had), deleted from the queue."""
        assert self.publisher.drain(), "the publisher did not finish sending"
        events = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return events
            for message in batch:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def wait_for(self, found: Callable[[list[dict[str, Any]]], bool], limit: float = 15.0) -> list[dict[str, Any]]:
        """Collect events until `found(events)` holds (background work ends on its own); fails past `limit`."""
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + limit
        while not found(events):
            assert time.monotonic() < deadline, f"never arrived; got {[e['detail-type'] for e in events]}"
            time.sleep(0.05)
            events += self.take()
        return events

    def close(self) -> None:
        """Stop the publisher."""
        self.publisher.stop()


def types(events: list[dict[str, Any]], source: str = "aws.datazone") -> list[str]:
    """The detail-types of `events` from `source`, service events only (CloudTrail calls left out)."""
    return [
        e["detail-type"] for e in events if e["source"] == source and e["detail-type"] != "AWS API Call via CloudTrail"
    ]


def calls(events: list[dict[str, Any]]) -> list[str]:
    """The API operations CloudTrail reported among `events`."""
    return [e["detail"]["eventName"] for e in events if e["detail-type"] == "AWS API Call via CloudTrail"]


def one(events: list[dict[str, Any]], detail_type: str) -> dict[str, Any]:
    """The single event of `detail_type`."""
    matching = [e for e in events if e["detail-type"] == detail_type]
    assert len(matching) == 1, f"{len(matching)} {detail_type!r} events"
    return matching[0]

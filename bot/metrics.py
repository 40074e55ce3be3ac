"""Prometheus metrics, one registry per app so tests and replicas do not share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    """The bot's counters and histograms."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.slack_requests = Counter(
            "opsbot_slack_requests",
            "Slack requests by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "opsbot_slack_ack_seconds",
            "Time from receiving a Slack request to answering it",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 3, 5),
            registry=self.registry,
        )
        self.inbox_events = Counter(
            "opsbot_inbox_events",
            "Inbound AWS events by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.listener_errors = Counter(
            "opsbot_listener_errors", "Unexpected errors reported to users", registry=self.registry
        )

    def render(self) -> bytes:
        """The exposition text for GET /metrics."""
        return generate_latest(self.registry)

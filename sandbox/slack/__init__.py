"""The fake Slack: Web API, response_url and file uploads, checked as Slack checks them."""

from sandbox.slack.records import Call, Refusal, last_sequence
from sandbox.slack.server import FakeSlack
from sandbox.slack.workspace import Channel, Workspace

__all__ = ["Call", "Channel", "FakeSlack", "Refusal", "Workspace", "last_sequence"]

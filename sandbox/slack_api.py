"""The fake Slack Web API (kept at this path for its importers; it lives in sandbox/slack/)."""

from sandbox.slack import Call, Channel, FakeSlack, Refusal, Workspace

__all__ = ["Call", "Channel", "FakeSlack", "Refusal", "Workspace"]

"""Fixtures of the publishing tests: the sandbox and the app wired to it, shared with the subscription tests."""

from tests.handlers.subscriptions.helpers import bot, box  # noqa: F401

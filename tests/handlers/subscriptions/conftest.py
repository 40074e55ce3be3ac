"""Fixtures of the subscription tests."""

from tests.handlers.subscriptions.helpers import bot, box  # noqa: F401

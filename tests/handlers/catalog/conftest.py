"""Fixtures of the catalog tests."""

from tests.handlers.catalog.helpers import bot, bot_with_requester_role, box  # noqa: F401

"""Fixtures of the catalog tests."""

from tests.handlers.catalog.helpers import bot, box  # noqa: F401

"""Alembic environment: runs on the connection that Database.migrate hands over."""

from alembic import context

# The migrations themselves name every table; the metadata is for comparing models with them (autogenerate,
# tests/bot/test_migrations_match_models.py). The kernel's models are imported here; the capabilities' are on it
# once the composition root has imported them.
from bot.audit import AuditEntry  # noqa: F401  (registers the tables on the metadata)
from bot.db import Base
from bot.inbox.store import HandledEvent  # noqa: F401
from bot.outbox.models import ChannelPace, OutboxMessage  # noqa: F401
from scheduler.lease import LeaseRow  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: runs on the connection that Database.migrate hands over."""

from alembic import context

from bot.audit import AuditEntry  # noqa: F401  (registers the tables on the metadata)
from bot.db import Base
from bot.inbox.store import HandledEvent  # noqa: F401
from bot.outbox.models import ChannelPace, OutboxMessage  # noqa: F401
from handlers.backups.store import BackupAlert, BackupRun, RestorePlan  # noqa: F401
from handlers.failover.models import Alert  # noqa: F401
from handlers.publishing.store import RunCard  # noqa: F401
from handlers.subscriptions.store import RequestCard, TimedAccess  # noqa: F401
from scheduler.lease import LeaseRow  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""The bot's own database: engine, sessions and migrations.

Migrations are Alembic's, on one branch per owner. The kernel's chain is bot/migrations/versions/ (0001 on);
each capability may bring its own versions folder (`Capability.migrations`) whose first revision has
`down_revision = None`, `branch_labels = ("<capability name>",)` and, if its tables refer to the kernel's,
`depends_on` the kernel revision it needs. The capabilities' tables created before capabilities had folders
of their own (0004 to 0012) keep their history in the kernel's chain, so existing databases stay where they
are; new capability tables go in the capability's folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast, overload

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from bot.capability import Capability

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same for every replica that migrates.
_MIGRATION_LOCK_KEY = 0x0_5B07


class Base(DeclarativeBase):
    """Base of the bot's tables."""


def _normalise_url(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgresql:// would ask SQLAlchemy for psycopg2.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (SQLAlchemy types what execute() returns as a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: datetime | None) -> datetime | None: ...
def utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands timezone-aware columns back naive)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_db_engine(url: str, **kwargs: object) -> Engine:
    """An engine for SQLite or PostgreSQL with the settings the bot relies on."""
    url = _normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets the HTTP thread read while a listener writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _ini_value(value: str) -> str:
    # Config's options go through configparser, which reads % as interpolation.
    return value.replace("%", "%%")


def migration_config(capabilities: Sequence[Capability]) -> Config:
    """Alembic's configuration for the kernel's chain and the migrations of `capabilities` (those that have any)."""
    locations = [MIGRATIONS / "versions", *(c.migrations for c in capabilities if c.migrations is not None)]
    config = Config()
    config.set_main_option("script_location", _ini_value(str(MIGRATIONS)))
    config.set_main_option("path_separator", "os")  # paths may hold spaces or commas; os.pathsep splits them
    config.set_main_option("version_locations", _ini_value(os.pathsep.join(str(path) for path in locations)))
    return config


class Database:
    """Owns the engine and hands out sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Connect to the database at `url`."""
        return cls(create_db_engine(url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._sessions.begin() as session:
            yield session

    def migrate(self, capabilities: Sequence[Capability]) -> None:
        """Bring the kernel's schema and that of `capabilities` to their newest revisions (every branch's head);
        safe to run from several replicas at once."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            config = migration_config(capabilities)
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

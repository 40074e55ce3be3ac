"""The migrations build exactly the tables the models describe, the capabilities' included."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import opsbot.capabilities  # noqa: F401  (imports every capability, and so registers its models)
from bot.db import Base
from scheduler import JOBS_TABLE


def test_the_migrated_schema_is_what_the_models_say(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            # APScheduler makes and owns its job table.
            opts={"include_name": lambda name, kind, _parent: not (kind == "table" and name == JOBS_TABLE)},
        )
        assert compare_metadata(context, Base.metadata) == []

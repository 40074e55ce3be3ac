"""The migrations build exactly the tables the models describe: the kernel's, and each capability's from its own
migrations folder (the toy capability's included, so a capability's branch is covered before a real one has any).
"""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import Base
from opsbot.capabilities import CAPABILITIES  # imports every capability, and so registers its models
from scheduler import JOBS_TABLE
from tests.toy_capability import Toy
from tests.toy_capability.models import ToyNote


def test_the_migrated_schema_is_what_the_models_say(database):
    # The toy's model is on the metadata once imported: its migrations must build it too.
    database.migrate([*CAPABILITIES, Toy().capability()])
    assert ToyNote.__tablename__ in inspect(database.engine).get_table_names()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            # APScheduler makes and owns its job table.
            opts={"include_name": lambda name, kind, _parent: not (kind == "table" and name == JOBS_TABLE)},
        )
        assert compare_metadata(context, Base.metadata) == []

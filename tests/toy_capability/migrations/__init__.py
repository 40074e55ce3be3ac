"""The toy capability's Alembic versions: a branch of its own, as handlers/<name>/migrations/ would be."""

"""Publishing assets and registering Redshift and Glue data sources."""

from handlers.publishing.listeners import register

__all__ = ["register"]

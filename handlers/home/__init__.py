"""The App Home tab, assembled from the sections capabilities contribute."""

from handlers.home.listeners import register

__all__ = ["register"]

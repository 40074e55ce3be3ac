"""Protein similarity search over bucketed LanceDB embeddings."""

from handlers.proteins.listeners import register

__all__ = ["register"]

"""Catalog metadata backups to DynamoDB: status, runs, verify, restore."""

from handlers.backups.listeners import register

__all__ = ["register"]

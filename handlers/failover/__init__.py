"""EMR primary-node failover alerts from CloudWatch and EMR events."""

from handlers.failover.listeners import register

__all__ = ["register"]

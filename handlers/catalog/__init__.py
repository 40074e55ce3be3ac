"""The catalog for data consumers: find published data in DataZone and ask for it, without leaving Slack.

A request made here is an ordinary DataZone subscription request: DataZone's "Subscription Request Created" event
brings it to the subscriptions capability's intake, as one made in the portal.
"""

from bot.capability import Capability
from handlers.catalog.listeners import register
from handlers.catalog.probes import PROBES

CAPABILITY = Capability("catalog", register=register, probes=PROBES)

__all__ = ["CAPABILITY", "register"]

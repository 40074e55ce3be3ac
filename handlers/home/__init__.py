"""The App Home tab, assembled from the sections capabilities contribute."""

from bot.capability import Capability
from handlers.home.listeners import register

CAPABILITY = Capability("home", register=register)

__all__ = ["CAPABILITY", "register"]

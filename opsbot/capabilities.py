"""Every capability the bot runs, in order. Adding one is its package under handlers/ and one line here."""

from bot.capability import Capability
from handlers import audit, backups, catalog, failover, home, proteins, publishing, subscriptions

CAPABILITIES: tuple[Capability, ...] = (
    subscriptions.CAPABILITY,
    publishing.CAPABILITY,
    backups.CAPABILITY,
    failover.CAPABILITY,
    proteins.CAPABILITY,
    audit.CAPABILITY,
    catalog.CAPABILITY,
    # Home last: it lists the commands and sections the others registered.
    home.CAPABILITY,
)

"""The failover section of the Home tab: the newest open alerts and the silences in force."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.failover import blocks
from handlers.failover.store import AlertStore

# The Home tab lists this many open alerts; `/cluster alerts` pages through them all.
HOME_ALERTS = 10


def alerts_section(store: AlertStore, _user_id: str) -> list[dict[str, Any]]:
    """The same for every user: open alerts, how many in all, and the silences."""
    now = datetime.now(UTC)
    return blocks.home_alerts(store.active_page(0, HOME_ALERTS), store.count_active(), store.silences(now), now)

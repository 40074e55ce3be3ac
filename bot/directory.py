"""Slack user-group membership, cached because every guarded click asks for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = structlog.get_logger(__name__)


class GroupDirectory:
    """Resolves user-group members through `usergroups.users.list`, with a TTL cache."""

    def __init__(self, client: WebClient, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._client = client
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, group_id: str) -> frozenset[str]:
        """Members of `group_id`; empty (deny) when Slack cannot say."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached and now - cached[0] < self._ttl:
            return cached[1]
        try:
            response = self._client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            # Fail closed and do not cache, so the next click tries again.
            log.warning("usergroup_lookup_failed", usergroup=group_id, error=exc.response.get("error"))
            return frozenset()
        members = frozenset(response.get("users") or ())
        with self._lock:
            self._cache[group_id] = (now, members)
        return members

    def is_member(self, user_id: str, group_ids: tuple[str, ...]) -> bool:
        """True if the user belongs to any of the groups."""
        return any(user_id in self.members(group) for group in group_ids)

    def invalidate(self, group_id: str) -> None:
        """Forget a group (Slack said its members changed)."""
        with self._lock:
            self._cache.pop(group_id, None)

"""Slack user-group membership, answered from memory and kept fresh off the ack path."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = structlog.get_logger(__name__)

# One attempt per refresh, and a short one: the refresher does its own backoff (honouring Retry-After),
# and closing the directory must not wait behind slack_sdk's sleeping retry handler.
REFRESH_TIMEOUT_SECONDS = 5
# A TTL of 0 would trust nothing and refresh in a loop; below this the refresher would hammer Slack's
# Tier 2 limit (about 20 calls a minute) for `usergroups.users.list`.
MIN_TTL_SECONDS = 10
# After a failure other than a 429, the group is tried again after this, doubling, up to half the TTL.
FIRST_BACKOFF_SECONDS = 2
# The refresher looks at the clock at least this often, so an injected clock is honoured too.
_POLL_SECONDS = 1.0
_DEFAULT_RETRY_AFTER = 30


@dataclass
class _Entry:
    members: frozenset[str] | None = None
    fetched_at: float | None = None
    due: float = 0.0
    failures: int = 0
    refreshing: bool = False
    # Bumped by every membership change Slack announces, with the users it removed: a fetch that was already in
    # flight answers with the old list, which must not give those users back their roles.
    generation: int = 0
    removed: frozenset[str] = frozenset()


class GroupDirectory:
    """Resolves user-group members from a cache that a background thread refreshes.

    Nothing on the ack path calls Slack: `members` answers from memory. The policy's groups are loaded
    at start and refreshed every half TTL; `subteam_members_changed` drops the removed users at once and
    refreshes the group. Membership not fetched within the TTL (cold at start, or Slack failing for half
    the TTL) is unknown, and unknown means "not a member": deny by default, never allow on doubt.
    """

    def __init__(self, client: WebClient, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=REFRESH_TIMEOUT_SECONDS,
            headers=client.headers,
            retry_handlers=[],
        )
        self._ttl = max(float(ttl_seconds), MIN_TTL_SECONDS)
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        # A 429's Retry-After holds for the method as a whole, so it pauses every group.
        self._paused_until = 0.0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- the ack path: memory only ----------------------------------------------------------------

    def members(self, group_id: str) -> frozenset[str] | None:
        """Members of `group_id` as last fetched, or None when no fetch within the TTL says (refresh is queued)."""
        now = self._clock()
        with self._changed:
            entry = self._entries.get(group_id)
            if entry is None:
                # A group the policy did not name at start: watched from now on.
                self._entries[group_id] = _Entry(due=now)
                self._changed.notify_all()
                return None
            if entry.fetched_at is not None and now - entry.fetched_at < self._ttl:
                return entry.members
            return None

    def is_member(self, user_id: str, group_ids: Iterable[str]) -> bool:
        """True if the user belongs to any of the groups as far as trusted membership says."""
        return any(user_id in (self.members(group) or ()) for group in group_ids)

    def unknown(self, group_ids: Iterable[str]) -> list[str]:
        """Those of `group_ids` whose membership is not known right now."""
        return [group for group in group_ids if self.members(group) is None]

    def invalidate(self, group_id: str, removed: Iterable[str] = ()) -> None:
        """Slack said the group's members changed: forget `removed` at once, refresh the group soon."""
        with self._changed:
            entry = self._entries.setdefault(group_id, _Entry())
            if entry.members is not None:
                entry.members = entry.members - frozenset(removed)
            entry.generation += 1
            entry.removed |= frozenset(removed)
            entry.due = self._clock()
            self._changed.notify_all()

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self, group_ids: Iterable[str] = ()) -> None:
        """Load `group_ids` now (one quick attempt each), then keep every watched group fresh in the background."""
        now = self._clock()
        with self._changed:
            for group in group_ids:
                self._entries.setdefault(group, _Entry(due=now))
            cold = [group for group, entry in self._entries.items() if entry.fetched_at is None]
        for group in cold:
            # At start-up, not on the ack path. After a failure the refresher takes over with its backoff, so
            # a Slack that is down or rate-limiting delays start-up by one attempt at most.
            if not self._refresh(group):
                break
        with self._changed:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="opsbot-group-refresh", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop refreshing."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(REFRESH_TIMEOUT_SECONDS + 1)

    # -- the refresher ------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._closed:
                    return
                group = self._next_due()
                if group is None:
                    self._changed.wait(_POLL_SECONDS)
                    continue
                self._entries[group].refreshing = True
            self._refresh(group)

    def _next_due(self) -> str | None:
        now = self._clock()
        if now < self._paused_until:
            return None
        due = [(entry.due, group) for group, entry in self._entries.items() if not entry.refreshing]
        if not due:
            return None
        when, group = min(due)
        return group if when <= now else None

    def _refresh(self, group_id: str) -> bool:
        with self._changed:
            generation = self._entries.setdefault(group_id, _Entry()).generation
        try:
            response = self._client.usergroups_users_list(usergroup=group_id)
            users = response.get("users")
            if not isinstance(users, list) or not all(isinstance(user, str) for user in users):
                raise ValueError("usergroups.users.list answered without a list of user ids")
        except SlackApiError as exc:
            self._failed(group_id, exc.response.status_code, exc.response.get("error"), exc.response.headers)
            return False
        except Exception as exc:  # timeouts, dropped connections, odd answers: the refresher must live on
            self._failed(group_id, None, f"{type(exc).__name__}: {exc}", {})
            return False
        now = self._clock()
        with self._changed:
            entry = self._entries.setdefault(group_id, _Entry())
            entry.failures, entry.refreshing, entry.fetched_at = 0, False, now
            if entry.generation == generation:
                entry.members, entry.removed, entry.due = frozenset(users), frozenset(), now + self._ttl / 2
            else:
                # The group changed while this answer was on its way: keep the removals, and fetch again now.
                entry.members, entry.due = frozenset(users) - entry.removed, now
        return True

    def _failed(self, group_id: str, status: int | None, error: object, headers: object) -> None:
        now = self._clock()
        with self._changed:
            entry = self._entries.setdefault(group_id, _Entry())
            entry.refreshing = False
            entry.failures += 1
            if status == 429:
                self._paused_until = now + _retry_after(headers)
                entry.due = self._paused_until
            else:
                entry.due = now + min(FIRST_BACKOFF_SECONDS * 2 ** (entry.failures - 1), self._ttl / 2)
        # Fail closed: the group's old membership ages out at the TTL and is then unknown (deny).
        log.warning(
            "usergroup_refresh_failed", usergroup=group_id, status=status, error=error, retry_in=entry.due - now
        )


def _retry_after(headers: object) -> float:
    value = None
    if isinstance(headers, dict):
        value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        seconds = float(str(value))
    except ValueError:
        return _DEFAULT_RETRY_AFTER
    return seconds if math.isfinite(seconds) and 0 <= seconds <= 3600 else _DEFAULT_RETRY_AFTER

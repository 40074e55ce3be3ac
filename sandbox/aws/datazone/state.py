"""The emulated DataZone's state: one record store per domain, plus helpers every handler uses."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.inbox.datazone_events import CLOUDTRAIL_DETAIL_TYPE, service_event
from sandbox.aws.notifications import eventbridge_event
from sandbox.aws.restjson import not_found, validation

Record = dict[str, Any]


@dataclass
class Domain:
    """Everything one DataZone domain holds."""

    id: str
    name: str
    created_at: datetime
    projects: dict[str, Record] = field(default_factory=dict)
    memberships: dict[str, list[Record]] = field(default_factory=dict)
    users: dict[str, Record] = field(default_factory=dict)
    assets: dict[str, Record] = field(default_factory=dict)
    # Asset filters (row and column), by filter id; each names its asset.
    filters: dict[str, Record] = field(default_factory=dict)
    listings: dict[str, Record] = field(default_factory=dict)
    requests: dict[str, Record] = field(default_factory=dict)
    subscriptions: dict[str, Record] = field(default_factory=dict)
    grants: dict[str, Record] = field(default_factory=dict)
    glossaries: dict[str, Record] = field(default_factory=dict)
    terms: dict[str, Record] = field(default_factory=dict)
    form_types: dict[str, Record] = field(default_factory=dict)
    asset_types: dict[str, Record] = field(default_factory=dict)
    blueprints: dict[str, Record] = field(default_factory=dict)
    blueprint_configs: dict[str, Record] = field(default_factory=dict)
    environments: dict[str, Record] = field(default_factory=dict)
    data_sources: dict[str, Record] = field(default_factory=dict)
    runs: dict[str, Record] = field(default_factory=dict)


class State:
    """All domains, a clock, and the caller identity recorded as createdBy/updatedBy."""

    def __init__(self, clock: Callable[[], float] = time.time, caller: str = "sandbox-user", seed: int = 7) -> None:
        self.clock = clock
        self.caller = self.default_caller = caller
        # Access key id -> DataZone user id, so a request signed as a person is recorded as theirs; other
        # keys (an assumed role's) are resolved by `resolve_caller`, when the sandbox sets one.
        self.principals: dict[str, str] = {}
        self.resolve_caller: Callable[[str], str | None] = lambda _key: None
        # Seeded, so the same world gets the same ids on every start (stable demos and docs).
        self._random = random.Random(seed)
        self.domains: dict[str, Domain] = {}
        # The simulated Glue and Redshift catalogues that data source runs import from:
        # ("glue", database, "") or ("redshift", cluster, database, schema) -> [{"name", "description", "error"}].
        self.inventory: dict[tuple[str, ...], list[Record]] = {}
        self._serial = itertools.count(1)
        self.account, self.region = "123456789012", "eu-west-1"
        # Held for every API call and every background transition (a run finishing, a listing going active).
        self.lock = threading.RLock()
        # Where events go, as DataZone's go to the default bus; None keeps the emulator silent (seeding, tests).
        self.publisher: Any = None
        # The access key that signed the call being handled, for CloudTrail's userIdentity.
        self.caller_key: str | None = None
        # Its User-Agent header, which CloudTrail records as userAgent.
        self.caller_agent: str | None = None
        # Access key -> CloudTrail userIdentity for the sandbox's known people; others are derived from the key.
        self.identities: dict[str, Record] = {}
        self._pending: list[Record] = []

    # -- events ------------------------------------------------------------------------------------

    def emit(self, detail_type: str, detail: Record, resources: Iterable[str] = ()) -> None:
        """Queue an EventBridge event for the change being made; it is sent once the change is complete."""
        # Only names on AWS's published list: an emulator that invents one would teach the bot a name that never comes.
        if detail_type != CLOUDTRAIL_DETAIL_TYPE:
            service_event(detail_type)
        if self.publisher is None:
            return
        event = eventbridge_event("aws.datazone", detail_type, detail, region=self.region, account=self.account)
        event["resources"] = list(resources)
        self._pending.append(event)

    def flush(self) -> None:
        """Hand the events of a completed change to the publisher (which sends them on its own thread)."""
        events, self._pending = self._pending, []
        if self.publisher is not None:
            for event in events:
                self.publisher.publish(event)

    def discard(self) -> None:
        """Drop the events of a change that failed: DataZone announces only what happened."""
        self._pending = []

    def later(self, delay: float, transition: Callable[[], None], caller: str | None = None) -> None:
        """Run `transition` as `caller` after `delay` seconds under the lock, then send its events (when publishing)."""
        if self.publisher is None:
            # Silent emulators advance lazily when read, which needs no timer.
            return

        def run() -> None:
            with self.lock:
                self.caller, self.caller_key, self.caller_agent = caller or self.default_caller, None, None
                try:
                    transition()
                except Exception:
                    self.discard()
                    raise
                self.flush()

        # A little past due: the timer's clock and the emulator's wall clock may disagree by a hair.
        timer = threading.Timer(max(delay, 0.0) + 0.05, run)
        timer.daemon = True
        timer.start()

    def now(self) -> datetime:
        """The emulator's current time."""
        return datetime.fromtimestamp(self.clock(), UTC)

    def add_domain(self, name: str, domain_id: str | None = None) -> Domain:
        """Create a domain with the managed blueprints and table asset types (no CreateDomain here: seeded)."""
        domain = Domain(id=domain_id or f"dzd_{self.new_id()}", name=name, created_at=self.now())
        for blueprint in ("DefaultDataLake", "DefaultDataWarehouse"):
            domain.blueprints[blueprint] = {
                "id": blueprint,
                "name": blueprint,
                "provider": "Amazon DataZone",
                "provisioningProperties": {
                    "cloudFormation": {"templateUrl": f"https://example.invalid/{blueprint}.json"}
                },
            }
        for asset_type in ("amazon.datazone.GlueTableAssetType", "amazon.datazone.RedshiftTableAssetType"):
            domain.asset_types[asset_type] = {
                "domainId": domain.id,
                "name": asset_type,
                "revision": "1",
                "formsOutput": {},
                "owningProjectId": "amazon",
                "_managed": True,
            }
        self.domains[domain.id] = domain
        return domain

    def domain(self, identifier: str) -> Domain:
        """The domain, or ResourceNotFoundException."""
        try:
            return self.domains[identifier]
        except KeyError:
            raise not_found(f"Domain {identifier} not found") from None

    def new_id(self) -> str:
        """An id shaped like DataZone's ([a-zA-Z0-9_-]{1,36})."""
        return f"{self._random.getrandbits(56):014x}"

    def serial(self) -> int:
        """A number that only grows (revisions, ordering)."""
        return next(self._serial)


def find(records: dict[str, Record], identifier: str, kind: str, *, by_name: bool = False) -> Record:
    """A record by id (or by exact name), or ResourceNotFoundException."""
    record = records.get(identifier)
    if record is None and by_name:
        record = next((r for r in records.values() if r.get("name") == identifier), None)
    if record is None:
        raise not_found(f"{kind} {identifier} not found")
    return record


def page(items: list[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """One page and the token for the next; tokens are opaque offsets."""
    size = max_results or 50
    if not 1 <= size <= 50:
        raise validation("maxResults must be between 1 and 50")
    start = 0
    if next_token:
        if not next_token.startswith("p") or not next_token[1:].isdigit():
            raise validation("nextToken is not valid")
        start = int(next_token[1:])
    end = start + size
    return items[start:end], (f"p{end}" if end < len(items) else None)


def paged(key: str, items: Iterable[Any], max_results: int | None, next_token: str | None) -> Record:
    """An output with `key` holding one page, and nextToken when more remain."""
    chunk, token = page(list(items), max_results, next_token)
    return {key: chunk, "nextToken": token}


def stamp(state: State, record: Record, *, created: bool = False) -> Record:
    """Set createdAt/By on new records and updatedAt/By always."""
    now = state.now()
    if created:
        record.setdefault("createdAt", now)
        record.setdefault("createdBy", state.caller)
    record["updatedAt"] = now
    record["updatedBy"] = state.caller
    return record

"""The backup table in DynamoDB: item layout, batch writes that resend unprocessed items, reads, replicas.

One item per catalog entity: `pk = "<domain-id>#<KIND>"`, `sk = <entity id>`, with `name`, `body` (the
entity as JSON), `hash` (of the body, so a run can tell what changed without comparing bodies), `runId`
and `backedUpAt` of the run that wrote it, and `deleted` / `deletedAt` once the entity is gone from the
catalog (a tombstone: the last known body stays, so a restore to a point before the deletion is possible).
Each run also writes `pk = "<domain-id>#RUN"`, `sk = "<finished-at>#<run-id>"` and `sk = "LATEST"`, so every
region can say which run it holds without the bot's database.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from handlers.backups.catalog import Entity

BATCH = 25  # BatchWriteItem's limit
MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item limit
RETRIES = 8
_serialize, _deserialize = TypeSerializer().serialize, TypeDeserializer().deserialize


def digest(body: dict[str, Any]) -> str:
    """A stable hash of an entity's body."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


def partition(domain_id: str, kind: str) -> str:
    """The partition key of one kind of entity in one domain."""
    return f"{domain_id}#{kind}"


@dataclass(frozen=True)
class Stored:
    """What the table holds for one entity."""

    kind: str
    id: str
    name: str
    hash: str
    deleted: bool
    body: dict[str, Any] | None = None
    run_id: str = ""


@dataclass
class WriteStats:
    """Write calls made and items written, including resends of unprocessed items."""

    calls: int = 0
    items: int = 0
    resent: int = 0


class UnprocessedItems(RuntimeError):
    """DynamoDB kept refusing some items after every retry."""


@dataclass
class ReplicaHealth:
    """One region's copy of the table, as DynamoDB describes it and as the region itself answers."""

    region: str
    status: str
    description: str = ""
    items: int | None = None
    latest_run: str | None = None
    error: str | None = None


@dataclass
class TableHealth:
    """The primary region's view and each replica's."""

    region: str
    status: str
    items: int
    kms: str | None
    replicas: list[ReplicaHealth] = field(default_factory=list)


class BackupTable:
    """Reads and writes one DynamoDB backup table with the low-level client."""

    def __init__(self, dynamodb: Any, name: str, *, pause: float = 0.05) -> None:
        self.client = dynamodb
        self.name = name
        self.stats = WriteStats()
        self._pause = pause
        self._queued: list[dict[str, Any]] = []

    # -- items -------------------------------------------------------------------------------------

    def entity_item(self, domain_id: str, entity: Entity, run_id: str, at: datetime) -> dict[str, Any]:
        """The item for a live entity; ValueError when it would exceed DynamoDB's item size."""
        body = json.dumps(entity.body, sort_keys=True, default=str)
        item = {
            "pk": partition(domain_id, entity.kind),
            "sk": entity.id,
            "kind": entity.kind,
            "name": entity.name,
            "body": body,
            "hash": digest(entity.body),
            "runId": run_id,
            "backedUpAt": at.isoformat(),
            "deleted": False,
        }
        if len(body.encode()) + 1024 > MAX_ITEM_BYTES:
            raise ValueError(f"{len(body.encode())} bytes of metadata: more than a DynamoDB item holds")
        return item

    def tombstone_item(self, domain_id: str, stored: Stored, run_id: str, at: datetime) -> dict[str, Any]:
        """The item that marks an entity as deleted from the catalog, keeping its last body."""
        return {
            "pk": partition(domain_id, stored.kind),
            "sk": stored.id,
            "kind": stored.kind,
            "name": stored.name,
            "body": json.dumps(stored.body, sort_keys=True, default=str),
            "hash": stored.hash,
            "runId": run_id,
            "backedUpAt": at.isoformat(),
            "deleted": True,
            "deletedAt": at.isoformat(),
        }

    def queue(self, items: list[dict[str, Any]]) -> None:
        """Put `items` with BatchWriteItem as full batches of 25 fill up; `flush()` sends the rest."""
        self._queued.extend({"PutRequest": {"Item": {k: _serialize(v) for k, v in i.items()}}} for i in items)
        while len(self._queued) >= BATCH:
            batch, self._queued = self._queued[:BATCH], self._queued[BATCH:]
            self._send(batch)

    def flush(self) -> None:
        """Send what is queued."""
        if self._queued:
            batch, self._queued = self._queued, []
            self._send(batch)

    def write(self, items: list[dict[str, Any]]) -> None:
        """Put `items` now, 25 per BatchWriteItem call, resending unprocessed items with backoff."""
        self.queue(items)
        self.flush()

    def _send(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        for attempt in range(RETRIES):
            self.stats.calls += 1
            answer = self.client.batch_write_item(RequestItems={self.name: pending})
            left = (answer.get("UnprocessedItems") or {}).get(self.name) or []
            self.stats.items += len(pending) - len(left)
            if not left:
                return
            self.stats.resent += len(left)
            pending = left
            # DynamoDB hands items back when throttled; waiting longer each time lets capacity recover.
            time.sleep(self._pause * 2**attempt)
        raise UnprocessedItems(f"{len(pending)} items were still unprocessed after {RETRIES} attempts")

    def put(self, item: dict[str, Any]) -> None:
        """One item (event-driven backups touch one entity)."""
        self.stats.calls += 1
        self.client.put_item(TableName=self.name, Item={k: _serialize(v) for k, v in item.items()})
        self.stats.items += 1

    def stored(self, domain_id: str, kind: str, *, bodies: bool = False) -> Iterator[Stored]:
        """Every item of `kind` in `domain_id`; bodies only when asked (they are most of the bytes read)."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition(domain_id, kind)}},
        }
        if not bodies:
            params["ProjectionExpression"] = "sk, #n, #h, deleted, runId"
            params["ExpressionAttributeNames"] = {"#n": "name", "#h": "hash"}
        for page in self.client.get_paginator("query").paginate(**params):
            for raw in page["Items"]:
                item = {k: _deserialize(v) for k, v in raw.items()}
                yield Stored(
                    kind,
                    item["sk"],
                    str(item.get("name", "")),
                    str(item.get("hash", "")),
                    bool(item.get("deleted")),
                    json.loads(item["body"]) if bodies and item.get("body") else None,
                    str(item.get("runId", "")),
                )

    def get(self, domain_id: str, kind: str, entity_id: str) -> Stored | None:
        """One entity's item, with its body."""
        raw = self.client.get_item(
            TableName=self.name, Key={"pk": {"S": partition(domain_id, kind)}, "sk": {"S": entity_id}}
        )
        if "Item" not in raw:
            return None
        item = {k: _deserialize(v) for k, v in raw["Item"].items()}
        return Stored(
            kind,
            entity_id,
            str(item.get("name", "")),
            str(item.get("hash", "")),
            bool(item.get("deleted")),
            json.loads(item["body"]),
            str(item.get("runId", "")),
        )

    def mark_run(self, domain_id: str, run_id: str, finished: datetime, summary: dict[str, Any]) -> None:
        """Record the run in the table itself, so each region knows which run it holds."""
        base = {
            "pk": f"{domain_id}#RUN",
            "runId": run_id,
            "finishedAt": finished.isoformat(),
            "summary": json.dumps(summary),
        }
        self.write([{**base, "sk": f"{finished.isoformat()}#{run_id}"}, {**base, "sk": "LATEST"}])

    # -- health ------------------------------------------------------------------------------------

    def health(self, domain_id: str, regional: dict[str, Any]) -> TableHealth:
        """describe_table in the primary region, then each replica region's own view of its copy."""
        table = self.client.describe_table(TableName=self.name)["Table"]
        health = TableHealth(
            region=self.client.meta.region_name,
            status=table.get("TableStatus", "?"),
            items=int(table.get("ItemCount") or 0),
            kms=(table.get("SSEDescription") or {}).get("KMSMasterKeyArn"),
        )
        for replica in table.get("Replicas") or []:
            region = replica["RegionName"]
            view = ReplicaHealth(region, replica.get("ReplicaStatus", "?"), replica.get("ReplicaStatusDescription", ""))
            client = regional.get(region)
            if client is not None:
                try:
                    own = client.describe_table(TableName=self.name)["Table"]
                    view.items = int(own.get("ItemCount") or 0)
                    latest = client.get_item(
                        TableName=self.name, Key={"pk": {"S": f"{domain_id}#RUN"}, "sk": {"S": "LATEST"}}
                    )
                    view.latest_run = (latest.get("Item") or {}).get("runId", {}).get("S")
                except (BotoCoreError, ClientError) as exc:  # a region that does not answer is what this reports
                    view.error = str(exc)[:200]
            health.replicas.append(view)
        return health

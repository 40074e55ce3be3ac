"""DynamoDB global tables in front of moto: replicas per region, replicated writes, and replica health.

moto serves each region's tables but knows nothing of global tables: `UpdateTable(ReplicaUpdates=...)`
is refused and `DescribeTable` returns no `Replicas`. This front takes those two operations, keeps the
replication group itself, creates the replica table in its region on moto, and replays every write made
in one region of the group to the others (synchronously: the sandbox has no replication lag unless a test
asks for one). Everything else goes to moto unchanged. Tests can mark a replica unhealthy (writes then stop
reaching it, as they do for an INACCESSIBLE_ENCRYPTION_CREDENTIALS replica) and hold back items from the
next BatchWriteItem calls as UnprocessedItems, which is what DynamoDB does under throttling.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from sandbox.aws.jsonproto import forward

TARGET_PREFIX = "DynamoDB_20120810."
WRITES = frozenset({"PutItem", "DeleteItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"})
_REGION = re.compile(r"(Credential=[^/]+/\d{8}/)([a-z0-9-]+)(/dynamodb/)")
JSON = {"Content-Type": "application/x-amz-json-1.0"}


@dataclass
class Replica:
    """One region's copy of a global table."""

    region: str
    kms_key: str | None
    status: str = "ACTIVE"
    description: str = ""


@dataclass
class Group:
    """A global table: its name and every region that holds it."""

    table: str
    replicas: dict[str, Replica] = field(default_factory=dict)


def _region(headers: dict[str, str]) -> str:
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    match = _REGION.search(auth)
    return match.group(2) if match else "us-east-1"


def _in_region(headers: dict[str, str], region: str) -> dict[str, str]:
    # moto takes the region from the signature's credential scope; it does not check the signature.
    return {
        k: (_REGION.sub(rf"\g<1>{region}\g<3>", v) if k.lower() == "authorization" else v) for k, v in headers.items()
    }


def _error(code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    return 400, JSON, json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()


class GlobalTables:
    """The json-protocol front for DynamoDB: global-table operations here, the rest on moto."""

    def __init__(self, moto_url: str) -> None:
        self.moto_url = moto_url.rstrip("/")
        self.groups: dict[str, Group] = {}
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        # Items to hold back as UnprocessedItems, over the next BatchWriteItem calls.
        self.hold_back = 0
        # Operation -> error codes to answer its next calls with (AccessDeniedException, ...).
        self.faults: dict[str, list[str]] = {}

    def fail_next(self, operation: str, code: str, times: int = 1) -> None:
        """Answer the next `times` calls of `operation` with the error `code`, as DynamoDB would."""
        with self.lock:
            self.faults.setdefault(operation, []).extend([code] * times)

    def _moto(self, region: str) -> Any:
        return boto3.client(
            "dynamodb",
            region_name=region,
            endpoint_url=self.moto_url,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )

    def handle(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one DynamoDB request."""
        amz_target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
        operation = amz_target.removeprefix(TARGET_PREFIX)
        region = _region(headers)
        with self.lock:
            self.calls[operation] += 1
            faults = self.faults.get(operation)
            fault = faults.pop(0) if faults else None
        if fault is not None:
            return _error(fault, "injected by the sandbox")
        try:
            params = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return _error("SerializationException", "body is not JSON")
        if operation == "UpdateTable" and params.get("ReplicaUpdates"):
            return self._update_replicas(region, params)
        if operation == "DescribeTable":
            return self._describe(method, target, body, headers, region, params.get("TableName", ""))
        if operation == "BatchWriteItem" and self.hold_back:
            body, held = self._hold_back(params)
        else:
            held = {}
        status, reply_headers, reply = forward(self.moto_url, method, target, body, headers)
        if status == 200 and operation in WRITES:
            self._replicate(method, target, body, headers, region, params)
        if held:
            answer = json.loads(reply or b"{}")
            answer["UnprocessedItems"] = held
            reply = json.dumps(answer).encode()
        return status, reply_headers, reply

    # -- replication group -------------------------------------------------------------------------

    def _update_replicas(self, region: str, params: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        name = params["TableName"]
        primary = self._moto(region)
        try:
            table = primary.describe_table(TableName=name)["Table"]
        except primary.exceptions.ResourceNotFoundException:
            return _error("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")
        with self.lock:
            group = self.groups.setdefault(name, Group(name))
            if region not in group.replicas:
                kms = (table.get("SSEDescription") or {}).get("KMSMasterKeyArn")
                group.replicas[region] = Replica(region, kms)
        for update in params["ReplicaUpdates"]:
            if "Create" in update:
                self._create_replica(group, table, update["Create"])
            elif "Delete" in update:
                with self.lock:
                    group.replicas.pop(update["Delete"]["RegionName"], None)
        return 200, JSON, json.dumps({"TableDescription": self._with_replicas(table, region)}, default=str).encode()

    def _create_replica(self, group: Group, table: dict[str, Any], create: dict[str, Any]) -> None:
        region = create["RegionName"]
        if region in group.replicas:
            return
        client = self._moto(region)
        sse: dict[str, Any] = {"Enabled": True, "SSEType": "KMS"}
        if create.get("KMSMasterKeyId"):
            sse["KMSMasterKeyId"] = create["KMSMasterKeyId"]
        client.create_table(
            TableName=group.table,
            KeySchema=table["KeySchema"],
            AttributeDefinitions=table["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification=sse,
        )
        # A new replica starts with a copy of what the table holds.
        source = self._moto(next(iter(group.replicas)))
        for page in source.get_paginator("scan").paginate(TableName=group.table):
            for start in range(0, len(page["Items"]), 25):
                chunk = page["Items"][start : start + 25]
                client.batch_write_item(RequestItems={group.table: [{"PutRequest": {"Item": i}} for i in chunk]})
        with self.lock:
            group.replicas[region] = Replica(region, create.get("KMSMasterKeyId"))

    def set_replica_status(self, table: str, region: str, status: str, description: str = "") -> None:
        """Mark a replica unhealthy (or healthy again); writes stop reaching it while it is not ACTIVE."""
        with self.lock:
            replica = self.groups[table].replicas[region]
            replica.status, replica.description = status, description

    def _with_replicas(self, table: dict[str, Any], region: str) -> dict[str, Any]:
        group = self.groups.get(table.get("TableName", ""))
        if group is None:
            return table
        replicas = [
            {
                "RegionName": replica.region,
                "ReplicaStatus": replica.status,
                **({"ReplicaStatusDescription": replica.description} if replica.description else {}),
                **({"KMSMasterKeyId": replica.kms_key} if replica.kms_key else {}),
            }
            for name, replica in group.replicas.items()
            if name != region
        ]
        return {**table, "Replicas": replicas, "GlobalTableVersion": "2019.11.21"}

    def _describe(
        self, method: str, target: str, body: bytes, headers: dict[str, str], region: str, name: str
    ) -> tuple[int, dict[str, str], bytes]:
        status, reply_headers, reply = forward(self.moto_url, method, target, body, headers)
        if status != 200 or name not in self.groups:
            return status, reply_headers, reply
        answer = json.loads(reply)
        answer["Table"] = self._with_replicas(answer["Table"], region)
        return status, reply_headers, json.dumps(answer).encode()

    # -- writes ------------------------------------------------------------------------------------

    def _tables_written(self, params: dict[str, Any]) -> set[str]:
        if "RequestItems" in params:
            return set(params["RequestItems"])
        if "TransactItems" in params:
            return {next(iter(i.values()))["TableName"] for i in params["TransactItems"]}
        return {params.get("TableName", "")}

    def _replicate(
        self, method: str, target: str, body: bytes, headers: dict[str, str], region: str, params: dict[str, Any]
    ) -> None:
        for name in self._tables_written(params):
            group = self.groups.get(name)
            if group is None or region not in group.replicas:
                continue
            for other, replica in list(group.replicas.items()):
                if other != region and replica.status == "ACTIVE":
                    forward(self.moto_url, method, target, body, _in_region(headers, other))

    def _hold_back(self, params: dict[str, Any]) -> tuple[bytes, dict[str, list[Any]]]:
        held: dict[str, list[Any]] = {}
        for name, requests in params["RequestItems"].items():
            with self.lock:
                count = min(self.hold_back, len(requests) - 1)
                self.hold_back -= max(count, 0)
            if count > 0:
                held[name] = requests[-count:]
                params["RequestItems"][name] = requests[:-count]
        return json.dumps(params).encode(), held

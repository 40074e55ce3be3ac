"""Emulated EMR for clusters with instance fleets (moto has none); other clusters and calls go to moto."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.aws.jsonproto import FORWARD, Merge, json_error
from sandbox.aws.notifications import fleet_state_change

Record = dict[str, Any]


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


@dataclass
class FleetCluster:
    """One cluster with MASTER, CORE and TASK instance fleets and their instances."""

    record: Record
    fleets: list[Record] = field(default_factory=list)
    instances: list[Record] = field(default_factory=list)


class EmrFleets:
    """The instance-fleet clusters we own, and the EMR calls about them."""

    def __init__(self, region: str = "eu-west-1", account: str = "123456789012") -> None:
        self.region, self.account = region, account
        self.clusters: dict[str, FleetCluster] = {}
        self._serial = itertools.count(1)
        # Where EMR's state-change events go (the sandbox's event bus); None keeps the emulator silent.
        self.publisher: Any = None

    # -- seeding and fault injection (sandbox control, not AWS API) ---------------------------------

    def add_cluster(
        self, cluster_id: str, name: str, *, primaries: int = 3, core: int = 2, tags: dict[str, str] | None = None
    ) -> FleetCluster:
        """A running cluster with `primaries` primary nodes, as an HA instance-fleet cluster is."""
        created = _now()
        record = {
            "Id": cluster_id,
            "Name": name,
            "InstanceCollectionType": "INSTANCE_FLEET",
            "ReleaseLabel": "emr-7.5.0",
            "Status": {
                "State": "WAITING",
                "StateChangeReason": {"Message": "Cluster ready to run steps."},
                "Timeline": {"CreationDateTime": created, "ReadyDateTime": created},
            },
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            "ClusterArn": f"arn:aws:elasticmapreduce:{self.region}:{self.account}:cluster/{cluster_id}",
            "MasterPublicDnsName": f"ip-10-0-0-10.{self.region}.compute.internal",
            "Applications": [{"Name": "Hadoop"}, {"Name": "Spark"}, {"Name": "ZooKeeper"}],
        }
        cluster = FleetCluster(record)
        for kind, count in (("MASTER", primaries), ("CORE", core)):
            fleet_id = f"if-{kind[:4]}{next(self._serial):04d}"
            cluster.fleets.append(
                {
                    "Id": fleet_id,
                    "Name": f"{kind.title()} fleet",
                    "InstanceFleetType": kind,
                    "TargetOnDemandCapacity": count,
                    "ProvisionedOnDemandCapacity": count,
                    "Status": {"State": "RUNNING", "Timeline": {"CreationDateTime": created, "ReadyDateTime": created}},
                    "InstanceTypeSpecifications": [{"InstanceType": "m5.xlarge", "WeightedCapacity": 1}],
                }
            )
            for n in range(count):
                ip = f"10.0.{0 if kind == 'MASTER' else 1}.{10 + n}"
                cluster.instances.append(self._instance(fleet_id, ip, created))
        self.clusters[cluster_id] = cluster
        return cluster

    def _instance(self, fleet_id: str, ip: str, created: datetime, state: str = "RUNNING") -> Record:
        serial = next(self._serial)
        return {
            "Id": f"ci-{serial:013d}",
            "Ec2InstanceId": f"i-{serial:017x}",
            "InstanceFleetId": fleet_id,
            "PrivateIpAddress": ip,
            "PrivateDnsName": f"ip-{ip.replace('.', '-')}.{self.region}.compute.internal",
            "Market": "ON_DEMAND",
            "InstanceType": "m5.xlarge",
            "Status": {
                "State": state,
                "Timeline": {"CreationDateTime": created, **({"ReadyDateTime": created} if state == "RUNNING" else {})},
            },
        }

    def fail_primary(self, cluster_id: str, index: int = 0) -> tuple[Record, Record]:
        """Terminate a primary; EMR launches a replacement with the same private IP and DNS name."""
        cluster = self._cluster(cluster_id)
        master = next(f for f in cluster.fleets if f["InstanceFleetType"] == "MASTER")
        running = [
            i for i in cluster.instances if i["InstanceFleetId"] == master["Id"] and i["Status"]["State"] == "RUNNING"
        ]
        failed = running[index]
        now = _now()
        failed["Status"] = {
            "State": "TERMINATED",
            "StateChangeReason": {"Code": "INSTANCE_FAILURE", "Message": "Instance was lost"},
            "Timeline": {**failed["Status"]["Timeline"], "EndDateTime": now},
        }
        replacement = self._instance(master["Id"], failed["PrivateIpAddress"], now, state="PROVISIONING")
        cluster.instances.append(replacement)
        master["ProvisionedOnDemandCapacity"] = len(running) - 1
        # EMR resizes the primary fleet back to its target, and says so.
        master["Status"]["State"] = "RESIZING"
        self._announce(cluster, master)
        return failed, replacement

    def finish_replacement(self, cluster_id: str) -> None:
        """Replacements finish booting; the primary fleet is whole again."""
        cluster = self._cluster(cluster_id)
        for instance in cluster.instances:
            if instance["Status"]["State"] in ("PROVISIONING", "BOOTSTRAPPING"):
                instance["Status"]["State"] = "RUNNING"
                instance["Status"]["Timeline"]["ReadyDateTime"] = _now()
        for fleet in cluster.fleets:
            resized = fleet["Status"]["State"] == "RESIZING"
            fleet["ProvisionedOnDemandCapacity"] = fleet["TargetOnDemandCapacity"]
            fleet["Status"]["State"] = "RUNNING"
            if resized:
                self._announce(cluster, fleet)

    def _announce(self, cluster: FleetCluster, fleet: Record) -> None:
        if self.publisher is None:
            return
        self.publisher.publish(
            fleet_state_change(
                cluster.record["Id"],
                fleet["Id"],
                fleet["Status"]["State"],
                fleet["ProvisionedOnDemandCapacity"],
                fleet["TargetOnDemandCapacity"],
                fleet["InstanceFleetType"],
                cluster_arn=cluster.record["ClusterArn"],
            )
        )

    def _cluster(self, cluster_id: str) -> FleetCluster:
        try:
            return self.clusters[cluster_id]
        except KeyError:
            raise json_error("InvalidRequestException", f"Cluster id '{cluster_id}' is not valid.") from None

    # -- EMR API ----------------------------------------------------------------------------------

    def describe_cluster(self, ClusterId: str) -> Any:
        if ClusterId not in self.clusters:
            return FORWARD
        return {"Cluster": self.clusters[ClusterId].record}

    def list_instance_fleets(self, ClusterId: str, Marker: str | None = None) -> Any:
        if ClusterId not in self.clusters:
            # moto has no fleets: a group cluster answers as EMR does for it.
            return {"InstanceFleets": []}
        return {"InstanceFleets": self.clusters[ClusterId].fleets}

    def list_instances(self, ClusterId: str, **kw: Any) -> Any:
        if ClusterId not in self.clusters:
            return FORWARD
        cluster = self.clusters[ClusterId]
        fleets = {f["Id"]: f["InstanceFleetType"] for f in cluster.fleets}
        instances = [
            i
            for i in cluster.instances
            if (not kw.get("InstanceFleetId") or i["InstanceFleetId"] == kw["InstanceFleetId"])
            and (not kw.get("InstanceFleetType") or fleets[i["InstanceFleetId"]] == kw["InstanceFleetType"])
            and (not kw.get("InstanceStates") or i["Status"]["State"] in kw["InstanceStates"])
        ]
        if kw.get("InstanceGroupId") or kw.get("InstanceGroupTypes"):
            raise json_error("InvalidRequestException", "This cluster uses instance fleets, not instance groups.")
        return {"Instances": instances}

    def list_instance_groups(self, ClusterId: str, Marker: str | None = None) -> Any:
        if ClusterId not in self.clusters:
            return FORWARD
        raise json_error("InvalidRequestException", "Instance groups are not supported for instance fleet clusters.")

    def list_clusters(self, **kw: Any) -> Any:
        states = kw.get("ClusterStates")
        ours = [
            {
                "Id": c.record["Id"],
                "Name": c.record["Name"],
                "Status": c.record["Status"],
                "ClusterArn": c.record["ClusterArn"],
            }
            for c in self.clusters.values()
            if not states or c.record["Status"]["State"] in states
        ]
        return Merge("Clusters", ours)

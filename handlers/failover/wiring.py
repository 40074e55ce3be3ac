"""What failover's listeners, intake and sweep are built from: the ports they use, taken from the kernel once."""

from __future__ import annotations

from dataclasses import dataclass

from bot.audit import AuditLog
from bot.aws import AwsClients
from bot.directory import GroupDirectory
from bot.kernel import Kernel
from handlers.failover.cluster_info import ClusterReader
from handlers.failover.lifecycle import Lifecycle
from handlers.failover.routing import Routes
from handlers.failover.store import AlertStore


@dataclass(frozen=True)
class Failover:
    """The capability's stores, readers and ports, shared by its listeners and its scheduled sweep."""

    store: AlertStore
    lifecycle: Lifecycle
    reader: ClusterReader
    routes: Routes
    audit: AuditLog
    # On-call user groups: who may acknowledge an alert.
    groups: GroupDirectory
    # CloudWatch, for the alarms `/cluster watch` creates and `unwatch` deletes.
    aws: AwsClients
    # Where the alarms `/cluster watch` creates notify; None until an admin sets OPSBOT_ALARM_TOPIC_ARN.
    alarm_topic: str | None


def build_failover(kernel: Kernel) -> Failover:
    """The capability's objects over the kernel's ports; register and tasks each build them once."""
    return Failover(
        store=AlertStore(kernel.db),
        lifecycle=Lifecycle(kernel.db),
        reader=ClusterReader(kernel.aws),
        routes=Routes(kernel.access, kernel.settings.admin_channel),
        audit=kernel.audit,
        groups=kernel.groups,
        aws=kernel.aws,
        alarm_topic=kernel.settings.alarm_topic_arn,
    )

"""Which channel, runbook and on-call people a cluster's alerts get, from the policy's clusters section."""

from __future__ import annotations

from dataclasses import dataclass

from bot.authz import Access
from bot.policy import ClusterPolicy, People
from handlers.failover.models import Alert


@dataclass(frozen=True)
class Route:
    """Where a cluster's cards go and who answers for it."""

    channel: str | None
    runbook: str | None
    oncall: People


def route_for(
    policy: ClusterPolicy,
    cluster_id: str | None,
    name: str | None,
    tags: dict[str, str],
    fallback_channel: str | None,
) -> Route:
    """The first route matching the cluster's id, name or a tag; else the default channel (then the admin channel)."""
    for route in policy.routes:
        if route.cluster is not None:
            matched = route.cluster in (cluster_id, name)
        else:
            key, _, value = (route.tag or "").partition("=")
            matched = tags.get(key) == value
        if matched:
            return Route(route.channel, route.runbook or policy.runbook, route.oncall or policy.oncall)
    return Route(policy.default_channel or fallback_channel, policy.runbook, policy.oncall)


@dataclass(frozen=True)
class Routes:
    """The policy's cluster routes, read on each call, with the admins' channel as the last resort."""

    access: Access
    fallback_channel: str | None

    @property
    def policy(self) -> ClusterPolicy:
        """The policy's clusters section: routes, on-call people, escalation and flap windows."""
        return self.access.policy.clusters

    def for_cluster(self, cluster_id: str | None, name: str | None, tags: dict[str, str]) -> Route:
        """The route of a cluster by its id, name and tags."""
        return route_for(self.policy, cluster_id, name, tags, self.fallback_channel)

    def for_alert(self, alert: Alert) -> Route:
        """The route of an alert's cluster, by the id, name and tags it had when it opened."""
        return self.for_cluster(alert.cluster_id, alert.cluster_name, alert.facts.get("tags") or {})

    def runbook(self, alert: Alert) -> str | None:
        """The runbook an alert's card links to."""
        return self.for_alert(alert).runbook

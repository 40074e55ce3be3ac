"""Which channel, runbook and on-call people a cluster's alerts get, from the policy's clusters section."""

from __future__ import annotations

from dataclasses import dataclass

from bot.policy import ClusterPolicy, People


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

"""`opsbot doctor`'s harmless probes of the AWS actions of subscription decisions, access, revocation and leaving.

bot/doctor_probes.py says how each stays harmless.
"""

from __future__ import annotations

from typing import Any

from bot.doctor_probes import PROBE_ID, Probe, ProbeContext, Probes, datazone_call, needs_domain, needs_roles


def _assume_role(ctx: ProbeContext) -> Any:
    # Fifteen-minute credentials for each approver and requester role, used for nothing: proves both the bot's
    # permission and each role's trust policy.
    sts = ctx.client("sts")
    for role in ctx.approver_roles:
        sts.assume_role(RoleArn=role, RoleSessionName="opsbot-doctor", DurationSeconds=900)


PROBES: Probes = [
    (
        "datazone:AcceptSubscriptionRequest",
        Probe(datazone_call("accept_subscription_request", identifier=PROBE_ID), needs_domain),
    ),
    (
        "datazone:RejectSubscriptionRequest",
        Probe(datazone_call("reject_subscription_request", identifier=PROBE_ID), needs_domain),
    ),
    (
        "datazone:GetSubscriptionRequestDetails",
        Probe(datazone_call("get_subscription_request_details", identifier=PROBE_ID), needs_domain),
    ),
    (
        "datazone:ListSubscriptionRequests",
        Probe(datazone_call("list_subscription_requests", status="PENDING", maxResults=1), needs_domain),
    ),
    ("datazone:GetUserProfile", Probe(datazone_call("get_user_profile", userIdentifier=PROBE_ID), needs_domain)),
    ("datazone:GetSubscription", Probe(datazone_call("get_subscription", identifier=PROBE_ID), needs_domain)),
    ("datazone:ListSubscriptions", Probe(datazone_call("list_subscriptions", maxResults=1), needs_domain)),
    ("datazone:ListSubscriptionGrants", Probe(datazone_call("list_subscription_grants", maxResults=1), needs_domain)),
    ("datazone:RevokeSubscription", Probe(datazone_call("revoke_subscription", identifier=PROBE_ID), needs_domain)),
    ("datazone:SearchListings", Probe(datazone_call("search_listings", maxResults=1), needs_domain)),
    # Scoped approval: the filters an approver may grant instead of the whole asset
    (
        "datazone:ListAssetFilters",
        Probe(datazone_call("list_asset_filters", assetIdentifier=PROBE_ID, maxResults=1), needs_domain),
    ),
    # A consumer's own: the projects they are a member of, and giving their project's subscription back
    (
        "datazone:CancelSubscription",
        Probe(datazone_call("cancel_subscription", identifier=PROBE_ID), needs_domain),
    ),
    ("datazone:ListProjects", Probe(datazone_call("list_projects", maxResults=1), needs_domain)),
    (
        "datazone:ListProjectMemberships",
        Probe(datazone_call("list_project_memberships", projectIdentifier=PROBE_ID, maxResults=1), needs_domain),
    ),
    # Deciding subscription requests as the approver's own role, asking as the requester's
    ("sts:AssumeRole", Probe(_assume_role, needs_roles, note="assumed each approver and requester role for 15 min")),
]

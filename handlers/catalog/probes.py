"""`opsbot doctor`'s harmless probes of the AWS actions /catalog calls that no other capability probes.

bot/doctor_probes.py says how each stays harmless. SearchListings, GetAsset, GetProject, ListProjects, GetUserProfile,
ListProjectMemberships, ListSubscriptions, ListSubscriptionRequests and sts:AssumeRole are probed by the
subscriptions and publishing capabilities already.
"""

from __future__ import annotations

from bot.doctor_probes import PROBE_ID, Probe, Probes, datazone_call, needs_domain

PROBES: Probes = [
    ("datazone:GetListing", Probe(datazone_call("get_listing", identifier=PROBE_ID), needs_domain)),
    (
        "datazone:CreateSubscriptionRequest",
        Probe(
            datazone_call(
                "create_subscription_request",
                subscribedPrincipals=[{"project": {"identifier": PROBE_ID}}],
                subscribedListings=[{"identifier": PROBE_ID}],
                requestReason="opsbot doctor probe",
            ),
            needs_domain,
        ),
    ),
]

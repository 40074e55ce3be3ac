"""The events DataZone sends to EventBridge for each state change, and the CloudTrail events of its API writes.

Names: AWS's EventBridge reference "Amazon DataZone events"
(https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-datazone.html) and the user guide's "Amazon DataZone
events and notifications" (https://docs.aws.amazon.com/datazone/latest/userguide/working-with-events-and-notifications.html).

Detail shapes: DataZone publishes one sample event, "Subscription Request Created", in that user guide page:
`detail = {version, metadata: {domain, user, id, version, typeName, owningProjectId, awsAccountId, clientToken},
data: {autoApproved, requesterId, status, subscribedListings: [{id, ownerProjectId, version}],
subscribedPrincipals: [{id, type}]}}`. Two more shapes appear in AWS's own guidance code:
- "Subscription Created": AWS's data-fabric guidance code (an Apache-2.0 "Copyright Amazon.com" events/models.ts,
  DataZoneSubscriptionEventDetail): `metadata {id, version, domain, user, awsAccountId, owningProjectId}`,
  `data {status, subscribedListing {id, ownerProjectId, version}, subscribedPrincipal {id, type},
  subscriptionRequestId}`;
- "Data Source Run Succeeded/Failed": aws-solutions-library-samples/guidance-for-data-fabric-on-aws,
  typescript/packages/libraries/events/src (dataSourceRunStateChangeDetail): `metadata {id, version, typeName,
  domain, awsAccountId}`, `data {dataSourceId, dataSourceRunType}`.
Every other detail is unpublished: those events carry the documented minimum, `metadata` with the entity's id, the
domain, the account, the acting user and a version, and an empty `data`, so a consumer must fetch the entity.
`typeName` values are published only for subscription requests ("SubscriptionRequestEntityType"); elsewhere it is
left out rather than guessed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.aws.datazone.state import Domain, Record, State

# The API operations whose names say they change nothing: CloudTrail marks them readOnly, and EventBridge delivers
# read-only management events only to rules that opt in, so the emulator does not send them.
READ_ONLY_PREFIXES = ("Get", "List", "Search", "BatchGet")


def _version(record: Record) -> str:
    # Each entity's own change counter, as metadata.version ("1" for a new request in the sample).
    record["_eventVersion"] = record.get("_eventVersion", 0) + 1
    return str(record["_eventVersion"])


def _detail(state: State, domain: Domain, record: Record, entity_id: str, data: Record, **metadata: Any) -> Record:
    return {
        "version": str(state.serial()),
        "metadata": {
            "domain": domain.id,
            "user": state.caller,
            "id": entity_id,
            "version": _version(record),
            "awsAccountId": state.account,
            **{k: v for k, v in metadata.items() if v is not None},
        },
        "data": data,
    }


def _principal(principal: Record) -> Record:
    # The sample shows {"id": <project id>, "type": "PROJECT"}; the other kinds follow the API's union members.
    kind, value = next(iter(principal.items()))
    ident = value.get("id") or value.get("principalArn") or ""
    return {"id": ident, "type": kind.upper()}


def _listing_ref(listing: Record) -> Record:
    return {"id": listing["id"], "ownerProjectId": listing["ownerProjectId"], "version": listing["revision"]}


def _arn(state: State, domain: Domain, kind: str, ident: str) -> str:
    return f"arn:aws:datazone:{state.region}:{state.account}:domain/{domain.id}/{kind}/{ident}"


# -- subscriptions ------------------------------------------------------------------------------------------------


def subscription_request(state: State, domain: Domain, request: Record, detail_type: str, **metadata: Any) -> None:
    """ "Subscription Request Created/Accepted/Rejected/Deleted": the published sample's shape, status as it is now."""
    principals = request["subscribedPrincipals"]
    owning = next((p["project"]["id"] for p in principals if "project" in p), None)
    data = {
        # The emulator has no auto-approval rules: every request waits for a decision.
        "autoApproved": False,
        "requesterId": request["createdBy"],
        "status": request["status"],
        "subscribedListings": [_listing_ref(listing) for listing in request["subscribedListings"]],
        "subscribedPrincipals": [_principal(p) for p in principals],
    }
    detail = _detail(
        state,
        domain,
        request,
        request["id"],
        data,
        typeName="SubscriptionRequestEntityType",
        owningProjectId=owning,
        **metadata,
    )
    state.emit(detail_type, detail)


def subscription(state: State, domain: Domain, subscription: Record, detail_type: str) -> None:
    """ "Subscription Created/Revoked/Cancelled", in the shape AWS's data-fabric guidance reads."""
    principal = subscription["subscribedPrincipal"]
    data = {
        "status": subscription["status"],
        "subscribedListing": _listing_ref(subscription["subscribedListing"]),
        "subscribedPrincipal": _principal(principal),
        "subscriptionRequestId": subscription["subscriptionRequestId"],
    }
    owning = (principal.get("project") or {}).get("id")
    state.emit(detail_type, _detail(state, domain, subscription, subscription["id"], data, owningProjectId=owning))


def minimal(state: State, domain: Domain, record: Record, entity_id: str, detail_type: str, **metadata: Any) -> None:
    """An event whose detail AWS does not publish: the documented minimum, ids in metadata and an empty data."""
    state.emit(detail_type, _detail(state, domain, record, entity_id, {}, **metadata))


def data_source_run(state: State, domain: Domain, run: Record, detail_type: str) -> None:
    """ "Data Source Run Triggered/Succeeded/Failed", in the shape AWS's data-fabric guidance reads."""
    data = {"dataSourceId": run["dataSourceId"], "dataSourceRunType": run["type"]}
    state.emit(detail_type, _detail(state, domain, run, run["id"], data))


def run_outcome(status: str) -> str:
    """The event a finished run sends; a partly imported run has succeeded as a run (unverified: not published)."""
    return "Data Source Run Failed" if status == "FAILED" else "Data Source Run Succeeded"


# -- CloudTrail ---------------------------------------------------------------------------------------------------


def is_write(operation: str) -> bool:
    """Whether CloudTrail records `operation` as a mutating management event (delivered to EventBridge)."""
    return not operation.startswith(READ_ONLY_PREFIXES)


def user_identity(state: State) -> Record:
    """CloudTrail's userIdentity for the access key that signed the call."""
    key = state.caller_key or ""
    known = state.identities.get(key)
    if known is not None:
        return {**known, "accessKeyId": key}
    arn = state.resolve_caller(key) if key.startswith("ASIA") else None
    if arn:
        # An assumed-role session: arn:aws:sts::<account>:assumed-role/<role>/<session>.
        role, _, session = arn.split(":assumed-role/", 1)[-1].partition("/")
        return {
            "type": "AssumedRole",
            "principalId": f"AROA{role.upper()[:17]}:{session}",
            "arn": arn,
            "accountId": state.account,
            "accessKeyId": key,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": f"AROA{role.upper()[:17]}",
                    "arn": f"arn:aws:iam::{state.account}:role/{role}",
                    "accountId": state.account,
                    "userName": role,
                }
            },
        }
    return {
        "type": "IAMUser",
        "principalId": f"AIDA{key[4:]}" if key else "AIDASANDBOX",
        "arn": f"arn:aws:iam::{state.account}:user/sandbox",
        "accountId": state.account,
        "accessKeyId": key,
        "userName": "sandbox",
    }


def cloudtrail_call(state: State, operation: str, request: Record, response: Record | None) -> None:
    """ "AWS API Call via CloudTrail" for a successful write, with the record fields CloudTrail documents.

    Fields: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
    Pattern fields: the EventBridge reference's "Amazon DataZone events delivered via AWS CloudTrail"
    (source aws.datazone, detail.eventSource datazone.amazonaws.com, detail.eventName the API action).
    """
    detail = {
        "eventVersion": "1.09",
        "userIdentity": user_identity(state),
        "eventTime": state.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "datazone.amazonaws.com",
        "eventName": operation,
        "awsRegion": state.region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": state.caller_agent or "datazone.amazonaws.com",
        "requestParameters": request,
        "responseElements": response or None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": state.account,
        "eventCategory": "Management",
    }
    state.emit("AWS API Call via CloudTrail", detail)


__all__ = [
    "cloudtrail_call",
    "data_source_run",
    "is_write",
    "minimal",
    "run_outcome",
    "subscription",
    "subscription_request",
]

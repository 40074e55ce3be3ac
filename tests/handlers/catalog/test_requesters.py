"""A request made with /catalog keeps its requester: no approving your own, and the outcome reaches whoever asked.

DataZone records such a request as created by the bot (or a session on the requester's role), which the policy's
`people` map cannot name; the bot's own record of who asked is what the subscriptions side goes by.
"""

from sandbox.runtime import ADMIN, ANALYST, APPROVER
from sandbox.world import DOMAIN_ID
from tests.handlers.catalog.helpers import catalog, reply, requests_for, settle_pending
from tests.handlers.subscriptions.helpers import command, event, status
from tests.harness import eventually


def _asked_by_catalog(bot, user, asset):
    settle_pending(bot, asset)
    catalog(bot, f"request {asset} for the quarterly review", user)
    reply(bot, lambda text: "is in DataZone" in text)
    (created,) = requests_for(bot, asset)
    bot["inbox"].handle(event(created["id"]))
    return created["id"]


def test_an_approver_cannot_approve_what_she_asked_for_with_catalog(bot):
    # Alice approves for the owning project and is made a contributor of the consumer project too.
    bot["dz"].create_project_membership(
        domainIdentifier=DOMAIN_ID,
        projectIdentifier=bot["box"].world.consumer_project,
        member={"userIdentifier": "usr_alice"},
        designation="PROJECT_CONTRIBUTOR",
    )
    request_id = _asked_by_catalog(bot, APPROVER, "customer_pii")
    command(bot, f"approve {request_id} looks fine", APPROVER)
    refused = reply(bot, lambda text: "asked for this access" in text).body["text"]
    assert "another approver has to decide it" in refused
    assert status(bot, request_id)["status"] == "PENDING"
    assert bot["deps"].audit.recent(action="subscriptions.decide")[0].result == "denied"
    # Someone else may decide (rejected, so the consumer project can still ask for it in the next test).
    command(bot, f"reject {request_id} not this quarter", ADMIN)
    eventually(lambda: status(bot, request_id)["status"] == "REJECTED")


def test_the_requester_of_a_catalog_request_is_told_the_outcome(bot):
    request_id = _asked_by_catalog(bot, ANALYST, "customer_pii")
    # The sandbox approves confidential data in two steps: the producer's approver, then data protection (Ada).
    command(bot, f"approve {request_id} fine by sales", APPROVER)
    reply(bot, lambda text: "You approved step 1 of 2" in text)
    assert status(bot, request_id)["status"] == "PENDING"
    command(bot, f"approve {request_id} fine for the campaign", ADMIN)
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    told = bot["box"].slack.wait_for(
        "chat.postMessage", lambda c: c.body.get("channel") == ANALYST and "accepted" in c.body.get("text", "")
    )
    assert "fine for the campaign" in told.body["text"] and "<@U0ADA>" in told.body["text"]

"""Shared steps of the backup tests."""

import json

from sandbox.world import BACKUP_TABLE, DOMAIN_ID


def items(bot, kind, region=None):
    """Items of `kind` in the backup table, by entity id, as plain dicts."""
    client = bot["box"].client("dynamodb", region=region) if region else bot["ddb"]
    found = {}
    pages = client.get_paginator("query").paginate(
        TableName=BACKUP_TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"{DOMAIN_ID}#{kind}"}},
    )
    for page in pages:
        for item in page["Items"]:
            found[item["sk"]["S"]] = {
                "body": json.loads(item["body"]["S"]),
                "deleted": item["deleted"]["BOOL"],
                "runId": item["runId"]["S"],
            }
    return found


def state(bot, domain=DOMAIN_ID):
    """The emulated DataZone's state of a domain (for planting what the API would refuse)."""
    return bot["box"].datazone_service.handlers.state.domains[domain]


def command(bot, text, user):
    """`/backup <text>` as `user`, with a response_url."""
    return bot["driver"].command("/backup", text, user=user, response_url=bot["box"].slack.response_url())


def reply(bot, predicate):
    """The next response_url reply whose JSON satisfies `predicate`."""
    return bot["box"].slack.wait_for("response_url", lambda c: predicate(json.dumps(c.body)))

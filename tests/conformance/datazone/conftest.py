"""The app on a sandbox of its own, and the SQS consumer on the sandbox's events queue: the production path."""

import pytest

from bot.inbox.consumer import SqsConsumer
from handlers.backups.service import BackupService
from sandbox.runtime import start_sandbox
from sandbox.world import BACKUP_TABLE
from tests.handlers.subscriptions.helpers import bot as app_bot  # noqa: F401  (the shared app fixture)


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("datazone-conformance"))
    # The published samples are what is under test: the emulator's own events for the same changes stay out.
    sandbox.events.enabled = False
    yield sandbox
    sandbox.stop()


@pytest.fixture
def bot(app_bot, box):  # noqa: F811  (pytest injects the fixture by name)
    """The app, its backup service, and a consumer reading the events queue as `opsbot run` does."""
    ddb = box.client("dynamodb")
    for page in ddb.get_paginator("scan").paginate(TableName=BACKUP_TABLE, ProjectionExpression="pk, sk"):
        for item in page["Items"]:
            ddb.delete_item(TableName=BACKUP_TABLE, Key=item)
    deps = app_bot["deps"]
    consumer = SqsConsumer(deps.aws.client("sqs"), box.world.queue_url, app_bot["inbox"], deps.metrics, wait_seconds=1)
    return {**app_bot, "service": BackupService.of(deps.kernel), "ddb": ddb, "consumer": consumer}

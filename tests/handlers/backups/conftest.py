"""Fixtures of the backup tests: a sandbox per module, and the app wired to it per test."""

import pytest

from handlers.backups.service import BackupService
from sandbox.runtime import start_sandbox
from tests.handlers.subscriptions.helpers import bot as app_bot  # noqa: F401  (the shared app fixture)


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("backups"))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def bot(app_bot, box):  # noqa: F811  (pytest injects the fixture by name)
    """The app on the sandbox (the shared fixture) with an empty backup table and the backup service."""
    _empty_table(box)
    box.global_tables.hold_back = 0
    return {**app_bot, "service": BackupService.of(app_bot["deps"].kernel), "ddb": box.client("dynamodb")}


@pytest.fixture
def leading(bot):
    """The bot's scheduler resumed, as on the replica that leads: what /backup queues runs."""
    bot["scheduler"].resume()
    return bot


def _empty_table(box):
    from sandbox.world import BACKUP_TABLE

    client = box.client("dynamodb")
    for page in client.get_paginator("scan").paginate(TableName=BACKUP_TABLE, ProjectionExpression="pk, sk"):
        for item in page["Items"]:
            client.delete_item(TableName=BACKUP_TABLE, Key=item)

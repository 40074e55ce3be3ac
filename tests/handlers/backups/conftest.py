"""Fixtures of the backup tests: a sandbox per module, and the app wired to it per test."""

import pytest

from bot.app import build_app
from bot.deps import build_deps
from bot.inbox.service import build_inbox
from bot.settings import load_settings
from handlers.backups.service import BackupService
from sandbox.runtime import SIGNING_SECRET, start_sandbox
from sandbox.slack_requests import SlackRequests
from scheduler import bound_tasks, build_scheduler
from tests.harness import BoltDriver


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("backups"))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def bot(box, tmp_path, monkeypatch):
    """The app on the sandbox with a fresh database and an empty backup table."""
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    deps = build_deps(settings)
    deps.db.migrate()
    scheduler = build_scheduler(deps.db, bound_tasks(deps))
    scheduler.start(paused=True)
    deps.jobs.attach(scheduler)
    _empty_table(box)
    box.global_tables.hold_back = 0
    app = build_app(settings, deps)
    box.slack.reset()
    yield {
        "deps": deps,
        "service": BackupService(deps),
        "inbox": build_inbox(deps),
        "driver": BoltDriver(app, SlackRequests(SIGNING_SECRET)),
        "dz": box.client("datazone"),
        "ddb": box.client("dynamodb"),
        "box": box,
        "scheduler": scheduler,
        "settings": settings,
    }
    if scheduler.running:
        scheduler.shutdown(wait=False)
    deps.close()


def _empty_table(box):
    from sandbox.world import BACKUP_TABLE

    client = box.client("dynamodb")
    for page in client.get_paginator("scan").paginate(TableName=BACKUP_TABLE, ProjectionExpression="pk, sk"):
        for item in page["Items"]:
            client.delete_item(TableName=BACKUP_TABLE, Key=item)

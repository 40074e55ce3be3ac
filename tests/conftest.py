"""Fixtures every test can use: a fake Slack, settings, a migrated database, deps and the app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import botocore.handlers
import pytest

from bot.app import build_app
from bot.db import Database
from bot.deps import Deps, build_deps
from bot.logs import configure_logging
from bot.policy import Policy
from bot.settings import Settings, load_settings
from opsbot.capabilities import CAPABILITIES
from sandbox.slack import FakeSlack, Workspace, last_sequence
from sandbox.slack_requests import SlackRequests
from tests import aws_calls
from tests.harness import SIGNING_SECRET, BoltDriver, free_port, postgres_database

POSTGRES_URL = os.environ.get("OPSBOT_TEST_POSTGRES_URL")

ADMIN = "U0ADMIN"
ALICE = "U0ALICE"  # approver of prj_sales by name
BOB = "U0BOB"  # approver of prj_sales through the user group
MALLORY = "U0MALLORY"  # no role at all

POLICY = Policy.model_validate(
    {
        "admins": {"users": [ADMIN]},
        "projects": {
            "prj_sales": {
                "name": "Sales producer",
                "channel": "C0SALES",
                "approvers": {"users": [ALICE], "usergroups": ["S0APPROVERS"]},
            },
        },
    }
)

_ENV = [
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own Slack or OPSBOT_* variables."""
    for name in [*_ENV, *[n for n in os.environ if n.startswith("OPSBOT_")]]:
        monkeypatch.delenv(name, raising=False)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked aws_calls judge what the whole run recorded, so they run after everything else."""
    items.sort(key=lambda item: item.get_closest_marker("aws_calls") is not None)
    tests_dir = Path(__file__).parent
    roots = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    if not roots <= {tests_dir, tests_dir.parent}:
        aws_calls.COVERAGE.update(whole_suite=False, why_not="only " + ", ".join(config.args) + " collected")


def pytest_deselected(items: list[pytest.Item]) -> None:
    """A deselected test (-k, -m, --lf, --deselect) may be the only one making some AWS call."""
    if items:
        aws_calls.COVERAGE.update(whole_suite=False, why_not=f"{len(items)} tests deselected")


@pytest.fixture(scope="session", autouse=True)
def _record_aws_calls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every botocore session made from here on, here or in a subprocess, records the bot clients' operations."""
    botocore.handlers.BUILTIN_HANDLERS.append(aws_calls.HANDLER)
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", aws_calls.SUBPROCESS_DIR_VARIABLE)}
    os.environ.update(aws_calls.subprocess_environment(tmp_path_factory.mktemp("aws-calls")))
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    botocore.handlers.BUILTIN_HANDLERS.remove(aws_calls.HANDLER)


# Variables the bot and boto3 read: one left behind by a module points every later test at its stopped servers.
_CONFIGURATION_PREFIXES = ("AWS_", "OPSBOT_", "SLACK_")


@pytest.fixture(scope="module", autouse=True)
def _no_configuration_leaks() -> Iterator[None]:
    """A module leaves the process's AWS, Slack and opsbot variables as it found them (checked after its own
    module-scoped fixtures, such as a sandbox, are torn down)."""
    before = {k: v for k, v in os.environ.items() if k.startswith(_CONFIGURATION_PREFIXES)}
    yield
    after = {k: v for k, v in os.environ.items() if k.startswith(_CONFIGURATION_PREFIXES)}
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"this module left environment variables changed: {changed}"


@pytest.fixture(scope="session", autouse=True)
def _logging() -> None:
    """Route structlog through the standard library, as in production, so caplog sees it."""
    configure_logging("INFO", "console")


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto in server mode on a free port, for tests that need DynamoDB, SQS, SNS, STS and the like."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


# Channels the tests' policies and requests name; the bot is in each of them.
CHANNELS = ("C0SALES", "C0GENERAL")


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack) -> FakeSlack:
    """The fake Slack Web API, emptied: the tests' users, one user group, the bot in the tests' channels."""
    fake_slack_server.reset()
    workspace = Workspace(usergroups={"S0APPROVERS": [BOB]})
    workspace.join(*CHANNELS)
    for user in (ADMIN, ALICE, BOB, MALLORY):
        workspace.add_user(user)
    fake_slack_server.workspace = workspace
    return fake_slack_server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slack_refusals(*errors): the fake Slack may refuse calls with these errors (any, when none)"
    )


@pytest.fixture(autouse=True)
def _no_unexpected_slack_refusals(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test fails when any fake Slack refused (or warned about) a call it did not declare it expected."""
    markers = list(request.node.iter_markers("slack_refusals"))
    allowed = {error for marker in markers for error in marker.args}
    start = last_sequence()
    yield
    unexpected = [
        str(refusal)
        for fake in FakeSlack.running()
        for refusal in [*fake.forgotten, *fake.refused, *fake.warned]
        if refusal.seq > start
        and not refusal.injected
        and not refusal.expected
        and not (markers and (not allowed or refusal.error in allowed))
    ]
    if unexpected:
        pytest.fail("Slack refused calls this test did not expect:\n  " + "\n  ".join(unexpected), pytrace=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database: SQLite always, PostgreSQL when OPSBOT_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path / 'opsbot.db'}")
        db.migrate(CAPABILITIES)
        yield db
        db.close()
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL: OPSBOT_TEST_POSTGRES_URL is not set")
    with postgres_database(POSTGRES_URL) as db:
        db.migrate(CAPABILITIES)
        yield db


@pytest.fixture
def settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    """HTTP-mode settings pointing at the fake Slack and a fresh SQLite file."""
    return load_settings(
        _env_file=None,
        slack_bot_token=fake_slack.bot_token,
        slack_app_token=fake_slack.app_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'opsbot.db'}",
        aws_region="eu-west-1",
        listener_workers=4,
    )


@pytest.fixture
def deps(settings: Settings, database: Database) -> Iterator[Deps]:
    """Real deps over the fake Slack and the parametrised database."""
    built = build_deps(settings, policy=POLICY, db=database)
    yield built
    built.executor.shutdown(wait=True)
    built.groups.close()


@pytest.fixture
def sqlite_deps(settings: Settings) -> Iterator[Deps]:
    """Deps on SQLite only, for tests that are not about the database."""
    built = build_deps(settings, policy=POLICY)
    built.db.migrate(CAPABILITIES)
    yield built
    built.close()


@pytest.fixture
def requests_(fake_slack: FakeSlack) -> SlackRequests:
    return SlackRequests(SIGNING_SECRET, response_url=fake_slack.response_url())


@pytest.fixture
def slack(settings: Settings, sqlite_deps: Deps, requests_: SlackRequests) -> BoltDriver:
    """The real app on SQLite, driven by signed requests."""
    return BoltDriver(build_app(settings, sqlite_deps, CAPABILITIES), requests_)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not POSTGRES_URL:
        terminalreporter.write_sep(
            "!", "PostgreSQL tests SKIPPED: set OPSBOT_TEST_POSTGRES_URL to run them", red=True, bold=True
        )

"""`opsbot doctor`: check settings, policy, database, Slack, AWS resources and permissions, and say what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import botocore.exceptions
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import doctor_probes as probes
from bot import doctor_resources as resources
from bot.aws import PROBE_APPID, AwsClients
from bot.capability import Capability
from bot.db import Database, migration_config
from bot.policy import PolicyError, load_policy
from bot.settings import Mode, Settings
from bot.slack_client import build_slack_client
from bot.wording import count


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    # PASS or FAIL follow `ok`; WARN and SKIP lines are ok (they never fail the run) but say so.
    status: str = ""

    @property
    def label(self) -> str:
        """PASS, WARN, SKIP or FAIL."""
        return self.status or ("PASS" if self.ok else "FAIL")

    @classmethod
    def of(cls, name: str, status: str, detail: str) -> Check:
        """A check from a status word."""
        return cls(name, status != "FAIL", detail, "" if status in ("PASS", "FAIL") else status)


def check_mode(settings: Settings, mode: Mode) -> Check:
    """The settings of the mode that will run; the other mode's are not this deployment's concern."""
    missing = settings.missing_for(mode)
    return Check(f"settings for {mode} mode", not missing, "ready" if not missing else "needs " + ", ".join(missing))


def check_policy(settings: Settings) -> Check:
    """The policy file parses."""
    if settings.config is None:
        return Check("policy file", True, "none (OPSBOT_CONFIG unset): nobody is admin or approver")
    try:
        policy = load_policy(settings.config)
    except PolicyError as exc:
        return Check("policy file", False, str(exc))
    return Check(
        "policy file",
        True,
        f"{count(len(policy.admins.users), 'admin user')}, {count(len(policy.projects), 'project')}",
    )


def check_database(settings: Settings, capabilities: Sequence[Capability]) -> Check:
    """The database answers and its schema is current: at the head of the kernel's branch and of every
    branch `capabilities` bring."""
    db = Database.from_url(settings.database_url)
    path = db.engine.url.database
    if db.engine.dialect.name == "sqlite" and path and path != ":memory:" and not Path(path).exists():
        # Connecting would create an empty file; say what is missing instead.
        return Check("database", False, f"no database at {path}: run `opsbot db upgrade`")
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        script = ScriptDirectory.from_config(migration_config(capabilities))
        expected = set(script.get_heads())
        # Alembic stores no row for a head another branch's revision depends on (a capability's branch that
        # depends_on the kernel's head): what is applied is every revision the stored ones stand on.
        applied = {revision.revision for revision in script.revision_map.iterate_revisions(tuple(current), "base")}
    except Exception as exc:
        return Check("database", False, f"{type(exc).__name__}: {exc}")
    finally:
        db.close()
    if not expected <= applied:
        return Check(
            "database",
            False,
            f"schema at {_revisions(current)}, code expects {_revisions(expected)}: run `opsbot db upgrade`",
        )
    return Check("database", True, f"schema at {_revisions(expected)}")


def _revisions(heads: set[str]) -> str:
    return ", ".join(sorted(heads)) or "no revision"


def check_slack(settings: Settings, mode: Mode) -> list[Check]:
    """The bot token works (auth.test); in Socket Mode the app token works too (apps.connections.open)."""
    if settings.slack_bot_token is None:
        return [Check("Slack bot token", False, "SLACK_BOT_TOKEN not set")]
    checks = []
    try:
        auth = build_slack_client(settings).auth_test()
        checks.append(Check("Slack bot token", True, f"bot {auth.get('user')} in team {auth.get('team')}"))
    except SlackApiError as exc:
        checks.append(Check("Slack bot token", False, f"auth.test: {exc.response.get('error')}"))
    except OSError as exc:
        checks.append(Check("Slack bot token", False, f"cannot reach {settings.slack_api_url}: {exc}"))
    if mode == "socket" and settings.slack_app_token is not None:
        try:
            WebClient(base_url=settings.slack_api_url).apps_connections_open(
                app_token=settings.slack_app_token.get_secret_value()
            )
            checks.append(Check("Slack app token", True, "Socket Mode connections can be opened"))
        except (SlackApiError, OSError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
            checks.append(Check("Slack app token", False, f"apps.connections.open: {error}"))
    return checks


def check_aws(settings: Settings) -> Check:
    """AWS credentials resolve to an identity."""
    try:
        identity = AwsClients(settings.aws_region).client("sts").get_caller_identity()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        return Check("AWS identity", False, str(exc))
    region = settings.aws_region or "unset (AWS_REGION)"
    return Check("AWS identity", True, f"{identity['Arn']} (account {identity['Account']}), region {region}")


def _policy_roles(settings: Settings) -> list[str]:
    # Every role the bot assumes for someone: approvers decide as theirs, requesters ask as theirs.
    if settings.config is None:
        return []
    try:
        subscriptions = load_policy(settings.config).subscriptions
        return sorted({*subscriptions.approver_roles.values(), *subscriptions.requester_roles.values()})
    except PolicyError:
        return []  # check_policy reports it


def check_aws_resources(settings: Settings, capabilities: Sequence[Capability]) -> list[Check]:
    """The events queue and topics (the kernel's), then each capability's own resources."""
    aws = AwsClients(settings.aws_region)
    queue, queue_arn = resources.check_queue(settings, aws)
    findings = [*queue, *resources.check_topics(settings, aws, queue_arn)]
    with resources.checking_reads(capabilities):
        for capability in capabilities:
            try:
                findings += capability.doctor(settings, aws)
            except Exception as exc:  # one capability's broken check must not hide the rest of the report
                findings.append(resources.failed(f"{capability.name} resources", exc))
    return [Check.of(f.name, f.status, f.detail) for f in findings]


def check_permissions(settings: Settings, capabilities: Sequence[Capability]) -> list[Check]:
    """Each IAM action the bot uses, probed harmlessly against the live account."""
    aws = AwsClients(settings.aws_region, app_id=PROBE_APPID)
    context = probes.probe_context(settings, aws, _policy_roles(settings))
    outcomes = probes.run_probes(context, probes.permission_probes(capabilities))
    return [Check.of(f"permission {action}", o.status, o.detail) for action, o in outcomes.items()]


def run_checks(settings: Settings, capabilities: Sequence[Capability], mode: Mode = "socket") -> list[Check]:
    """Every check for running in `mode`, in the order a person would fix them."""
    aws = check_aws(settings)
    checks = [
        check_mode(settings, mode),
        check_policy(settings),
        check_database(settings, capabilities),
        *check_slack(settings, mode),
        aws,
    ]
    if not aws.ok:
        return [*checks, Check.of("AWS resources and permissions", "SKIP", "skipped: no AWS identity")]
    return [*checks, *check_aws_resources(settings, capabilities), *check_permissions(settings, capabilities)]

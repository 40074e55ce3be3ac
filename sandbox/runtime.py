"""The whole sandbox in one process: fake Slack, moto, our AWS emulators, the seeded world, the policy file."""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
import yaml

from bot.deps import Deps, build_deps
from bot.settings import Settings, load_settings
from opsbot.capabilities import CAPABILITIES
from sandbox.aws.datazone import datazone_service
from sandbox.aws.dynamodb_global import GlobalTables
from sandbox.aws.emr import EmrFleets
from sandbox.aws.eventbus import EventPublisher
from sandbox.aws.jsonproto import JsonService
from sandbox.aws.restjson import EmulatorServer
from sandbox.aws.sts import StsRecorder
from sandbox.proteins import build_sample_database
from sandbox.slack_api import FakeSlack
from sandbox.world import (
    ACCESS_IDENTITIES,
    ACCESS_KEYS,
    ACCOUNT,
    ALICE_SSO,
    APPROVER_ROLE,
    BACKUP_TABLE,
    CLUSTER_ID,
    CLUSTER_NAME,
    DOMAIN_ID,
    MARIA_ARN,
    PROTEIN_BUCKET,
    REDSHIFT_SECRET_ARN,
    REGION,
    REPLICA_REGION,
    World,
    event_rules,
    seed_aws,
    seed_datazone,
)

SIGNING_SECRET = "sandbox-signing-secret"
ADMIN, APPROVER, ANALYST = "U0ADA", "U0ALICE", "U0MARIA"
USERS = {
    ADMIN: {"id": ADMIN, "name": "ada", "real_name": "Ada (platform admin)"},
    APPROVER: {"id": APPROVER, "name": "alice", "real_name": "Alice (sales data owner)"},
    ANALYST: {"id": ANALYST, "name": "maria", "real_name": "Maria (marketing analyst)"},
}
APPROVERS_GROUP = "S0SALESLEADS"
ONCALL_GROUP = "S0DATAONCALL"
# The data protection office: Ada, the second step of a confidential request's approval chain.
DATA_PROTECTION_GROUP = "S0DATAPROTECT"
RUNBOOK = "https://runbooks.example.com/emr/primary-failover"
SALES_CHANNEL, ADMIN_CHANNEL = "C0SALESDATA", "C0DATAPLATFORM"
# Where the console types its slash commands.
CONSOLE_CHANNEL = "C0CONSOLE"
PORTAL_HOST = f"{DOMAIN_ID}.datazone.{REGION}.on.aws"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Sandbox:
    """Running stand-ins for Slack and AWS, seeded; `env()` points opsbot (or any boto3 program) at them."""

    slack: FakeSlack
    moto: Any
    moto_url: str
    datazone: EmulatorServer
    datazone_service: Any
    emr: EmulatorServer
    emr_fleets: EmrFleets
    sts: EmulatorServer
    sts_recorder: StsRecorder
    world: World
    policy_path: Path
    # The sample protein database: an `s3://` prefix in moto (the default, as production keeps it) or a
    # directory, and LanceDB's storage options for it.
    proteins: str
    protein_storage: dict[str, str]
    dynamodb: EmulatorServer | None = None
    global_tables: GlobalTables | None = None
    # DataZone's and EMR's events on their way to the events queue; `events.enabled = False` silences them.
    events: EventPublisher | None = None
    # What `bot_deps` replaced in os.environ, put back by `stop()`: a stopped sandbox's endpoints left behind
    # would send the next boto3 client in this process to a port nothing listens on.
    _environ_before: dict[str, str | None] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """Environment variables for `opsbot run` against this sandbox."""
        return {
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_APP_TOKEN": self.slack.app_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ENDPOINT_URL_DATAZONE": self.datazone.url,
            "AWS_ENDPOINT_URL_EMR": self.emr.url,
            "AWS_ENDPOINT_URL_STS": self.sts.url,
            **({"AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.url} if self.dynamodb else {}),
            "OPSBOT_BACKUP_TABLE": BACKUP_TABLE,
            "OPSBOT_BACKUP_REPLICA_REGIONS": REPLICA_REGION,
            "OPSBOT_CONFIG": str(self.policy_path),
            "OPSBOT_DATAZONE_DOMAIN_ID": self.world.domain_id,
            # The portal host GetDomain's portalUrl names: links to it unfurl into the listing's card.
            "OPSBOT_DATAZONE_PORTAL_HOST": PORTAL_HOST,
            "OPSBOT_ADMIN_CHANNEL": ADMIN_CHANNEL,
            "OPSBOT_EVENTS_QUEUE_URL": self.world.queue_url,
            "OPSBOT_SNS_TOPIC_ARNS": self.world.topic_arn,
            "OPSBOT_PROTEIN_DB": self.proteins,
            **({"OPSBOT_PROTEIN_STORAGE_OPTIONS": json.dumps(self.protein_storage)} if self.protein_storage else {}),
            "OPSBOT_ALARM_TOPIC_ARN": self.world.topic_arn,
        }

    def client(self, service: str, as_user: str | None = None, region: str = REGION) -> Any:
        """A boto3 client for `service` on the sandbox's endpoints; `as_user` ("maria", "alice") signs as them."""
        endpoints = {"datazone": self.datazone.url, "emr": self.emr.url, "sts": self.sts.url}
        if self.dynamodb is not None:
            endpoints["dynamodb"] = self.dynamodb.url
        endpoint = endpoints.get(service, self.moto_url)
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEYS[as_user] if as_user else "sandbox",
            aws_secret_access_key="sandbox",
        )

    def bot_deps(self, workdir: Path, **env: str) -> tuple[Settings, Deps]:
        """Settings and migrated deps of a bot on this sandbox, its SQLite database in `workdir`; `env` overrides."""
        overrides = {**self.env(), **env}
        for name in overrides:
            self._environ_before.setdefault(name, os.environ.get(name))
        os.environ.update(overrides)  # boto3 reads AWS_ENDPOINT_URL* from the environment
        settings = load_settings(_env_file=None, database_url=f"sqlite:///{workdir / 'opsbot.db'}")
        deps = build_deps(settings)
        deps.db.migrate(CAPABILITIES)
        return settings, deps

    def stop(self) -> None:
        """Stop every server."""
        if self.events is not None:
            self.events.stop()
        self.datazone.stop()
        self.emr.stop()
        self.sts.stop()
        if self.dynamodb is not None:
            self.dynamodb.stop()
        self.moto.stop()
        self.slack.stop()
        for name, value in self._environ_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._environ_before.clear()


def _write_policy(path: Path, world: World) -> None:
    policy = {
        "admins": {"users": [ADMIN]},
        "projects": {
            world.producer_project: {
                "name": "Sales producer",
                "channel": SALES_CHANNEL,
                "approvers": {"users": [APPROVER], "usergroups": [APPROVERS_GROUP]},
            }
        },
        "people": {ANALYST: [MARIA_ARN], APPROVER: [ALICE_SSO]},
        "subscriptions": {
            # Alice decides with her own IAM role, so DataZone (and CloudTrail) record her, not the bot.
            "approver_roles": {APPROVER: APPROVER_ROLE},
            # Confidential data is approved in two steps: the producer's approvers, then data protection.
            "rules": {
                "public": "auto_approve",
                "internal": "auto_approve",
                "confidential": {
                    "route": "review",
                    "steps": [
                        {"project_approvers": True},
                        {"label": "data protection", "approvers": {"usergroups": [DATA_PROTECTION_GROUP]}},
                    ],
                },
            },
            # Confidential access is reviewed every 90 days: approvers have 14 to answer (a reminder 3 days before
            # the deadline), and what nobody vouched for by then is revoked.
            "reviews": {
                "confidential": {"every_days": 90, "answer_days": 14, "remind_before_days": 3, "unanswered": "revoke"}
            },
        },
        "clusters": {
            "default_channel": ADMIN_CHANNEL,
            "runbook": RUNBOOK,
            "oncall": {"usergroups": [ONCALL_GROUP]},
            "escalation_minutes": 15,
            "routes": [{"tag": "team=sales", "channel": SALES_CHANNEL}],
        },
        "publishing": {"redshift_secret_arn": REDSHIFT_SECRET_ARN},
    }
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")


def start_sandbox(workdir: Path, proteins_on: Literal["s3", "local"] = "s3") -> Sandbox:
    """Start and seed everything; the policy file is written into `workdir`, and the protein database into
    moto's S3 (or, with `proteins_on="local"`, into `workdir`)."""
    try:
        from sandbox.aws.moto_server import MotoServer, lance_storage_options
    except ImportError:
        raise SystemExit("the sandbox needs moto: pip install 'opsbot[sandbox]' (make test installs it)") from None
    # moto's server logs every request through werkzeug; the console has its own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    slack = FakeSlack().start()
    slack.workspace.users.update(USERS)
    # The bot was invited to the world's channels; a post anywhere else is refused as Slack would.
    slack.workspace.add_channel(SALES_CHANNEL, "sales-data")
    slack.workspace.add_channel(ADMIN_CHANNEL, "data-platform")
    slack.workspace.add_channel(CONSOLE_CHANNEL, "console")
    slack.workspace.usergroups[APPROVERS_GROUP] = [APPROVER]
    slack.workspace.usergroups[ONCALL_GROUP] = [APPROVER]
    slack.workspace.usergroups[DATA_PROTECTION_GROUP] = [ADMIN]
    port = free_port()
    moto = MotoServer(port).start()
    moto_url = moto.url
    # moto keeps its state per process, shared by every server in it: a new sandbox starts empty.
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).read()
    service = datazone_service()
    datazone = EmulatorServer(service.handle).start()
    fleets = EmrFleets(REGION, ACCOUNT)
    fleets.add_cluster(CLUSTER_ID, CLUSTER_NAME, tags={"opsbot:channel": SALES_CHANNEL, "team": "sales"})
    emr = EmulatorServer(JsonService("emr", fleets, moto_url).handle).start()
    world = World()
    seed_datazone(service.handlers.state, world)
    if proteins_on == "s3":
        s3 = boto3.client(
            "s3",
            region_name=REGION,
            endpoint_url=moto_url,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        s3.create_bucket(Bucket=PROTEIN_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        protein_storage = lance_storage_options(moto_url, REGION)
        proteins = build_sample_database(f"s3://{PROTEIN_BUCKET}/proteins", workdir, protein_storage)
    else:
        protein_storage = {}
        proteins = build_sample_database(str(workdir / "proteins.lance"), workdir)
    recorder = StsRecorder(moto_url, REGION)
    sts = EmulatorServer(recorder.handle).start()
    service.handlers.state.resolve_caller = recorder.principal
    sandbox = Sandbox(
        slack,
        moto,
        moto_url,
        datazone,
        service,
        emr,
        fleets,
        sts,
        recorder,
        world,
        workdir / "opsbot-policy.yml",
        proteins,
        protein_storage,
    )
    sandbox.global_tables = GlobalTables(moto_url)
    sandbox.dynamodb = EmulatorServer(sandbox.global_tables.handle).start()
    seed_aws(sandbox.client, world)
    # The seeded world is history: only changes from here on reach the queue, as from a rule created now.
    sandbox.events = EventPublisher(sandbox.client("sqs"), world.queue_url, event_rules(world.domain_id))
    state = service.handlers.state
    state.identities.update(ACCESS_IDENTITIES)
    state.publisher = fleets.publisher = sandbox.events
    _write_policy(sandbox.policy_path, world)
    return sandbox


__all__ = ["ACCOUNT", "ADMIN", "ANALYST", "APPROVER", "Sandbox", "start_sandbox"]

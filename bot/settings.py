"""Settings from the environment (and a .env file), validated at start-up."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Mode = Literal["socket", "http"]


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Everything opsbot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True, frozen=True)

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    aws_region: str | None = Field(None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))

    database_url: str = Field("sqlite:///opsbot.db", validation_alias=_env("OPSBOT_DATABASE_URL"))
    config: Path | None = Field(None, validation_alias=_env("OPSBOT_CONFIG"))
    host: str = Field("0.0.0.0", validation_alias=_env("OPSBOT_HOST"))
    port: int = Field(3000, ge=1, le=65535, validation_alias=_env("OPSBOT_PORT"))
    # Listeners block on AWS and Slack I/O, not CPU: threads are cheap, and Slack's per-channel
    # rate limits, not this pool, bound how fast messages go out.
    listener_workers: int = Field(16, ge=1, le=256, validation_alias=_env("OPSBOT_LISTENER_WORKERS"))
    log_format: Literal["json", "console"] = Field("json", validation_alias=_env("OPSBOT_LOG_FORMAT"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", validation_alias=_env("OPSBOT_LOG_LEVEL"))
    datazone_domain_id: str | None = Field(
        None, pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$", validation_alias=_env("OPSBOT_DATAZONE_DOMAIN_ID")
    )
    # The DataZone (or SageMaker Unified Studio) portal's host, e.g. dzd_abc.datazone.eu-west-1.on.aws (GetDomain's
    # portalUrl): links to it that are pasted in Slack unfurl into the listing's card. Without it, none do.
    datazone_portal_host: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]{1,253}$", validation_alias=_env("OPSBOT_DATAZONE_PORTAL_HOST")
    )
    # Where cards go for projects the policy gives no channel, and where admins hear about problems.
    admin_channel: str | None = Field(
        None, pattern=r"^[CG][A-Z0-9]{2,}$", validation_alias=_env("OPSBOT_ADMIN_CHANNEL")
    )
    events_queue_url: str | None = Field(None, validation_alias=_env("OPSBOT_EVENTS_QUEUE_URL"))
    sns_topic_arns: str = Field("", validation_alias=_env("OPSBOT_SNS_TOPIC_ARNS"))
    # The action of the alarms `/cluster watch` creates: an SNS topic that delivers to the events queue.
    alarm_topic_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$",
        validation_alias=_env("OPSBOT_ALARM_TOPIC_ARN"),
    )
    # SQS allows 1-20 s; the longest wait costs fewest requests, the shortest stops fastest.
    sqs_wait_seconds: int = Field(20, ge=1, le=20, validation_alias=_env("OPSBOT_SQS_WAIT_SECONDS"))
    # The scheduler leader renews every third of this; a crashed leader is replaced within it.
    scheduler_lease_seconds: int = Field(30, ge=3, le=600, validation_alias=_env("OPSBOT_SCHEDULER_LEASE_SECONDS"))
    group_cache_seconds: int = Field(300, ge=0, le=86400, validation_alias=_env("OPSBOT_GROUP_CACHE_SECONDS"))
    # The protein database: a LanceDB directory or s3:// prefix of bucket tables (opsbot proteins ingest).
    protein_db: str | None = Field(None, min_length=1, validation_alias=_env("OPSBOT_PROTEIN_DB"))
    # JSON object of LanceDB storage options for s3:// databases, e.g. {"timeout": "120s"}.
    protein_storage_options: str = Field("", validation_alias=_env("OPSBOT_PROTEIN_STORAGE_OPTIONS"))
    # `kmer-hash-v1` (offline) or a local transformer model directory; must be what made the vectors.
    protein_embedder: str = Field("kmer-hash-v1", min_length=1, validation_alias=_env("OPSBOT_PROTEIN_EMBEDDER"))
    # Defaults that bench/proteins.py shows reach recall@10 >= 0.95 (users may override per query).
    protein_nprobes: int = Field(20, ge=1, le=100_000, validation_alias=_env("OPSBOT_PROTEIN_NPROBES"))
    # Unset: each bucket re-ranks as its index type needs (handlers/proteins); set, it applies to every bucket.
    protein_refine_factor: int | None = Field(
        None, ge=1, le=1000, validation_alias=_env("OPSBOT_PROTEIN_REFINE_FACTOR")
    )
    # LanceDB's index and metadata caches of the process that queries, in MiB: what a query would otherwise read
    # again from object storage each time (centroids, probed PQ partitions, manifests, file footers).
    protein_cache_mb: int = Field(1024, ge=0, le=1_048_576, validation_alias=_env("OPSBOT_PROTEIN_CACHE_MB"))
    # Where per-bucket ingest, index builds and the query fan-out run: this process, or Ray (the `ray` extra).
    protein_executor: Literal["local", "ray"] = Field("local", validation_alias=_env("OPSBOT_PROTEIN_EXECUTOR"))
    # A Ray cluster's address (e.g. ray://head:10001 or auto); empty starts a Ray instance on this machine.
    protein_ray_address: str = Field("", validation_alias=_env("OPSBOT_PROTEIN_RAY_ADDRESS"))
    # Catalog backups: the DynamoDB global table, its replica regions, the RPO, and when runs happen.
    backup_table: str | None = Field(
        None, pattern=r"^[a-zA-Z0-9_.-]{3,255}$", validation_alias=_env("OPSBOT_BACKUP_TABLE")
    )
    backup_replica_regions: str = Field("", validation_alias=_env("OPSBOT_BACKUP_REPLICA_REGIONS"))
    backup_rpo_minutes: int = Field(240, ge=1, le=10080, validation_alias=_env("OPSBOT_BACKUP_RPO_MINUTES"))
    backup_full_cron: str = Field("0 2 * * *", validation_alias=_env("OPSBOT_BACKUP_FULL_CRON"))
    backup_incremental_minutes: int = Field(
        60, ge=0, le=10080, validation_alias=_env("OPSBOT_BACKUP_INCREMENTAL_MINUTES")
    )
    backup_projects: str = Field("", validation_alias=_env("OPSBOT_BACKUP_PROJECTS"))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("config")
    @classmethod
    def _config_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no policy file at {value}")
        return value

    @field_validator("events_queue_url")
    @classmethod
    def _queue_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)")
        return value

    @field_validator("sns_topic_arns")
    @classmethod
    def _topic_arns(cls, value: str) -> str:
        for arn in filter(None, (part.strip() for part in value.split(","))):
            if not arn.startswith("arn:aws") or arn.count(":") != 5 or not arn.split(":")[2] == "sns":
                raise ValueError(f"{arn!r} is not an SNS topic ARN")
        return value

    @field_validator("protein_storage_options")
    @classmethod
    def _storage_options(cls, value: str) -> str:
        if value.strip():
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError('must be a JSON object such as {"timeout": "120s"}') from None
            if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
                raise ValueError("must be a JSON object of string values")
        return value

    @property
    def protein_storage(self) -> dict[str, str]:
        """LanceDB storage options for the protein database."""
        return json.loads(self.protein_storage_options) if self.protein_storage_options.strip() else {}

    @field_validator("backup_replica_regions")
    @classmethod
    def _regions(cls, value: str) -> str:
        for region in filter(None, (part.strip() for part in value.split(","))):
            if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
                raise ValueError(f"{region!r} is not an AWS region such as eu-central-1")
        return value

    @field_validator("backup_full_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"must be a crontab line such as '0 2 * * *' ({exc})") from None
        return value

    @field_validator("backup_projects")
    @classmethod
    def _projects(cls, value: str) -> str:
        for project in filter(None, (part.strip() for part in value.split(","))):
            if not re.fullmatch(r"[a-zA-Z0-9_-]{1,36}", project):
                raise ValueError(f"{project!r} is not a DataZone project id")
        return value

    @property
    def replica_regions(self) -> list[str]:
        """The backup table's replica regions."""
        return [part.strip() for part in self.backup_replica_regions.split(",") if part.strip()]

    @property
    def backup_project_ids(self) -> list[str]:
        """Projects whose catalog is backed up; empty means every project."""
        return [part.strip() for part in self.backup_projects.split(",") if part.strip()]

    @property
    def topics(self) -> frozenset[str]:
        """The SNS topics whose HTTPS deliveries are accepted."""
        return frozenset(filter(None, (part.strip() for part in self.sns_topic_arns.split(","))))

    def missing_for(self, mode: Mode) -> list[str]:
        """Names of the variables that `mode` needs and that are not set."""
        needed = {"SLACK_BOT_TOKEN": self.slack_bot_token}
        if mode == "socket":
            needed["SLACK_APP_TOKEN"] = self.slack_app_token
        else:
            needed["SLACK_SIGNING_SECRET"] = self.slack_signing_secret
        return [name for name, value in needed.items() if value is None]

    def require(self, mode: Mode) -> Settings:
        """Raise SettingsError naming each variable that `mode` needs and lacks."""
        missing = self.missing_for(mode)
        if missing:
            raise SettingsError(f"{mode} mode needs " + ", ".join(f"{name} (not set)" for name in missing))
        return self

    @property
    def bot_token(self) -> str:
        """The bot token; start-up has already required it."""
        if self.slack_bot_token is None:
            raise SettingsError("SLACK_BOT_TOKEN is not set")
        return self.slack_bot_token.get_secret_value()

    @property
    def app_token(self) -> str:
        """The app-level token of Socket Mode; start-up has already required it."""
        if self.slack_app_token is None:
            raise SettingsError("SLACK_APP_TOKEN is not set")
        return self.slack_app_token.get_secret_value()


_ALIASES = {
    # Every field is declared with _env(...), an AliasChoices whose first choice is the variable's name.
    name: field.validation_alias.choices[0]  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


# Read by the test suite, not by the bot; known so that a developer's shell does not warn about it.
_TEST_VARIABLES = frozenset({"OPSBOT_TEST_POSTGRES_URL"})


def unknown_variables(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> list[str]:
    """One warning per OPSBOT_* variable (environment or .env) that names no setting, with the closest known one.

    Settings ignore unknown names (so a .env can hold other tools' variables); a misspelt OPSBOT_ one would otherwise
    leave its setting at the default without a word.
    """
    names = set(os.environ if environ is None else environ)
    if env_file is not None and env_file.is_file():
        names |= {name for name in dotenv_values(env_file) if name}
    known = {alias for alias in _ALIASES.values() if isinstance(alias, str) and alias.startswith("OPSBOT_")}
    warnings = []
    for name in sorted(n for n in names if n.startswith("OPSBOT_") and n not in known | _TEST_VARIABLES):
        closest = get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {closest[0]}?" if closest else ""
        warnings.append(f"{name} is not an opsbot setting and is ignored{hint}")
    return warnings


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one message that names each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates each override
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            variable = _ALIASES.get(field, field)
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{variable}: {message}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None

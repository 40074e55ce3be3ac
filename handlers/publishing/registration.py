"""Registering Redshift and Glue tables as DataZone data sources: blueprint, environment, data source, run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from bot.aws import AwsClients, missing_means
from bot.errors import BadInput, Conflict

Kind = Literal["GLUE", "REDSHIFT"]
BLUEPRINTS: dict[str, str] = {"GLUE": "DefaultDataLake", "REDSHIFT": "DefaultDataWarehouse"}


@dataclass(frozen=True)
class SchemaFilter:
    """One schema (or Glue database) and the table and view name patterns to import; empty means all."""

    schema: str
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registration:
    """What to register: a Glue database, or a Redshift cluster's database with its schemas."""

    kind: Kind
    database: str
    schemas: tuple[SchemaFilter, ...]
    cluster: str | None = None

    @property
    def source_name(self) -> str:
        """The data source's name: the same registration always finds the same data source."""
        if self.kind == "GLUE":
            return f"opsbot-glue-{self.database}"
        return f"opsbot-redshift-{self.cluster}-{self.database}"

    @property
    def label(self) -> str:
        """How people write it."""
        if self.kind == "GLUE":
            return f"Glue {self.database}"
        return f"Redshift {self.cluster}/{self.database}"


@dataclass
class Outcome:
    """What a registration found, created, changed, and the run it started."""

    project_id: str
    environment_id: str
    data_source_id: str
    run_id: str
    steps: list[str] = field(default_factory=list)
    created_environment: bool = False
    created_source: bool = False


def _filters(registration: Registration) -> list[dict[str, Any]]:
    configs = []
    for spec in registration.schemas:
        expressions = [{"type": "INCLUDE", "expression": name} for name in spec.include] or [
            {"type": "INCLUDE", "expression": "*"}
        ]
        config: dict[str, Any] = {"databaseName": registration.database, "filterExpressions": expressions}
        if registration.kind == "REDSHIFT":
            config["schemaName"] = spec.schema
        configs.append(config)
    return configs


class Registrar:
    """Runs the registration workflow against DataZone; every step finds before it creates."""

    def __init__(self, aws: AwsClients, region: str) -> None:
        self._aws = aws
        self._region = region

    @property
    def _dz(self) -> Any:
        return self._aws.client("datazone")

    def register(
        self,
        domain_id: str,
        project_id: str,
        registration: Registration,
        *,
        secret_arn: str | None,
        publish_on_import: bool,
        progress: Callable[[str], None] = lambda _line: None,
    ) -> Outcome:
        """Blueprint enabled, environment and data source found or created (or updated), then a run started."""
        if registration.kind == "REDSHIFT" and not secret_arn:
            raise BadInput(
                "Redshift registration needs the credentials' Secrets Manager ARN: an admin sets "
                "publishing.redshift_secret_arn in the policy file."
            )
        blueprint = self._blueprint(domain_id, registration.kind)
        progress(f"Blueprint {BLUEPRINTS[registration.kind]} is enabled in {self._region}.")
        environment, created_env = self._environment(domain_id, project_id, registration.kind, blueprint)
        progress(f"{'Created' if created_env else 'Found'} environment {environment['name']} (`{environment['id']}`).")
        source, verb = self._data_source(
            domain_id, project_id, environment["id"], registration, secret_arn, publish_on_import
        )
        progress(f"{verb} data source {registration.source_name} (`{source['id']}`).")
        run = self._start(domain_id, source["id"])
        progress(f"Started run `{run['id']}`.")
        return Outcome(
            project_id=project_id,
            environment_id=environment["id"],
            data_source_id=source["id"],
            run_id=run["id"],
            created_environment=created_env,
            created_source=verb == "Created",
        )

    def _blueprint(self, domain_id: str, kind: Kind) -> str:
        name = BLUEPRINTS[kind]
        items = [
            b
            for page in self._dz.get_paginator("list_environment_blueprints").paginate(
                domainIdentifier=domain_id, name=name, managed=True
            )
            for b in page.get("items") or []
            if b.get("name") == name
        ]
        if not items:
            raise BadInput(f"The domain has no {name} blueprint.")
        blueprint_id = items[0]["id"]
        try:
            config = self._dz.get_environment_blueprint_configuration(
                domainIdentifier=domain_id, environmentBlueprintIdentifier=blueprint_id
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            config = {}
        regions = list(config.get("enabledRegions") or [])
        if self._region not in regions:
            extra = {key: config[key] for key in ("provisioningRoleArn", "manageAccessRoleArn") if config.get(key)}
            self._dz.put_environment_blueprint_configuration(
                domainIdentifier=domain_id,
                environmentBlueprintIdentifier=blueprint_id,
                enabledRegions=[*regions, self._region],
                **extra,
            )
        return blueprint_id

    def _environment(self, domain_id: str, project_id: str, kind: Kind, blueprint_id: str) -> tuple[dict, bool]:
        name = f"opsbot-{BLUEPRINTS[kind]}"
        with missing_means(f"No DataZone project {project_id}: check publishing.project in the policy file."):
            for page in self._dz.get_paginator("list_environments").paginate(
                domainIdentifier=domain_id, projectIdentifier=project_id, environmentBlueprintIdentifier=blueprint_id
            ):
                for environment in page.get("items") or []:
                    if environment.get("status", "ACTIVE") == "ACTIVE":
                        return environment, False
            created = self._dz.create_environment(
                domainIdentifier=domain_id,
                projectIdentifier=project_id,
                name=name,
                environmentBlueprintIdentifier=blueprint_id,
                environmentAccountRegion=self._region,
                description="Data source environment created by opsbot",
            )
        return created, True

    def _configuration(self, registration: Registration, secret_arn: str | None) -> dict[str, Any]:
        filters = _filters(registration)
        if registration.kind == "GLUE":
            return {"glueRunConfiguration": {"relationalFilterConfigurations": filters}}
        return {
            "redshiftRunConfiguration": {
                "relationalFilterConfigurations": filters,
                "redshiftCredentialConfiguration": {"secretManagerArn": secret_arn},
                "redshiftStorage": {"redshiftClusterSource": {"clusterName": registration.cluster}},
            }
        }

    def _data_source(
        self,
        domain_id: str,
        project_id: str,
        environment_id: str,
        registration: Registration,
        secret_arn: str | None,
        publish_on_import: bool,
    ) -> tuple[dict, str]:
        configuration = self._configuration(registration, secret_arn)
        existing = [
            s
            for page in self._dz.get_paginator("list_data_sources").paginate(
                domainIdentifier=domain_id, projectIdentifier=project_id, name=registration.source_name
            )
            for s in page.get("items") or []
            if s.get("name") == registration.source_name
        ]
        if existing:
            source_id = existing[0]["dataSourceId"]
            current = self._dz.get_data_source(domainIdentifier=domain_id, identifier=source_id)
            configuration = _merged(current.get("configuration"), configuration)
            if (
                _same(current.get("configuration"), configuration)
                and current.get("publishOnImport") == publish_on_import
            ):
                return current, "Found"
            updated = self._dz.update_data_source(
                domainIdentifier=domain_id,
                identifier=source_id,
                configuration=configuration,
                publishOnImport=publish_on_import,
            )
            return updated, "Updated"
        created = self._dz.create_data_source(
            domainIdentifier=domain_id,
            projectIdentifier=project_id,
            environmentIdentifier=environment_id,
            name=registration.source_name,
            type=registration.kind,
            description=f"{registration.label}, registered by opsbot",
            configuration=configuration,
            publishOnImport=publish_on_import,
            enableSetting="ENABLED",
        )
        return created, "Created"

    def _start(self, domain_id: str, source_id: str) -> dict[str, Any]:
        try:
            return self._dz.start_data_source_run(domainIdentifier=domain_id, dataSourceIdentifier=source_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConflictException":
                raise Conflict(
                    f"Data source `{source_id}` already has a run in progress; `/publish status` shows it."
                ) from None
            raise


def _same(current: Any, wanted: dict[str, Any]) -> bool:
    # DataZone echoes the configuration with extra fields (account, region): compare what we set.
    if not isinstance(current, dict):
        return False
    for key, value in wanted.items():
        have = current.get(key) or {}
        if any(have.get(k) != v for k, v in value.items()):
            return False
    return True


def _merged(current: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    # Registering one schema keeps the filters of the data source's other schemas.
    ((key, run),) = wanted.items()
    old = ((current or {}).get(key) or {}).get("relationalFilterConfigurations") or []
    named = {(f["databaseName"], f.get("schemaName")) for f in run["relationalFilterConfigurations"]}
    kept = [f for f in old if (f.get("databaseName"), f.get("schemaName")) not in named]
    return {key: {**run, "relationalFilterConfigurations": [*kept, *run["relationalFilterConfigurations"]]}}

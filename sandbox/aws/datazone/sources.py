"""Emulated DataZone environments, blueprints and data sources, whose runs import a simulated inventory."""

from __future__ import annotations

import fnmatch
from typing import Any

from sandbox.aws.datazone import events
from sandbox.aws.datazone.state import Domain, Record, State, find, paged, stamp
from sandbox.aws.restjson import conflict, validation

BLUEPRINTS = {"DefaultDataLake": "GLUE", "DefaultDataWarehouse": "REDSHIFT"}
ASSET_TYPES = {"GLUE": "amazon.datazone.GlueTableAssetType", "REDSHIFT": "amazon.datazone.RedshiftTableAssetType"}


def _included(name: str, expressions: list[Record]) -> bool:
    includes = [e["expression"] for e in expressions if e["type"] == "INCLUDE"] or ["*"]
    excludes = [e["expression"] for e in expressions if e["type"] == "EXCLUDE"]
    return any(fnmatch.fnmatchcase(name, p) for p in includes) and not any(
        fnmatch.fnmatchcase(name, p) for p in excludes
    )


class SourceHandlers:
    """Blueprints and their configuration, environments, data sources and their runs and activities."""

    run_seconds = 0.2

    def __init__(self, state: State) -> None:
        self.state = state

    # -- blueprints and environments ---------------------------------------------------------------

    def list_environment_blueprints(self, domainIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        items = [b for b in domain.blueprints.values() if not kw.get("name") or b["name"] == kw["name"]]
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    def get_environment_blueprint_configuration(
        self, domainIdentifier: str, environmentBlueprintIdentifier: str
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        find(domain.blueprints, environmentBlueprintIdentifier, "Environment blueprint")
        return find(domain.blueprint_configs, environmentBlueprintIdentifier, "Blueprint configuration")

    def put_environment_blueprint_configuration(
        self, domainIdentifier: str, environmentBlueprintIdentifier: str, enabledRegions: list[str], **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        find(domain.blueprints, environmentBlueprintIdentifier, "Environment blueprint")
        config = stamp(
            self.state,
            {
                "domainId": domain.id,
                "environmentBlueprintId": environmentBlueprintIdentifier,
                "enabledRegions": enabledRegions,
                "provisioningRoleArn": kw.get("provisioningRoleArn"),
                "manageAccessRoleArn": kw.get("manageAccessRoleArn"),
            },
            created=True,
        )
        domain.blueprint_configs[environmentBlueprintIdentifier] = config
        return config

    def create_environment(self, domainIdentifier: str, projectIdentifier: str, name: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, projectIdentifier, "Project")
        blueprint_id = kw.get("environmentBlueprintIdentifier")
        if not blueprint_id:
            raise validation("environmentBlueprintIdentifier is required in this emulator")
        blueprint = find(domain.blueprints, blueprint_id, "Environment blueprint")
        config = domain.blueprint_configs.get(blueprint_id)
        region = kw.get("environmentAccountRegion") or "eu-west-1"
        if config is None or region not in config.get("enabledRegions", []):
            raise validation(f"Blueprint {blueprint['name']} is not enabled in {region}")
        if any(e["name"] == name and e["projectId"] == project["id"] for e in domain.environments.values()):
            raise conflict(f"Project {project['name']} already has an environment named {name}")
        environment = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "projectId": project["id"],
                "name": name,
                "description": kw.get("description"),
                "provider": "Amazon DataZone",
                "status": "ACTIVE",
                "awsAccountId": kw.get("environmentAccountIdentifier") or "123456789012",
                "awsAccountRegion": region,
                "environmentBlueprintId": blueprint_id,
            },
            created=True,
        )
        domain.environments[environment["id"]] = environment
        # The emulator deploys at once: started and completed together.
        for detail_type in ("Environment Deployment Started", "Environment Deployment Completed"):
            events.minimal(self.state, domain, environment, environment["id"], detail_type, projectId=project["id"])
        return environment

    def get_environment(self, domainIdentifier: str, identifier: str) -> Record:
        return find(self.state.domain(domainIdentifier).environments, identifier, "Environment")

    def list_environments(self, domainIdentifier: str, projectIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        items = [
            e
            for e in domain.environments.values()
            if e["projectId"] == projectIdentifier
            and (
                not kw.get("environmentBlueprintIdentifier")
                or e["environmentBlueprintId"] == kw["environmentBlueprintIdentifier"]
            )
            and (not kw.get("name") or e["name"] == kw["name"])
        ]
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    # -- data sources ------------------------------------------------------------------------------

    def create_data_source(
        self, domainIdentifier: str, name: str, projectIdentifier: str, type: str, **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, projectIdentifier, "Project")
        if type not in ASSET_TYPES:
            raise validation(f"type must be GLUE or REDSHIFT, not {type}")
        environment = find(domain.environments, kw.get("environmentIdentifier") or "", "Environment")
        configuration = self._configuration(type, kw.get("configuration"))
        if any(s["name"] == name and s["projectId"] == project["id"] for s in domain.data_sources.values()):
            raise conflict(f"A data source named {name} already exists in {project['name']}")
        source = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "projectId": project["id"],
                "name": name,
                "description": kw.get("description"),
                "type": type,
                "status": "READY",
                "environmentId": environment["id"],
                "configuration": configuration,
                "publishOnImport": bool(kw.get("publishOnImport")),
                "enableSetting": kw.get("enableSetting") or "ENABLED",
                "schedule": kw.get("schedule"),
                "recommendation": kw.get("recommendation"),
            },
            created=True,
        )
        domain.data_sources[source["id"]] = source
        events.minimal(self.state, domain, source, source["id"], "Data Source Created", projectId=project["id"])
        return source

    def _configuration(self, kind: str, configuration: Record | None) -> Record:
        key = "glueRunConfiguration" if kind == "GLUE" else "redshiftRunConfiguration"
        if not configuration or key not in configuration:
            raise validation(f"a {kind} data source needs configuration.{key}")
        run = dict(configuration[key], accountId="123456789012", region="eu-west-1")
        if kind == "REDSHIFT" and not (run.get("redshiftStorage") and run.get("redshiftCredentialConfiguration")):
            raise validation("a REDSHIFT data source needs redshiftStorage and redshiftCredentialConfiguration")
        return {key: run}

    def get_data_source(self, domainIdentifier: str, identifier: str) -> Record:
        return find(self.state.domain(domainIdentifier).data_sources, identifier, "Data source")

    def update_data_source(self, domainIdentifier: str, identifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        source = find(domain.data_sources, identifier, "Data source")
        if kw.get("configuration") is not None:
            source["configuration"] = self._configuration(source["type"], kw["configuration"])
        for key in ("name", "description", "publishOnImport", "enableSetting", "schedule", "recommendation"):
            if kw.get(key) is not None:
                source[key] = kw[key]
        events.minimal(self.state, domain, source, source["id"], "Data Source Updated", projectId=source["projectId"])
        return stamp(self.state, source)

    def list_data_sources(self, domainIdentifier: str, projectIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        items = [
            dict(s, dataSourceId=s["id"])
            for s in domain.data_sources.values()
            if s["projectId"] == projectIdentifier
            and (not kw.get("name") or s["name"] == kw["name"])
            and (not kw.get("type") or s["type"] == kw["type"])
        ]
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    # -- runs --------------------------------------------------------------------------------------

    def start_data_source_run(self, domainIdentifier: str, dataSourceIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        source = find(domain.data_sources, dataSourceIdentifier, "Data source")
        if any(
            r["dataSourceId"] == source["id"] and r["status"] in ("REQUESTED", "RUNNING") for r in domain.runs.values()
        ):
            raise conflict(f"Data source {source['name']} already has a run in progress")
        run = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "dataSourceId": source["id"],
                "projectId": source["projectId"],
                "status": "REQUESTED",
                # DataSourceRunType is PRIORITIZED or SCHEDULED: a run started by StartDataSourceRun is prioritized.
                "type": "PRIORITIZED",
                "dataSourceConfigurationSnapshot": str(source["configuration"]),
                "_doneAt": self.state.clock() + self.run_seconds,
                "_activities": [],
            },
            created=True,
        )
        domain.runs[run["id"]] = run
        source["lastRunStatus"], source["lastRunAt"] = "REQUESTED", run["createdAt"]
        events.data_source_run(self.state, domain, run, "Data Source Run Triggered")
        # The run finishes on its own, as DataZone's do, whether or not anyone polls it.
        self.state.later(self.run_seconds, lambda: self._finish_run(domain, run), caller=self.state.caller)
        return run

    def _finish_run(self, domain: Domain, run: Record) -> None:
        for _ in range(2):  # REQUESTED -> RUNNING -> done
            self._advance_run(domain, run)

    def get_data_source_run(self, domainIdentifier: str, identifier: str) -> Record:
        domain = self.state.domain(domainIdentifier)
        return self._advance_run(domain, find(domain.runs, identifier, "Data source run"))

    def list_data_source_runs(self, domainIdentifier: str, dataSourceIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        find(domain.data_sources, dataSourceIdentifier, "Data source")
        items = [
            self._advance_run(domain, r) for r in domain.runs.values() if r["dataSourceId"] == dataSourceIdentifier
        ]
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    def list_data_source_run_activities(self, domainIdentifier: str, identifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        run = self._advance_run(domain, find(domain.runs, identifier, "Data source run"))
        items = [a for a in run["_activities"] if not kw.get("status") or a["dataAssetStatus"] == kw["status"]]
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    def _advance_run(self, domain: Domain, run: Record) -> Record:
        # Runs take a moment in the service: REQUESTED, then RUNNING, then done once due.
        if run["status"] == "REQUESTED":
            run.update(status="RUNNING", startedAt=self.state.now())
        elif run["status"] == "RUNNING" and self.state.clock() >= run["_doneAt"]:
            self._import(domain, run)
        return run

    def _import(self, domain: Domain, run: Record) -> None:
        source = domain.data_sources[run["dataSourceId"]]
        stats = {"added": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
        for database, table in self._matching_tables(source):
            activity = stamp(
                self.state,
                {
                    "database": database,
                    "dataSourceRunId": run["id"],
                    "technicalName": table["name"],
                    "projectId": source["projectId"],
                },
                created=True,
            )
            if table.get("error"):
                activity.update(
                    dataAssetStatus="FAILED",
                    errorMessage={"errorType": "INTERNAL_SERVER_EXCEPTION", "errorDetail": table["error"]},
                )
                stats["failed"] += 1
            else:
                asset, status = self._upsert_asset(domain, source, database, table)
                activity.update(dataAssetStatus=status, dataAssetId=asset["id"])
                stats[{"SUCCEEDED_CREATED": "added", "SUCCEEDED_UPDATED": "updated"}.get(status, "unchanged")] += 1
            run["_activities"].append(activity)
        status = (
            "SUCCESS"
            if not stats["failed"]
            else ("PARTIALLY_SUCCEEDED" if stats["added"] + stats["updated"] + stats["unchanged"] else "FAILED")
        )
        run.update(
            status=status,
            runStatisticsForAssets=stats,
            stoppedAt=self.state.now(),
            errorMessage=(
                {"errorType": "INTERNAL_SERVER_EXCEPTION", "errorDetail": f"{stats['failed']} table(s) failed"}
                if stats["failed"]
                else None
            ),
        )
        source.update(lastRunStatus=status, lastRunAssetCount=stats["added"] + stats["updated"] + stats["unchanged"])
        stamp(self.state, run)
        events.data_source_run(self.state, domain, run, events.run_outcome(status))

    def _matching_tables(self, source: Record) -> list[tuple[str, Record]]:
        ((key, run_config),) = source["configuration"].items()
        location = (
            ("glue",)
            if key == "glueRunConfiguration"
            else (
                "redshift",
                run_config["redshiftStorage"].get("redshiftClusterSource", {}).get("clusterName")
                or run_config["redshiftStorage"].get("redshiftServerlessSource", {}).get("workgroupName"),
            )
        )
        found = []
        for relational in run_config["relationalFilterConfigurations"]:
            database = relational["databaseName"]
            tables = self.state.inventory.get((*location, database, relational.get("schemaName") or ""), [])
            found += [(database, t) for t in tables if _included(t["name"], relational.get("filterExpressions", []))]
        return found

    def _upsert_asset(self, domain: Domain, source: Record, database: str, table: Record) -> tuple[Record, str]:
        external = f"{source['type'].lower()}://{database}/{table['name']}"
        existing = next((a for a in domain.assets.values() if a.get("externalIdentifier") == external), None)
        columns = table.get("columns")
        if existing is not None:
            if columns is None or existing.get("_columns") == columns:
                return existing, "UNCHANGED"
            # The table's columns changed since the last import: a new revision, and DataZone says so.
            self.create_asset_revision(  # type: ignore[attr-defined]
                domainIdentifier=domain.id, identifier=existing["id"], name=existing["name"]
            )
            existing["_columns"] = columns
            events.minimal(self.state, domain, existing, existing["id"], "Asset Schema Changed")
            return existing, "SUCCEEDED_UPDATED"
        asset = self.create_asset(
            domainIdentifier=domain.id,
            name=table["name"],  # type: ignore[attr-defined]
            typeIdentifier=ASSET_TYPES[source["type"]],
            externalIdentifier=external,
            owningProjectIdentifier=source["projectId"],
            description=table.get("description"),
        )
        asset["_columns"] = columns
        if source.get("publishOnImport"):
            self.create_listing_change_set(
                domainIdentifier=domain.id,  # type: ignore[attr-defined]
                entityIdentifier=asset["id"],
                entityType="ASSET",
                action="PUBLISH",
            )
        return asset, "SUCCEEDED_CREATED"

"""Data source runs in DataZone: their status, statistics and per-table activities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.aws import AwsClients, missing_means

DONE = ("SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED")
CREATED = "SUCCEEDED_CREATED"


@dataclass(frozen=True)
class Activity:
    """One table a run looked at."""

    database: str
    table: str
    status: str
    asset_id: str | None
    error: str | None


@dataclass(frozen=True)
class RunView:
    """A run as a user needs it: status, counts, and what happened per table."""

    run_id: str
    data_source_id: str
    data_source_name: str
    status: str
    statistics: dict[str, int]
    error: str | None
    activities: tuple[Activity, ...]

    @property
    def done(self) -> bool:
        """The run has finished, one way or the other."""
        return self.status in DONE

    @property
    def created(self) -> tuple[Activity, ...]:
        """Tables the run turned into new inventory assets."""
        return tuple(a for a in self.activities if a.status == CREATED and a.asset_id)

    @property
    def failed(self) -> tuple[Activity, ...]:
        """Tables that could not be imported."""
        return tuple(a for a in self.activities if a.status == "FAILED")


def _error(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    return str(raw.get("errorDetail") or raw.get("errorType") or "") or None


class RunService:
    """Reads runs; activities only once a run is done (before that there are none worth showing)."""

    def __init__(self, aws: AwsClients) -> None:
        self._aws = aws

    @property
    def _dz(self) -> Any:
        return self._aws.client("datazone")

    def status(self, domain_id: str, run_id: str) -> str:
        """The run's status alone: one call, for polling."""
        with missing_means(f"No data source run {run_id} in domain {domain_id}."):
            return str(self._dz.get_data_source_run(domainIdentifier=domain_id, identifier=run_id)["status"])

    def view(self, domain_id: str, run_id: str) -> RunView:
        """The run with its statistics and, when done, its activities."""
        with missing_means(f"No data source run {run_id} in domain {domain_id}."):
            run = self._dz.get_data_source_run(domainIdentifier=domain_id, identifier=run_id)
        source = self._dz.get_data_source(domainIdentifier=domain_id, identifier=run["dataSourceId"])
        activities: list[Activity] = []
        if run["status"] in DONE:
            for page in self._dz.get_paginator("list_data_source_run_activities").paginate(
                domainIdentifier=domain_id, identifier=run_id
            ):
                activities += [
                    Activity(
                        database=item.get("database", ""),
                        table=item.get("technicalName", ""),
                        status=item.get("dataAssetStatus", ""),
                        asset_id=item.get("dataAssetId"),
                        error=_error(item.get("errorMessage")),
                    )
                    for item in page.get("items") or []
                ]
        stats = {k: int(v) for k, v in (run.get("runStatisticsForAssets") or {}).items() if isinstance(v, int)}
        return RunView(
            run_id=run["id"],
            data_source_id=run["dataSourceId"],
            data_source_name=source.get("name", run["dataSourceId"]),
            status=run["status"],
            statistics=stats,
            error=_error(run.get("errorMessage")),
            activities=tuple(activities),
        )

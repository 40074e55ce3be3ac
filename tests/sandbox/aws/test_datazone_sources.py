"""The DataZone emulator's blueprints, environments, data sources and runs, through boto3."""

import time

import pytest

from sandbox.world import GLUE_INVENTORY, REDSHIFT_INVENTORY
from tests.harness import eventually


@pytest.fixture
def sources(world):
    state = world["service"].handlers.state
    state.inventory.update(GLUE_INVENTORY)
    state.inventory.update(REDSHIFT_INVENTORY)
    return world


def _environment(w, blueprint="DefaultDataLake"):
    dz, domain = w["dz"], w["domain"]
    [found] = dz.list_environment_blueprints(domainIdentifier=domain, name=blueprint, managed=True)["items"]
    dz.put_environment_blueprint_configuration(
        domainIdentifier=domain, environmentBlueprintIdentifier=found["id"], enabledRegions=["eu-west-1"]
    )
    return dz.create_environment(
        domainIdentifier=domain,
        projectIdentifier=w["producer"],
        name=f"{blueprint}-env",
        environmentBlueprintIdentifier=found["id"],
    )["id"]


def _redshift(filters=None, secret="arn:aws:secretsmanager:eu-west-1:123456789012:secret:dw-abc123"):
    relational = {"databaseName": "dev", "schemaName": "public", **({"filterExpressions": filters} if filters else {})}
    return {
        "redshiftRunConfiguration": {
            "relationalFilterConfigurations": [relational],
            "redshiftCredentialConfiguration": {"secretManagerArn": secret},
            "redshiftStorage": {"redshiftClusterSource": {"clusterName": "sales-dw"}},
        }
    }


def _finish(dz, domain, run_id):
    for _ in range(100):
        run = dz.get_data_source_run(domainIdentifier=domain, identifier=run_id)
        if run["status"] not in ("REQUESTED", "RUNNING"):
            return run
        time.sleep(0.02)
    raise AssertionError("run never finished")


def test_environment_needs_an_enabled_blueprint(sources):
    dz, domain = sources["dz"], sources["domain"]
    with pytest.raises(dz.exceptions.ValidationException, match="not enabled"):
        dz.create_environment(
            domainIdentifier=domain,
            projectIdentifier=sources["producer"],
            name="x",
            environmentBlueprintIdentifier="DefaultDataWarehouse",
        )
    environment = _environment(sources, "DefaultDataWarehouse")
    assert dz.get_environment(domainIdentifier=domain, identifier=environment)["status"] == "ACTIVE"
    listed = dz.list_environments(domainIdentifier=domain, projectIdentifier=sources["producer"])["items"]
    assert [e["id"] for e in listed] == [environment]
    config = dz.get_environment_blueprint_configuration(
        domainIdentifier=domain, environmentBlueprintIdentifier="DefaultDataWarehouse"
    )
    assert config["enabledRegions"] == ["eu-west-1"]


def test_glue_run_imports_only_the_named_tables(sources):
    dz, domain = sources["dz"], sources["domain"]
    source = dz.create_data_source(
        domainIdentifier=domain,
        projectIdentifier=sources["producer"],
        name="sales-glue",
        type="GLUE",
        environmentIdentifier=_environment(sources),
        publishOnImport=True,
        configuration={
            "glueRunConfiguration": {
                "relationalFilterConfigurations": [
                    {"databaseName": "sales", "filterExpressions": [{"type": "INCLUDE", "expression": "orders_*"}]}
                ]
            }
        },
    )
    run = dz.start_data_source_run(domainIdentifier=domain, dataSourceIdentifier=source["id"])
    assert run["status"] == "REQUESTED"
    with pytest.raises(dz.exceptions.ConflictException):
        dz.start_data_source_run(domainIdentifier=domain, dataSourceIdentifier=source["id"])
    done = _finish(dz, domain, run["id"])
    assert done["status"] == "SUCCESS" and done["runStatisticsForAssets"]["added"] == 2
    activities = dz.list_data_source_run_activities(domainIdentifier=domain, identifier=run["id"])["items"]
    assert {a["technicalName"] for a in activities} == {"orders_raw", "orders_daily"}
    assert all(a["dataAssetStatus"] == "SUCCEEDED_CREATED" for a in activities)
    # Published on import; listings turn ACTIVE shortly after, as in the service.
    eventually(lambda: len(dz.search_listings(domainIdentifier=domain, searchText="orders")["items"]) == 2)
    runs = dz.list_data_source_runs(domainIdentifier=domain, dataSourceIdentifier=source["id"])["items"]
    assert [r["status"] for r in runs] == ["SUCCESS"]
    again = _finish(
        dz, domain, dz.start_data_source_run(domainIdentifier=domain, dataSourceIdentifier=source["id"])["id"]
    )
    assert again["runStatisticsForAssets"] == {"added": 0, "updated": 0, "unchanged": 2, "skipped": 0, "failed": 0}


def test_redshift_run_reports_a_failed_table(sources):
    dz, domain = sources["dz"], sources["domain"]
    source = dz.create_data_source(
        domainIdentifier=domain,
        projectIdentifier=sources["producer"],
        name="sales-dw",
        type="REDSHIFT",
        environmentIdentifier=_environment(sources, "DefaultDataWarehouse"),
        configuration=_redshift(
            [{"type": "INCLUDE", "expression": "*"}, {"type": "EXCLUDE", "expression": "store_dim"}]
        ),
    )
    run = _finish(
        dz, domain, dz.start_data_source_run(domainIdentifier=domain, dataSourceIdentifier=source["id"])["id"]
    )
    assert run["status"] == "PARTIALLY_SUCCEEDED"
    assert run["runStatisticsForAssets"]["added"] == 2 and run["runStatisticsForAssets"]["failed"] == 1
    [failed] = dz.list_data_source_run_activities(domainIdentifier=domain, identifier=run["id"], status="FAILED")[
        "items"
    ]
    assert failed["technicalName"] == "legacy_import" and "SUPER" in failed["errorMessage"]["errorDetail"]
    assert (
        dz.get_data_source(domainIdentifier=domain, identifier=source["id"])["lastRunStatus"] == "PARTIALLY_SUCCEEDED"
    )


def test_data_source_validation_update_and_listing(sources):
    dz, domain = sources["dz"], sources["domain"]
    environment = _environment(sources, "DefaultDataWarehouse")
    with pytest.raises(dz.exceptions.ValidationException, match="redshiftStorage"):
        dz.create_data_source(
            domainIdentifier=domain,
            projectIdentifier=sources["producer"],
            name="bad",
            type="REDSHIFT",
            environmentIdentifier=environment,
            configuration={"redshiftRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "dev"}]}},
        )
    source = dz.create_data_source(
        domainIdentifier=domain,
        projectIdentifier=sources["producer"],
        name="dw",
        type="REDSHIFT",
        environmentIdentifier=environment,
        configuration=_redshift(),
    )
    updated = dz.update_data_source(domainIdentifier=domain, identifier=source["id"], publishOnImport=True)
    assert updated["publishOnImport"] is True
    [summary] = dz.list_data_sources(domainIdentifier=domain, projectIdentifier=sources["producer"])["items"]
    assert summary["dataSourceId"] == source["id"] and summary["status"] == "READY"
    with pytest.raises(dz.exceptions.ConflictException):
        dz.create_data_source(
            domainIdentifier=domain,
            projectIdentifier=sources["producer"],
            name="dw",
            type="REDSHIFT",
            environmentIdentifier=environment,
            configuration=_redshift(),
        )

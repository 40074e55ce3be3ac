"""`opsbot doctor`'s harmless probes of the AWS actions of publishing and data source registration.

bot/doctor_probes.py says how each stays harmless.
"""

from __future__ import annotations

from bot.doctor_probes import PROBE_ID, Probe, Probes, datazone_call, needs_domain

PROBES: Probes = [
    ("datazone:GetAsset", Probe(datazone_call("get_asset", identifier=PROBE_ID), needs_domain)),
    ("datazone:GetAssetType", Probe(datazone_call("get_asset_type", identifier=PROBE_ID), needs_domain)),
    ("datazone:GetProject", Probe(datazone_call("get_project", identifier=PROBE_ID), needs_domain)),
    ("datazone:GetGlossary", Probe(datazone_call("get_glossary", identifier=PROBE_ID), needs_domain)),
    ("datazone:GetGlossaryTerm", Probe(datazone_call("get_glossary_term", identifier=PROBE_ID), needs_domain)),
    ("datazone:Search", Probe(datazone_call("search", searchScope="ASSET", maxResults=1), needs_domain)),
    (
        "datazone:CreateListingChangeSet",
        Probe(
            datazone_call("create_listing_change_set", entityIdentifier=PROBE_ID, entityType="ASSET", action="PUBLISH"),
            needs_domain,
        ),
    ),
    (
        "datazone:ListProjectMemberships",
        Probe(datazone_call("list_project_memberships", projectIdentifier=PROBE_ID, maxResults=1), needs_domain),
    ),
    (
        "datazone:ListEnvironmentBlueprints",
        Probe(datazone_call("list_environment_blueprints", maxResults=1), needs_domain),
    ),
    (
        "datazone:GetEnvironmentBlueprintConfiguration",
        Probe(
            datazone_call("get_environment_blueprint_configuration", environmentBlueprintIdentifier=PROBE_ID),
            needs_domain,
        ),
    ),
    (
        "datazone:PutEnvironmentBlueprintConfiguration",
        Probe(
            datazone_call(
                "put_environment_blueprint_configuration", environmentBlueprintIdentifier=PROBE_ID, enabledRegions=[]
            ),
            needs_domain,
        ),
    ),
    (
        "datazone:ListEnvironments",
        Probe(datazone_call("list_environments", projectIdentifier=PROBE_ID, maxResults=1), needs_domain),
    ),
    (
        "datazone:CreateEnvironment",
        Probe(
            datazone_call(
                "create_environment",
                projectIdentifier=PROBE_ID,
                name=PROBE_ID,
                environmentProfileIdentifier=PROBE_ID,
            ),
            needs_domain,
        ),
    ),
    (
        "datazone:ListDataSources",
        Probe(datazone_call("list_data_sources", projectIdentifier=PROBE_ID, maxResults=1), needs_domain),
    ),
    ("datazone:GetDataSource", Probe(datazone_call("get_data_source", identifier=PROBE_ID), needs_domain)),
    (
        "datazone:CreateDataSource",
        Probe(
            datazone_call(
                "create_data_source",
                projectIdentifier=PROBE_ID,
                environmentIdentifier=PROBE_ID,
                name=PROBE_ID,
                type="GLUE",
            ),
            needs_domain,
        ),
    ),
    ("datazone:UpdateDataSource", Probe(datazone_call("update_data_source", identifier=PROBE_ID), needs_domain)),
    (
        "datazone:StartDataSourceRun",
        Probe(datazone_call("start_data_source_run", dataSourceIdentifier=PROBE_ID), needs_domain),
    ),
    ("datazone:GetDataSourceRun", Probe(datazone_call("get_data_source_run", identifier=PROBE_ID), needs_domain)),
    (
        "datazone:ListDataSourceRunActivities",
        Probe(datazone_call("list_data_source_run_activities", identifier=PROBE_ID, maxResults=1), needs_domain),
    ),
]

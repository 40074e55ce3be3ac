"""A DataZone emulator on a free port, reached through a real boto3 client."""

import json

import boto3
import pytest

from sandbox.aws.datazone import datazone_service
from sandbox.aws.datazone.state import State
from sandbox.aws.restjson import EmulatorServer


@pytest.fixture(scope="session")
def _datazone_server():
    service = datazone_service()
    server = EmulatorServer(service.handle).start()
    client = boto3.client(
        "datazone",
        region_name="eu-west-1",
        endpoint_url=server.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield client, service
    server.stop()


@pytest.fixture
def datazone(_datazone_server):
    """(boto3 client, emulator service) over a fresh state; botocore serialises requests and parses replies."""
    client, service = _datazone_server
    service.handlers.state = State()
    return client, service


@pytest.fixture
def world(datazone):
    """A domain with a producer and a consumer project, a required business-metadata form, one asset."""
    dz, service = datazone
    domain = service.handlers.state.add_domain("sandbox", "dzd_test1")
    producer = dz.create_project(domainIdentifier=domain.id, name="producer")["id"]
    consumer = dz.create_project(domainIdentifier=domain.id, name="consumer")["id"]
    dz.create_form_type(
        domainIdentifier=domain.id,
        name="BusinessMetadata",
        owningProjectIdentifier=producer,
        model={"smithy": "structure BusinessMetadata { classification: String owner: String }"},
    )
    dz.create_asset_type(
        domainIdentifier=domain.id,
        name="GlueTable",
        owningProjectIdentifier=producer,
        formsInput={"BusinessMetadata": {"typeIdentifier": "BusinessMetadata", "typeRevision": "1", "required": True}},
    )
    asset = dz.create_asset(
        domainIdentifier=domain.id,
        name="mkt_sls_table",
        typeIdentifier="GlueTable",
        owningProjectIdentifier=producer,
        externalIdentifier="glue://sales/mkt_sls_table",
        formsInput=[
            {"formName": "BusinessMetadata", "content": json.dumps({"classification": "internal", "owner": "sales"})}
        ],
    )
    return {
        "dz": dz,
        "service": service,
        "domain": domain.id,
        "producer": producer,
        "consumer": consumer,
        "asset": asset["id"],
    }

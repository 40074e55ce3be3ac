"""The sandbox's moto: range reads answered from the stored object give what moto itself answers."""

import os

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from sandbox.aws.moto_server import MotoServer
from tests.harness import free_port

BUCKET, KEY = "range-reads", "data/file.lance"
BODY = os.urandom(100_000)


@pytest.fixture(scope="module")
def servers():
    """moto as it ships and the sandbox's front of it, in one process: both serve the same objects."""
    plain = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    plain.start()
    ours = MotoServer(free_port()).start()
    _s3(ours.url).create_bucket(Bucket=BUCKET)
    _s3(ours.url).put_object(
        Bucket=BUCKET, Key=KEY, Body=BODY, ContentType="application/octet-stream", Metadata={"a": "b"}
    )
    yield f"http://127.0.0.1:{plain.get_host_and_port()[1]}", ours.url
    ours.stop()
    plain.stop()


def _s3(url):
    return boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="sandbox", aws_secret_access_key="sandbox"
    )


def _get(client, **kwargs):
    try:
        reply = client.get_object(Bucket=BUCKET, **kwargs)
    except ClientError as error:
        return ("error", error.response["Error"]["Code"])
    headers = reply["ResponseMetadata"]["HTTPHeaders"]
    return (
        reply["ResponseMetadata"]["HTTPStatusCode"],
        reply["Body"].read(),
        headers.get("content-range"),
        headers.get("etag"),
        headers.get("content-type"),
        reply.get("Metadata"),
    )


@pytest.mark.parametrize(
    ("range_", "part"),
    [
        ("bytes=0-0", BODY[:1]),
        ("bytes=10-4095", BODY[10:4096]),
        ("bytes=99000-", BODY[99000:]),
        ("bytes=99990-200000", BODY[99990:]),
        ("bytes=-100", BODY[-100:]),  # a suffix range: moto's
        ("bytes=5-2", BODY),  # an invalid range is ignored: the whole object, as from moto
        ("bytes=200000-", None),  # past the end: moto's InvalidRange
    ],
)
def test_a_range_read_answers_as_moto_does(servers, range_, part):
    ours = _get(_s3(servers[1]), Key=KEY, Range=range_)
    assert ours == _get(_s3(servers[0]), Key=KEY, Range=range_)
    assert ours[1] == part if part is not None else ours == ("error", "InvalidRange")


def test_other_versions_and_missing_keys_are_read_as_moto_reads_them(servers):
    plain, ours = _s3(servers[0]), _s3(servers[1])
    ours.create_bucket(Bucket="range-versions")
    ours.put_bucket_versioning(Bucket="range-versions", VersioningConfiguration={"Status": "Enabled"})
    first = ours.put_object(Bucket="range-versions", Key="k", Body=b"first version")["VersionId"]
    ours.put_object(Bucket="range-versions", Key="k", Body=b"second version")
    for client in (plain, ours):
        old = client.get_object(Bucket="range-versions", Key="k", VersionId=first, Range="bytes=0-4")
        assert old["Body"].read() == b"first"
        latest = client.get_object(Bucket="range-versions", Key="k", Range="bytes=0-5")
        assert latest["Body"].read() == b"second"
        with pytest.raises(ClientError) as missing:
            client.get_object(Bucket="range-versions", Key="none", Range="bytes=0-5")
        assert missing.value.response["Error"]["Code"] == "NoSuchKey"

"""The protein database on S3 (the sandbox's moto, through `s3://` and storage options): ingest, re-ingest,
a half-written bucket, index builds and search, on data small enough for every run of the suite."""

import asyncio
import uuid
from dataclasses import replace

import boto3
import lancedb
import pytest

from handlers.proteins.catalog import Catalog
from handlers.proteins.executors import BucketRef
from handlers.proteins.indexing import index, recorded
from handlers.proteins.ingest import ingest
from handlers.proteins.query import ProteinQuery, SearchOptions
from handlers.proteins.search import BucketSearcher, SearchParams, open_bucket, session
from handlers.proteins.service import ProteinService
from handlers.proteins.warming import prewarmed
from sandbox.aws.moto_server import MotoServer, lance_storage_options
from tests.handlers.proteins.checks import assert_exact_hits_with_sequences, exact_nearest
from tests.handlers.proteins.conftest import gaussian, write_h5
from tests.harness import free_port

pytestmark = pytest.mark.s3
REGION = "us-east-1"


@pytest.fixture(scope="module")
def moto():
    server = MotoServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def s3_db(moto):
    """A new S3 bucket and the `s3://` URI of a database in it, with its storage options."""
    name = f"proteins-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=moto.url, region_name=REGION, aws_access_key_id="sandbox", aws_secret_access_key="sandbox"
    ).create_bucket(Bucket=name)
    return f"s3://{name}/db", lance_storage_options(moto.url, REGION)


def _ids(catalog, bucket):
    return catalog.db.open_table(bucket).to_arrow()["id"].to_pylist()


def test_ingest_and_reingest_over_s3(s3_db, tmp_path):
    uri, options = s3_db
    sequences = ["MKT" * (1 + i % 4) for i in range(120)]
    first = write_h5(tmp_path / "a.h5", [f"a{i:03d}" for i in range(120)], gaussian(120, 16, seed=1), sequences)
    catalog = Catalog(uri, options)
    plan = ingest(catalog, [first], embedder="m", batch_rows=50)
    assert plan.rows == 120 and list(plan.buckets) == ["bucket_0000"]
    table = catalog.db.open_table("bucket_0000").to_arrow()
    assert table["id"].to_pylist() == [f"a{i:03d}" for i in range(120)]
    assert table["sequence"].to_pylist() == sequences

    again = ingest(Catalog(uri, options), [first], embedder="m")
    assert again.rows == 0 and [b for _, b in again.skipped] == ["bucket_0000"]
    second = write_h5(tmp_path / "b.h5", [f"b{i}" for i in range(30)], gaussian(30, 16, seed=2))
    ingest(catalog, [second], embedder="m")
    assert Catalog(uri, options).buckets() == {"bucket_0000": 120, "bucket_0001": 30}


def test_a_half_written_bucket_over_s3_is_replaced_not_searched(s3_db, tmp_path):
    uri, options = s3_db
    catalog = Catalog(uri, options)
    # What a crash between writing a bucket and recording it leaves: a table no manifest row names.
    catalog.db.create_table("bucket_0000", data=[{"id": "ghost", "embedding": [0.0] * 4}])
    assert catalog.buckets() == {}
    ingest(catalog, [write_h5(tmp_path / "a.h5", ["a", "b"], gaussian(2, 4))], embedder="m")
    assert _ids(catalog, "bucket_0000") == ["a", "b"]
    assert catalog.buckets() == {"bucket_0000": 2}


def test_index_and_search_over_s3(s3_db, tmp_path):
    uri, options = s3_db
    vectors = gaussian(500, 32, seed=7)
    ids = [f"v{i:03d}" for i in range(500)]
    files = [
        write_h5(tmp_path / "big.h5", ids[:300], vectors[:300]),
        write_h5(tmp_path / "small.h5", ids[300:], vectors[300:]),
    ]
    catalog = Catalog(uri, options)
    ingest(catalog, files, embedder="gauss", bucket_rows=300)
    built = index(catalog, index_type="ivf_pq")
    assert {b: p.type for b, p in built.items()} == {"bucket_0000": "IVF_PQ", "bucket_0001": "FLAT"}
    assert recorded(Catalog(uri, options)) == built

    service = ProteinService(uri, storage_options=options, cache_mb=64)
    try:
        # Both buckets' indexes fit 64 MiB: opening a bucket loads its whole index, and answers stay exact.
        assert [ref.prewarm for ref in service.info().refs(options, 64)] == [True, False]
        queries = gaussian(4, 32, seed=8)
        # Every partition probed and every row re-ranked: the answer is the exact one.
        params = SearchParams(k=5, nprobes=built["bucket_0000"].num_partitions, refine_factor=60)
        results = service.search_vectors(queries, params)
        assert [[h.id for h in hits] for hits in results] == [
            [ids[i] for i in row] for row in exact_nearest(vectors, queries, 5)[0]
        ]
        by_id = service.search(ProteinQuery(kind="id", value="v123"), SearchOptions(k=3, nprobes=params.nprobes))
        assert by_id.hits[0].id == "v123" and by_id.buckets == 2

        # A rebuilt index is a new version of the bucket: the same table moves to it.
        before = service.info().refs(options, 64)[0]
        table, _ = asyncio.run(open_bucket(before))
        index(catalog, force=True, index_type="ivf_pq")
        after = service.info(fresh=True).refs(options, 64)[0]
        assert after.generation != before.generation
        assert service.search_vectors(queries, params) == results
        refreshed, _ = asyncio.run(open_bucket(after))
        latest = lancedb.connect(uri, storage_options=options).open_table("bucket_0000").version
        assert refreshed is table and asyncio.run(refreshed.version()) == latest
    finally:
        service.close()


def test_quantized_buckets_over_s3_are_re_ranked_together_and_return_their_sequences(s3_db, tmp_path):
    # On object storage the buckets' estimates are ranked together and only the best candidates' rows read.
    uri, options = s3_db
    jobs = assert_exact_hits_with_sequences(uri, options, tmp_path)
    assert jobs == ["estimate_bucket", "rerank_bucket", "describe_bucket"]


def test_the_first_query_loads_the_whole_index_beside_it(s3_db, tmp_path):
    uri, options = s3_db
    vectors = gaussian(600, 32, seed=21)
    files = [write_h5(tmp_path / "a.h5", [f"v{i:03d}" for i in range(600)], vectors)]
    ingest(Catalog(uri, options), files, embedder="gauss")
    index(Catalog(uri, options), index_type="ivf_rq")
    service = ProteinService(uri, storage_options=options)
    params = SearchParams(k=5, nprobes=1)  # the query itself reads one partition of the index

    async def first_query(refs: list[BucketRef]) -> int:
        await BucketSearcher().search(refs, gaussian(1, 32, seed=22), params)
        await prewarmed()
        return session(refs[0].uri, refs[0].cache_mb).size_bytes

    try:
        # Two cache sizes, so two sessions with nothing cached yet; the index fits both.
        warm_refs = service.info().refs(options, 61)
        assert [ref.prewarm for ref in warm_refs] == [True]
        cold = asyncio.run(first_query([replace(ref, prewarm=False) for ref in service.info().refs(options, 62)]))
        warmed = asyncio.run(first_query(warm_refs))
        listed = boto3.client(
            "s3",
            endpoint_url=options["aws_endpoint"],
            region_name=REGION,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        ).list_objects_v2(Bucket=uri.split("/")[2], Prefix="db/bucket_0000.lance/_indices/")
        stored = sum(item["Size"] for item in listed["Contents"])
        assert warmed >= stored > cold
    finally:
        service.close()

"""Search: the merge across buckets, batch mode, embedder checks and identity."""

import asyncio

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from bot.errors import BadInput, NotFound
from handlers.proteins.catalog import Catalog
from handlers.proteins.executors import bucket_ref
from handlers.proteins.indexing import index
from handlers.proteins.ingest import ingest
from handlers.proteins.query import ProteinQuery, SearchOptions
from handlers.proteins.search import SearchParams, open_bucket, smallest_per_query
from handlers.proteins.service import ProteinService
from sandbox.proteins import families, write_families
from tests.handlers.proteins.checks import assert_exact_hits_with_sequences, exact_nearest
from tests.handlers.proteins.conftest import gaussian, write_h5


@pytest.fixture
def split_db(tmp_path):
    """600 vectors in three unindexed buckets (exact search), and the same vectors as one matrix."""
    vectors = gaussian(600, 32, seed=5)
    ids = [f"v{i:03d}" for i in range(600)]
    files = [
        write_h5(tmp_path / f"{n}.h5", ids[n * 200 : (n + 1) * 200], vectors[n * 200 : (n + 1) * 200]) for n in range(3)
    ]
    catalog = Catalog(str(tmp_path / "db"))
    ingest(catalog, files, embedder="gauss", bucket_rows=250)
    service = ProteinService(str(tmp_path / "db"))
    yield service, ids, vectors
    service.close()


def test_merge_across_buckets_equals_one_exact_search(split_db):
    service, ids, vectors = split_db
    assert len(service.info().buckets) == 3
    queries = gaussian(20, 32, seed=9)
    order, distances = exact_nearest(vectors, queries, 15)
    results = service.search_vectors(queries, SearchParams(k=15))
    for q, hits in enumerate(results):
        assert [h.id for h in hits] == [ids[i] for i in order[q]]
        assert np.allclose([h.distance for h in hits], distances[q], atol=1e-5)
        assert {h.bucket for h in hits} <= {"bucket_0000", "bucket_0001", "bucket_0002"}


def test_a_bucket_indexed_while_the_service_runs_is_searched_at_its_new_version(split_db, tmp_path):
    service, ids, vectors = split_db
    queries = gaussian(3, 32, seed=4)
    service.search_vectors(queries, SearchParams(k=5))
    before = service.info().refs(None)[0]
    table, _ = asyncio.run(open_bucket(before))
    version = asyncio.run(table.version())

    index(Catalog(str(tmp_path / "db")))  # the id index: a new version of every bucket, a new generation
    after = service.info(fresh=True).refs(None)[0]
    assert after.generation != before.generation
    results = service.search_vectors(queries, SearchParams(k=5))

    refreshed, _ = asyncio.run(open_bucket(after))
    assert refreshed is table
    latest = lancedb.connect(str(tmp_path / "db")).open_table(after.name).version
    assert asyncio.run(refreshed.version()) == latest > version
    order, _ = exact_nearest(vectors, queries, 5)
    assert [[h.id for h in hits] for hits in results] == [[ids[i] for i in row] for row in order]


def test_search_by_id_uses_the_stored_vector(split_db):
    service, ids, vectors = split_db
    result = service.search(ProteinQuery(kind="id", value="v421"), SearchOptions(k=5))
    order, _ = exact_nearest(vectors, vectors[421:422], 5)
    assert [h.id for h in result.hits] == [ids[i] for i in order[0]]
    assert result.hits[0].identity is None  # no sequences stored in these buckets
    with pytest.raises(NotFound, match="No protein with id `nope`"):
        service.search(ProteinQuery(kind="id", value="nope"))


def test_a_sequence_embedded_by_another_model_is_refused(split_db):
    service, _, _ = split_db
    with pytest.raises(BadInput, match=r"come from `gauss`.*embeds sequences with `kmer-hash-v1`"):
        service.search(ProteinQuery(kind="sequence", value="MKTAYIAKQR"))


@pytest.fixture
def family_db(tmp_path):
    """The sandbox's families, ingested and indexed with IVF-PQ."""
    rows = families(count=8, members=12, seed=3)
    catalog = Catalog(str(tmp_path / "db"))
    ingest(catalog, [write_families(tmp_path / "fam.parquet", rows)], embedder="kmer-hash-v1")
    index(catalog)
    service = ProteinService(str(tmp_path / "db"))
    yield service, rows
    service.close()


def test_a_family_members_sequence_finds_its_family_first_with_identity(family_db):
    service, rows = family_db
    protein, family, sequence = rows[30]
    result = service.search(ProteinQuery(kind="sequence", value=sequence), SearchOptions(k=12))
    assert [h.id.split("_")[0] for h in result.hits] == [family] * 12
    assert result.hits[0].id == protein and result.hits[0].identity == 100.0
    identities = [h.identity for h in result.hits]
    assert all(i is not None and 70.0 < i <= 100.0 for i in identities)
    strangers = service.search(ProteinQuery(kind="sequence", value=sequence), SearchOptions(k=40)).hits[13:]
    assert all(h.identity < 30.0 for h in strangers)  # unrelated random proteins align poorly


def test_only_the_smallest_per_query_over_all_buckets_are_read_to_re_rank():
    # Two buckets' estimates for two query vectors: each query keeps its 3 smallest over both buckets.
    a = pa.table({"_distance": [0.1, 0.5, 0.2, 0.9], "_rowid": [10, 11, 12, 13], "query_index": [0, 0, 1, 1]})
    b = pa.table({"_distance": [0.3, 0.05, 0.4, 0.6], "_rowid": [20, 21, 22, 23], "query_index": [0, 0, 1, 1]})
    empty = pa.table({"_distance": pa.array([], pa.float32()), "_rowid": pa.array([], pa.uint64())})
    wanted = smallest_per_query([("a", a), ("b", b), ("none", empty)], keep=3)
    assert {bucket: sorted(pairs) for bucket, pairs in wanted.items()} == {
        "a": [(0, 10), (1, 12)],
        "b": [(0, 20), (0, 21), (1, 22), (1, 23)],
    }
    # One query vector: LanceDB tags no query_index.
    one = smallest_per_query([("a", a.drop(["query_index"])), ("b", b.drop(["query_index"]))], keep=2)
    assert one == {"b": [(0, 21)], "a": [(0, 10)]}


def test_quantized_buckets_return_the_stored_sequences_of_their_hits(tmp_path):
    # On local disk each bucket re-ranks its own candidates (LanceDB's refine), in one call.
    assert assert_exact_hits_with_sequences(str(tmp_path / "db"), None, tmp_path) == ["search_bucket"]


def test_buckets_on_object_storage_are_told_from_local_ones():
    remote = ("s3://bucket/db", "gs://bucket/db", "az://container/db")
    local = ("/data/proteins", "relative/db", "file:///data/proteins")
    assert [bucket_ref(uri, "bucket_0000", None).on_object_store for uri in remote + local] == [True] * 3 + [False] * 3

"""Index types: chosen per `opsbot proteins index`, recorded per bucket, shown by info, and searched as their
type needs; batch mode answers as one query at a time does."""

from dataclasses import asdict

import numpy as np
import pytest
from click.testing import CliRunner

from bot.errors import BadInput
from handlers.proteins import blocks, kmer
from handlers.proteins.catalog import Catalog, Embedder
from handlers.proteins.cli import proteins
from handlers.proteins.indexing import (
    DEFAULT_RQ_BITS,
    INDEX_KEY,
    RQ_SAMPLE_RATE,
    IndexParams,
    index,
    index_bytes,
    recorded,
)
from handlers.proteins.ingest import ingest
from handlers.proteins.query import ProteinQuery, SearchOptions
from handlers.proteins.search import SearchParams
from handlers.proteins.service import DatabaseInfo, ProteinService
from sandbox.proteins import families, write_families

FAMILIES, MEMBERS = 40, 24  # 1,000 proteins: 500 per bucket, enough rows for either index


@pytest.fixture(scope="module")
def mixed_db(tmp_path_factory):
    """Two buckets of generated families: the first indexed IVF-PQ, the second (ingested later) IVF-RQ."""
    path = tmp_path_factory.mktemp("index-types")
    rows = families(count=FAMILIES, members=MEMBERS, seed=5)
    half = len(rows) // 2
    catalog = Catalog(str(path / "db"))
    ingest(catalog, [write_families(path / "a.parquet", rows[:half])], embedder=kmer.NAME)
    index(catalog, index_type="ivf_pq")
    ingest(catalog, [write_families(path / "b.parquet", rows[half:])], embedder=kmer.NAME)
    index(catalog, index_type="ivf_rq")  # only the new bucket: the first keeps its IVF-PQ
    return str(path / "db"), rows


@pytest.fixture
def service(mixed_db):
    uri, _ = mixed_db
    service = ProteinService(uri)
    yield service
    service.close()


def _exact(rows, query, k):
    """The k nearest ids and their distances by numpy (some family members embed alike: equal distances)."""
    distances = 1.0 - kmer.embed_many([sequence for _, _, sequence in rows]) @ query
    order = np.argsort(distances, kind="stable")[:k]
    return {rows[i][0] for i in order}, distances[order]


def test_each_bucket_records_its_own_index_type(mixed_db):
    uri, _ = mixed_db
    built = recorded(Catalog(uri))
    assert {bucket: params.type for bucket, params in built.items()} == {
        "bucket_0000": "IVF_PQ",
        "bucket_0001": "IVF_RQ",
    }
    assert built["bucket_0000"].num_sub_vectors == 60 and built["bucket_0001"].num_bits == DEFAULT_RQ_BITS
    assert all(params.metric == "cosine" and params.num_partitions == 22 for params in built.values())


def test_info_shows_each_buckets_index_type(mixed_db, service):
    text = str(blocks.info(service.info(fresh=True)))
    assert "Indexes: 1 IVF_PQ cosine, 1 IVF_RQ cosine" in text
    assert "IVF_PQ cosine, 22 partitions, 60 sub-vectors, 8 bits" in text
    assert "IVF_RQ cosine, 22 partitions, 4 bits per dimension" in text

    uri, _ = mixed_db
    shown = CliRunner().invoke(proteins, ["info", "--db", uri], env={"OPSBOT_PROTEIN_DB": uri})
    assert shown.exit_code == 0, shown.output
    lines = {line.split()[0]: line for line in shown.output.splitlines() if line.strip().startswith("bucket_")}
    assert "IVF_PQ cosine, 22 partitions, 60 sub-vectors" in lines["bucket_0000"]
    assert "IVF_RQ cosine, 22 partitions, 4 bits per dimension" in lines["bucket_0001"]


@pytest.mark.parametrize("member", [3, 30 * (MEMBERS + 1) + 7], ids=["in the IVF-PQ bucket", "in the IVF-RQ bucket"])
def test_search_over_either_index_type_finds_the_known_nearest(mixed_db, service, member):
    _, rows = mixed_db
    protein, family, sequence = rows[member]
    # The configured defaults: each bucket re-ranks by its own type's refine factor.
    result = service.search(ProteinQuery(kind="sequence", value=sequence), SearchOptions(k=10))
    assert result.params.refine_factor is None
    ids, distances = _exact(rows, kmer.embed(sequence), 10)
    assert {h.id for h in result.hits} == ids
    assert np.allclose([h.distance for h in result.hits], distances, atol=1e-5)
    assert result.hits[0].id == protein and result.hits[0].identity == 100.0
    assert {h.id.split("_")[0] for h in result.hits} == {family}


def test_batch_mode_answers_as_one_query_at_a_time(mixed_db, service):
    _, rows = mixed_db
    queries = kmer.embed_many([sequence for _, _, sequence in rows[::33]])
    params = SearchParams(k=8, nprobes=3)  # few probes: approximate answers, so any difference would show
    batch = service.search_vectors(queries, params)
    singles = [service.search_vectors(q[None, :], params)[0] for q in queries]
    assert [[h.id for h in hits] for hits in batch] == [[h.id for h in hits] for hits in singles]
    for mine, theirs in zip(batch, singles, strict=True):
        assert np.allclose([h.distance for h in mine], [h.distance for h in theirs], atol=1e-6)
    assert {h.bucket for hits in batch for h in hits} == {"bucket_0000", "bucket_0001"}


def test_the_refine_factor_defaults_by_index_type_and_rabitq_bits_unless_one_is_asked_for():
    assert [SearchParams().refine_for(t) for t in ("IVF_PQ", "IVF_SQ", "IVF_FLAT", "FLAT")] == [20, 2, None, None]
    assert [SearchParams().refine_for("IVF_RQ", bits) for bits in (1, 2, 4)] == [20, 10, 5]
    assert SearchParams(refine_factor=7).refine_for("IVF_RQ", 4) == 7


def test_rabitq_bits_are_recorded_per_bucket_and_refused_elsewhere(tmp_path):
    uri = str(tmp_path / "db")
    catalog = Catalog(uri)
    ingest(catalog, [write_families(tmp_path / "a.parquet", families(count=20, members=20, seed=6))], embedder="k")
    assert index(catalog)["bucket_0000"].num_bits == DEFAULT_RQ_BITS == 4
    built = index(catalog, index_type="ivf_rq", rq_bits=1, force=True)["bucket_0000"]
    assert (built.num_bits, built.sample_rate) == (1, RQ_SAMPLE_RATE)
    (ref,) = ProteinService(uri).info().refs(None)
    assert (ref.index_type, ref.index_bits) == ("IVF_RQ", 1)
    with pytest.raises(BadInput, match="RaBitQ bits apply to ivf_rq only"):
        index(catalog, index_type="ivf_sq", rq_bits=4, force=True)
    with pytest.raises(BadInput, match="RaBitQ bits must be one of 1, 2, 4, not 3"):
        index(catalog, rq_bits=3, force=True)


def test_an_index_recorded_before_its_training_sample_was_recorded_reads_as_lancedbs_default(tmp_path):
    catalog = Catalog(str(tmp_path / "db"))
    older = asdict(IndexParams("IVF_RQ", "cosine", 22, 0, 1, 500, 1.0, "x"))
    del older["sample_rate"]
    catalog.put_meta(INDEX_KEY + "bucket_0000", older)
    assert recorded(catalog)["bucket_0000"].sample_rate == 256


def test_a_bad_index_type_gets_the_usage(tmp_path):
    result = CliRunner().invoke(proteins, ["index", "--db", str(tmp_path / "db"), "--index-type", "hnsw"])
    assert result.exit_code == 2
    assert "Usage: proteins index [OPTIONS]" in result.output
    assert "Invalid value for '--index-type': 'hnsw' is not one of" in result.output
    assert "'ivf_pq'" in result.output and "'ivf_rq'" in result.output


def test_sub_vectors_belong_to_ivf_pq_only(mixed_db):
    uri, _ = mixed_db
    with pytest.raises(BadInput, match="sub-vectors apply to ivf_pq only"):
        index(Catalog(uri), sub_vectors=4, index_type="ivf_rq", force=True)
    with pytest.raises(BadInput, match="unknown index type `hnsw`"):
        index(Catalog(uri), index_type="hnsw")


def test_buckets_prewarm_their_index_only_when_every_index_fits_the_cache():
    params = IndexParams("IVF_RQ", "cosine", 500, 0, 4, 250_000, 1.0, "x")
    # 250,000 rows of 960 4-bit codes and 72 bytes of id, factors and centroids: 138 MB each.
    assert index_bytes(params, 960) == 250_000 * (480 + 72)
    info = DatabaseInfo(
        "db",
        {"bucket_0000": 250_000, "bucket_0001": 250_000, "bucket_0002": 10},
        Embedder("m", 960),
        {"bucket_0000": params, "bucket_0001": params},
    )
    assert [ref.prewarm for ref in info.refs(None, 1024)] == [True, True, False]  # 276 MB of a 768 MiB cache
    assert not any(ref.prewarm for ref in info.refs(None, 256))  # 192 MiB of index cache: too small
    assert not any(ref.prewarm for ref in info.refs(None, 0))  # LanceDB's own cache sizes: not ours to fill

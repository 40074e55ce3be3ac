"""The offline k-mer embedder, and the sandbox's protein database built with it."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from handlers.proteins import kmer
from handlers.proteins.catalog import Catalog, Embedder
from handlers.proteins.query import ProteinQuery, SearchOptions
from handlers.proteins.service import ProteinService
from sandbox.proteins import TABLE, build_sample_database, families


@given(st.text(alphabet=kmer.AMINO_ACIDS, min_size=1, max_size=400))
def test_embeddings_are_unit_length_and_deterministic(sequence):
    vector = kmer.embed(sequence)
    assert vector.shape == (kmer.DIMENSION,) and vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert np.array_equal(vector, kmer.embed(sequence))


def test_family_members_are_closer_than_strangers():
    rows = families(count=5, members=6)
    vectors = kmer.embed_many([s for *_, s in rows])
    similarity = vectors @ vectors.T
    same = np.array([[a[1] == b[1] for b in rows] for a in rows]) & ~np.eye(len(rows), dtype=bool)
    other = np.array([[a[1] != b[1] for b in rows] for a in rows])
    assert similarity[same].min() > similarity[other].max()


def test_sample_database_records_its_embedder_and_finds_the_family_first(tmp_path):
    directory = build_sample_database(str(tmp_path / "proteins.lance"), tmp_path)
    catalog = Catalog(directory)
    assert catalog.buckets() == {TABLE: 20 * 25}
    assert catalog.embedder() == Embedder(kmer.NAME, 960)
    service = ProteinService(directory)
    try:
        result = service.search(ProteinQuery(kind="id", value="FAM007_m03"), SearchOptions(k=10))
    finally:
        service.close()
    assert {hit.id.split("_")[0] for hit in result.hits} == {"FAM007"}
    assert result.hits[0].id == "FAM007_m03" and result.hits[0].identity == 100.0

"""The offline k-mer embedder, and the sandbox's protein database built with it."""

import json

import lancedb
import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from handlers.proteins import kmer
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
    directory = build_sample_database(tmp_path / "proteins.lance")
    table = lancedb.connect(directory).open_table(TABLE)
    assert table.count_rows() == 20 * 25
    assert json.loads(table.schema.metadata[b"opsbot.embedder"]) == {"name": kmer.NAME, "dimension": 960}
    query = table.search().where("id = 'FAM007_m03'").limit(1).to_arrow()
    vector = np.array(query["embedding"][0].as_py(), dtype=np.float32)
    hits = table.search(vector).distance_type("cosine").limit(10).to_arrow()
    assert set(pa.compute.unique(hits["family"]).to_pylist()) == {"FAM007"}

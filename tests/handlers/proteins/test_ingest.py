"""Ingest: HDF5 and Parquet into buckets, the manifest, and what is refused."""

import hashlib
import struct

import blake3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.errors import BadInput
from handlers.proteins import sources
from handlers.proteins.catalog import MANIFEST, Catalog
from handlers.proteins.indexing import index, recorded
from handlers.proteins.ingest import FILE_FORMAT, ingest
from tests.handlers.proteins.conftest import gaussian, write_h5, write_parquet


def _rows(catalog, bucket):
    table = catalog.db.open_table(bucket).to_arrow()
    return table["id"].to_pylist(), np.array(table["embedding"].to_pylist(), dtype=np.float32), table


def test_hdf5_round_trips_ids_vectors_and_sequences_in_small_batches(tmp_path):
    vectors = gaussian(1_000)
    ids = [f"P{i:05d}" for i in range(1_000)]
    sequences = ["MKT" * (1 + i % 5) for i in range(1_000)]
    source = write_h5(tmp_path / "a.h5", ids, vectors, sequences)
    catalog = Catalog(str(tmp_path / "db"))
    plan = ingest(catalog, [source], embedder="amplify-350m", batch_rows=128)
    assert plan.rows == 1_000 and list(plan.buckets) == ["bucket_0000"]
    got_ids, got_vectors, table = _rows(catalog, "bucket_0000")
    assert got_ids == ids
    assert np.array_equal(got_vectors, vectors)
    assert table["sequence"].to_pylist() == sequences
    assert catalog.embedder().name == "amplify-350m"


def _file_versions(table_dir):
    """(major, minor) from each Lance data file's footer, which ends `major u16, minor u16, "LANC"`."""
    versions = set()
    for data_file in (table_dir / "data").glob("*.lance"):
        tail = data_file.read_bytes()[-8:]
        assert tail[4:] == b"LANC"
        versions.add(struct.unpack("<HH", tail[:4]))
    return versions


def test_buckets_are_written_in_lance_file_format_2_0(tmp_path):
    # Lance numbers its 2.0 format (0, 3) on disk; LanceDB's default would be (2, 2).
    source = write_h5(tmp_path / "a.h5", [f"P{i}" for i in range(500)], gaussian(500))
    catalog = Catalog(str(tmp_path / "db"))
    ingest(catalog, [source], embedder="m", batch_rows=128)
    assert FILE_FORMAT == "2.0"
    assert _file_versions(tmp_path / "db" / "bucket_0000.lance") == {(0, 3)}


def test_reingest_is_a_no_op_and_new_files_land_in_new_buckets(tmp_path):
    first = write_h5(tmp_path / "a.h5", [f"a{i}" for i in range(300)], gaussian(300, seed=1))
    catalog = Catalog(str(tmp_path / "db"))
    ingest(catalog, [first], embedder="m")
    index(catalog)
    built = recorded(catalog)["bucket_0000"]
    copy = tmp_path / "renamed.h5"
    copy.write_bytes(first.read_bytes())
    again = ingest(catalog, [first, copy], embedder="m")
    assert again.rows == 0 and [b for _, b in again.skipped] == ["bucket_0000", "bucket_0000"]
    assert catalog.buckets() == {"bucket_0000": 300}
    second = write_parquet(tmp_path / "b.parquet", [f"b{i}" for i in range(50)], gaussian(50, seed=2))
    ingest(catalog, [second], embedder="m")
    assert catalog.buckets() == {"bucket_0000": 300, "bucket_0001": 50}
    # The old bucket keeps its index; only the new one has none yet.
    assert recorded(catalog) == {"bucket_0000": built}


def test_a_new_file_is_hashed_while_written_and_copies_in_one_ingest_are_written_once(tmp_path):
    first = write_h5(tmp_path / "a.h5", [f"a{i}" for i in range(300)], gaussian(300, seed=1))
    copy = tmp_path / "copy.h5"
    copy.write_bytes(first.read_bytes())
    other = write_h5(tmp_path / "b.h5", [f"b{i}" for i in range(200)], gaussian(200, seed=2))
    catalog = Catalog(str(tmp_path / "db"))
    plan = ingest(catalog, [first, copy, other], embedder="m")
    assert plan.rows == 500
    # b.h5 shares its row count with nothing, so its hash was taken during the write; it is the content's.
    assert {(row.source, row.fingerprint, row.rows) for row in catalog.manifest()} == {
        (str(first), sources.fingerprint(first), 300),
        (str(other), sources.fingerprint(other), 200),
    }
    again = ingest(catalog, [other, copy], embedder="m")
    assert again.rows == 0 and len(again.skipped) == 2


# The prints older manifests hold: SHA-256 (prefixed), and before it a bare 128-bit BLAKE2b hex digest.
OLDER_PRINTS = {
    "sha256": lambda data: "sha256:" + hashlib.sha256(data).hexdigest(),
    "blake2b": lambda data: hashlib.blake2b(data, digest_size=16).hexdigest(),
}


@pytest.mark.parametrize("scheme", sorted(OLDER_PRINTS))
def test_a_file_printed_by_an_older_opsbot_is_still_known(tmp_path, scheme):
    old = write_h5(tmp_path / "old.h5", [f"o{i}" for i in range(120)], gaussian(120, seed=3))
    catalog = Catalog(str(tmp_path / "db"))
    ingest(catalog, [old], embedder="m")
    older = OLDER_PRINTS[scheme](old.read_bytes())
    catalog.db.open_table(MANIFEST).update(values={"fingerprint": older})
    assert [row.fingerprint for row in catalog.manifest()] == [older]
    renamed = tmp_path / "renamed.h5"
    renamed.write_bytes(old.read_bytes())
    again = ingest(catalog, [renamed], embedder="m")
    assert again.rows == 0 and again.skipped == [(renamed, "bucket_0000")]
    assert sources.fingerprint(renamed) == "blake3:" + blake3.blake3(old.read_bytes()).hexdigest()


def test_one_pass_gives_the_print_in_every_scheme_asked_for(tmp_path):
    path = write_h5(tmp_path / "f.h5", [f"f{i}" for i in range(50)], gaussian(50, seed=4))
    data = path.read_bytes()
    # A chunk smaller than the file, so the digests are fed in several reads.
    prints = sources.fingerprints(path, ["sha256:", ""], chunk=4096)
    assert prints == [
        "blake3:" + blake3.blake3(data).hexdigest(),
        OLDER_PRINTS["sha256"](data),
        OLDER_PRINTS["blake2b"](data),
    ]
    assert [sources.scheme(p) for p in prints] == ["blake3:", "sha256:", ""]


def test_files_are_packed_best_fit(tmp_path):
    files = [
        write_h5(tmp_path / f"{name}.h5", [f"{name}{i}" for i in range(rows)], gaussian(rows, 8, seed=rows))
        for name, rows in (("big", 300), ("mid", 120), ("small", 80))
    ]
    catalog = Catalog(str(tmp_path / "db"))
    plan = ingest(catalog, files, embedder="m", bucket_rows=400, workers=2)
    assert {b: sorted(f.path.name for f in fs) for b, fs in plan.buckets.items()} == {
        "bucket_0000": ["big.h5", "small.h5"],
        "bucket_0001": ["mid.h5"],
    }
    assert catalog.buckets() == {"bucket_0000": 380, "bucket_0001": 120}


def test_vectors_from_another_embedder_or_dimension_are_refused(tmp_path):
    catalog = Catalog(str(tmp_path / "db"))
    ingest(catalog, [write_h5(tmp_path / "a.h5", ["a"], gaussian(1, 16))], embedder="model-a")
    with pytest.raises(BadInput, match="from `model-a`"):
        ingest(catalog, [write_h5(tmp_path / "b.h5", ["b"], gaussian(1, 16, seed=3))], embedder="model-b")
    with pytest.raises(BadInput, match="16-dimensional"):
        ingest(catalog, [write_h5(tmp_path / "c.h5", ["c"], gaussian(1, 32))], embedder="model-a")
    assert catalog.buckets() == {"bucket_0000": 1}


def test_malformed_files_get_a_clear_answer(tmp_path):
    catalog = Catalog(str(tmp_path / "db"))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(BadInput, match="not an HDF5"):
        ingest(catalog, [text], embedder="m")
    import h5py

    with h5py.File(tmp_path / "bad.h5", "w") as handle:
        handle["id"] = np.array([b"x", b"y"])
        handle["embedding"] = np.zeros((3, 4), np.float32)
    with pytest.raises(BadInput, match="different lengths"):
        ingest(catalog, [tmp_path / "bad.h5"], embedder="m")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_an_embedding_that_is_not_numbers_is_refused_by_its_row(tmp_path, bad):
    vectors = gaussian(300, 16)
    vectors[250, 5] = bad
    catalog = Catalog(str(tmp_path / "db"))
    # Batches of 100 rows: the bad row is in the third, and named by its place in the file.
    with pytest.raises(BadInput, match=r"row 250 \(id `p250`\) is missing or holds NaN or infinite"):
        ingest(
            catalog,
            [write_h5(tmp_path / "bad.h5", [f"p{i}" for i in range(300)], vectors)],
            embedder="m",
            batch_rows=100,
        )
    assert catalog.buckets() == {} and catalog.manifest() == []


def test_a_missing_embedding_in_parquet_is_refused_by_its_row(tmp_path):
    path = tmp_path / "gap.parquet"
    embeddings = [list(map(float, v)) for v in gaussian(3, 8)]
    embeddings[1] = None
    pq.write_table(pa.table({"id": ["a", "b", "c"], "embedding": embeddings}), path)
    with pytest.raises(BadInput, match=r"row 1 \(id `b`\) is missing"):
        ingest(Catalog(str(tmp_path / "db")), [path], embedder="m")


def test_a_half_written_bucket_is_replaced_not_searched(tmp_path):
    catalog = Catalog(str(tmp_path / "db"))
    # What a crash between writing a bucket and recording it leaves: a table no manifest row names.
    catalog.db.create_table("bucket_0000", data=[{"id": "ghost", "embedding": [0.0] * 4}])
    ingest(catalog, [write_h5(tmp_path / "a.h5", ["a", "b"], gaussian(2, 4))], embedder="m")
    ids, _, _ = _rows(catalog, "bucket_0000")
    assert ids == ["a", "b"]

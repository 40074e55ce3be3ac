"""The Ray executor (a Ray instance started on this machine) gives exactly what the default executor gives."""

import os
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.errors import BadInput
from handlers.proteins.catalog import Catalog
from handlers.proteins.executors import LocalExecutor, make_executor
from handlers.proteins.indexing import index, recorded
from handlers.proteins.ingest import ingest
from handlers.proteins.query import ProteinQuery, SearchOptions
from handlers.proteins.search import SearchParams
from handlers.proteins.service import ProteinService
from tests.handlers.proteins.conftest import gaussian, write_h5

# Lance trains an IVF partition on at least 256 vectors: 1,024 rows a bucket give all 4 partitions.
ROWS, DIMENSION, BUCKETS = 1024, 32, 3


@pytest.fixture(scope="module")
def ray_executor():
    """One local Ray instance for the module (starting one takes a few seconds)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'opsbot[ray]')")
    executor = make_executor("ray")
    yield executor
    ray.shutdown()


def _files(tmp_path):
    """Three HDF5 files, one bucket each."""
    vectors = gaussian(ROWS * BUCKETS, DIMENSION, seed=11)
    ids = [f"p{i:04d}" for i in range(ROWS * BUCKETS)]
    sequences = ["MKT" + "AC"[i % 2] * (i % 7 + 1) for i in range(ROWS * BUCKETS)]
    files = []
    for n in range(BUCKETS):
        part = slice(n * ROWS, (n + 1) * ROWS)
        files.append(write_h5(tmp_path / f"part{n}.h5", ids[part], vectors[part], sequences[part]))
    return files, vectors


def _build(path, files, executor):
    catalog = Catalog(str(path))
    seen: dict[str, int] = {}

    def progress(bucket: str, rows: int) -> None:
        seen[bucket] = seen.get(bucket, 0) + rows

    ingest(catalog, files, embedder="gauss", bucket_rows=ROWS, batch_rows=256, progress=progress, executor=executor)
    built = index(catalog, partitions=4, sub_vectors=4, index_type="ivf_pq", executor=executor)
    return catalog, seen, built


def _tables(catalog):
    return {b: catalog.db.open_table(b).to_arrow().sort_by("id") for b in catalog.buckets()}


def test_ray_ingest_and_index_match_the_default_executor(tmp_path, ray_executor):
    files, _ = _files(tmp_path)
    local, local_progress, local_built = _build(tmp_path / "local", files, LocalExecutor(workers=2))
    remote, remote_progress, remote_built = _build(tmp_path / "ray", files, ray_executor)

    assert sorted(remote.manifest(), key=str) == sorted(local.manifest(), key=str)
    assert remote.buckets() == local.buckets() == {f"bucket_{n:04d}": ROWS for n in range(BUCKETS)}
    # In-process writes report each batch; Ray workers report each bucket when written: the totals agree.
    assert remote_progress == local_progress == remote.buckets()
    for bucket, table in _tables(local).items():
        assert _tables(remote)[bucket].equals(table)

    def params(built):
        return {b: {k: v for k, v in asdict(p).items() if k not in ("seconds", "built_at")} for b, p in built.items()}

    assert params(remote_built) == params(local_built)
    assert params(recorded(remote)) == params(recorded(local)) == params(local_built)
    assert {p.type for p in recorded(remote).values()} == {"IVF_PQ"}
    assert remote.embedder() == local.embedder()


@pytest.fixture(scope="module")
def indexed_db(tmp_path_factory, ray_executor):
    """A three-bucket IVF-PQ database, built once."""
    path = tmp_path_factory.mktemp("proteins")
    files, vectors = _files(path)
    _build(path / "db", files, LocalExecutor(workers=2))
    return str(path / "db"), vectors


def test_ray_search_returns_exactly_the_default_executors_results(indexed_db, ray_executor):
    uri, vectors = indexed_db
    local = ProteinService(uri, embedder="gauss")
    remote = ProteinService(uri, embedder="gauss", executor=ray_executor)
    try:
        queries = np.concatenate([gaussian(12, DIMENSION, seed=13), vectors[[5, 1500, 3000]]])
        # A few probes and a modest refine keep the answers approximate, so they show the same index was read.
        for params in (SearchParams(k=10, nprobes=1, refine_factor=1), SearchParams(k=25, nprobes=4, refine_factor=5)):
            mine = local.search_vectors(queries, params)
            theirs = remote.search_vectors(queries, params)
            assert [[(h.id, h.distance, h.bucket, h.sequence) for h in hits] for hits in theirs] == [
                [(h.id, h.distance, h.bucket, h.sequence) for h in hits] for hits in mine
            ]
            assert all(len(hits) == params.k for hits in mine)
            assert {h.bucket for hits in mine for h in hits} == {f"bucket_{n:04d}" for n in range(BUCKETS)}
        for name in ("p0005", "p1500", "p3000"):
            by_id = [s.search(ProteinQuery(kind="id", value=name), SearchOptions(k=8)) for s in (local, remote)]
            assert by_id[0].hits == by_id[1].hits
            assert by_id[0].hits[0].id == name
    finally:
        local.close()
        remote.close()


@pytest.mark.parametrize("kind", ["local", "ray"])
def test_a_failing_bucket_keeps_the_others_and_reports_its_own_error(tmp_path, kind, request):
    executor = LocalExecutor(workers=2) if kind == "local" else request.getfixturevalue("ray_executor")
    good = write_h5(tmp_path / "good.h5", ["a", "b"], gaussian(2, 4))
    bad = tmp_path / "bad.parquet"
    # The first row sets the dimension; a later batch breaks it, which only the bucket's writer finds.
    pq.write_table(pa.table({"id": ["x", "y", "z"], "embedding": [[0.0] * 4, [1.0] * 4, [1.0] * 3]}), bad)
    catalog = Catalog(str(tmp_path / "db"))
    with pytest.raises(BadInput, match="every embedding must have 4 numbers"):
        ingest(catalog, [good, bad], embedder="gauss", bucket_rows=3, batch_rows=1, executor=executor)
    assert [(r.source, r.rows) for r in catalog.manifest()] == [(str(good), 2)]


def test_an_unknown_executor_is_refused():
    with pytest.raises(BadInput, match="unknown protein executor 'dask'"):
        make_executor("dask")


def _proteins(*args, env):
    command = [sys.executable, "-m", "opsbot", "proteins", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_cli_runs_the_search_on_ray_by_setting_and_the_flag_overrides_it(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'opsbot[ray]')")
    files, vectors = _files(tmp_path)
    env = {**os.environ, "OPSBOT_PROTEIN_DB": str(tmp_path / "db")}
    ingested = _proteins("ingest", *map(str, files), "--embedder", "gauss", "--bucket-rows", str(ROWS), env=env)
    assert "ingested 3,072 vectors into 3 new buckets" in ingested.stdout
    assert (
        "indexed 3 buckets"
        in _proteins("index", "--index-type", "ivf_pq", "--partitions", "4", "--sub-vectors", "4", env=env).stdout
    )
    np.save(tmp_path / "q.npy", vectors[::97])
    search = ("search", "--vectors", str(tmp_path / "q.npy"), "-k", "7", "--nprobes", "1", "--refine", "1")
    env["OPSBOT_PROTEIN_EXECUTOR"] = "ray"
    local = _proteins(*search, "--out", str(tmp_path / "local.csv"), "--executor", "local", env=env)
    remote = _proteins(*search, "--out", str(tmp_path / "ray.csv"), env=env)
    assert "Started a local Ray instance" in remote.stderr
    assert "Ray" not in local.stderr
    rows = (tmp_path / "local.csv").read_text().splitlines()
    assert len(rows) == 1 + 7 * len(vectors[::97])
    assert (tmp_path / "ray.csv").read_text().splitlines() == rows

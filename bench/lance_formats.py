"""Lance file formats for protein buckets: ingest, scan, index build and query on each, same data, same run.

`handlers/proteins/ingest.py` writes buckets in Lance's 2.0 file format rather than LanceDB's default
(2.2 in LanceDB 0.40). This measures why: ROWS x DIM float32 vectors from a Gaussian mixture (as
`bench/proteins.py`), one HDF5 file, ingested by our path into one bucket per format, then for each:

- ingest: seconds and rows/s of `ingest()` (the disk synced first, so no format pays for another's
  write-back), and the bucket's size on disk;
- scan: seconds to read every vector back (what an index build's training and assignment read);
- index: seconds to build the default index (`indexing.DEFAULT_INDEX_TYPE`);
- query: recall@10 against exact cosine search and p50/p95 single-query latency at the bot's defaults.

The first format listed is the baseline. Prints one JSON document.

`python bench/lance_formats.py --rows 1000000 --formats 2.2,2.0 --queries 100`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.proteins import exact, mixture, one_at_a_time, percentiles, recall  # noqa: E402
from handlers.proteins.catalog import Catalog  # noqa: E402
from handlers.proteins.indexing import DEFAULT_INDEX_TYPE, index  # noqa: E402
from handlers.proteins.ingest import ingest  # noqa: E402
from handlers.proteins.search import SearchParams  # noqa: E402
from handlers.proteins.service import ProteinService  # noqa: E402

K = 10
CHUNK = 50_000


def write_h5(path: Path, rows: int, dim: int, centers: np.ndarray) -> np.ndarray:
    """The reference's layout (`id`, `embedding`); returns the vectors at unit length, for the ground truth."""
    unit = np.empty((rows, dim), dtype=np.float32)
    with h5py.File(path, "w") as handle:
        ids = handle.create_dataset("id", (rows,), dtype=h5py.string_dtype())
        vectors = handle.create_dataset("embedding", (rows, dim), dtype=np.float32)
        for start in range(0, rows, CHUNK):
            stop = min(start + CHUNK, rows)
            block = mixture(stop - start, dim, start, centers)
            ids[start:stop] = [f"P{i:09d}" for i in range(start, stop)]
            vectors[start:stop] = block
            unit[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return unit


def size_on_disk(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def measure(file_format: str, source: Path, db: Path, queries: np.ndarray, truth: np.ndarray) -> dict:
    os.sync()
    catalog = Catalog(str(db))
    started = time.perf_counter()
    plan = ingest(catalog, [source], embedder="bench-gauss", file_format=file_format)
    ingest_s = time.perf_counter() - started
    bucket = catalog.db.open_table("bucket_0000")
    started = time.perf_counter()
    scanned = bucket.to_arrow().column("embedding").length()
    scan_s = time.perf_counter() - started
    started = time.perf_counter()
    index(catalog)
    index_s = time.perf_counter() - started
    service = ProteinService(str(db))
    try:
        params = SearchParams(k=K)
        service.search_vectors(queries[:5], params)  # open the table, warm the caches
        found, times = one_at_a_time(service, queries, params)
    finally:
        service.close()
    return {
        "format": file_format,
        "ingest_s": round(ingest_s, 2),
        "ingest_rows_per_s": round(plan.rows / ingest_s),
        "bucket_mib": round(size_on_disk(db / "bucket_0000.lance") / 2**20, 1),
        "scan_s": round(scan_s, 2),
        "scanned_rows": scanned,
        f"index_{DEFAULT_INDEX_TYPE}_s": round(index_s, 2),
        "recall@10": round(recall(found, truth), 4),
        **percentiles(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=960)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--formats", default="2.2,2.0", help="Lance file formats, the baseline first.")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    centers = np.random.default_rng(42).standard_normal((args.clusters, args.dim)).astype(np.float32)
    work = Path(tempfile.mkdtemp(prefix="bench-lance-formats-", dir=args.workdir))
    try:
        source = work / "all.h5"
        data = write_h5(source, args.rows, args.dim, centers)
        queries = mixture(args.queries, args.dim, 10**9, centers)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        truth, _ = exact(data, queries)
        del data
        results = []
        for file_format in args.formats.split(","):
            results.append(measure(file_format, source, work / f"db-{file_format}", queries, truth))
            shutil.rmtree(work / f"db-{file_format}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    baseline = results[0]
    report = {
        "rows": args.rows,
        "dim": args.dim,
        "queries": args.queries,
        "cpus": os.cpu_count(),
        "baseline": baseline["format"],
        "formats": results,
        "vs_baseline": {
            r["format"]: {
                "ingest_speedup": round(baseline["ingest_s"] / r["ingest_s"], 2),
                "scan_speedup": round(baseline["scan_s"] / r["scan_s"], 2),
                "index_speedup": round(
                    baseline[f"index_{DEFAULT_INDEX_TYPE}_s"] / r[f"index_{DEFAULT_INDEX_TYPE}_s"], 2
                ),
            }
            for r in results[1:]
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

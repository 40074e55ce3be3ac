"""`opsbot proteins index`: an IVF vector index on cosine distance per bucket, of the type asked for.

The type is recorded per bucket (its `IndexParams` in the catalog's metadata), so a database may hold
buckets of several types and each is searched the way its type needs (see `SearchParams.refine_for`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import lancedb
from lancedb.index import BTree, IvfFlat, IvfPq, IvfRq, IvfSq

from bot.errors import BadInput
from handlers.proteins.catalog import Catalog, now
from handlers.proteins.executors import BucketExecutor, BucketRef, LocalExecutor, bucket_ref
from handlers.proteins.sources import EMBEDDING, ID

INDEX_KEY = "index/"
# PQ trains 256 centroids per sub-vector; with fewer rows than that, exact search is both right and fast.
MIN_ROWS_FOR_PQ = 256
# The vector indexes LanceDB 0.40 builds on cosine distance at any dimension, by the name the CLI takes.
# Left out, and not measured: the HNSW variants, which add a graph per partition on top of these codes (more
# to build and hold for buckets of up to 200M rows), and hamming-only or scalar indexes.
INDEX_TYPES = ("ivf_pq", "ivf_rq", "ivf_sq", "ivf_flat")
# Chosen from `bench/proteins.py --compare-index-types` (README, proteins section): at 100,000 x 960 IVF-RQ
# (4 bits) builds 8-10x faster than IVF-PQ and reaches its recall@10 at about half its p50 (refine 2
# against 20). IVF-SQ is as quick to search, but its byte per dimension makes the index twice 4-bit
# RaBitQ's: more to hold and read for 200M-row buckets on S3.
DEFAULT_INDEX_TYPE = "ivf_rq"
# RaBitQ's bits per dimension, the ones measured (`bench/proteins.py --rq-bits N`). LanceDB's default is
# 1; at 1,000,000 x 960 that needs refine 20 (200 rows re-read) for recall@10 0.98. 4 bits rank well enough
# that refine 5 reaches 1.0 (2: 0.99 on one bucket): a quarter of the re-ranking reads, each one a GET on
# S3, for an index 4x larger (480 bytes a row at 960 dimensions, half IVF-SQ's).
RQ_BITS_CHOICES = (1, 2, 4)
DEFAULT_RQ_BITS = 4
# Vectors per partition IVF-RQ's k-means trains on (LanceDB's default 256). Training is most of a build: at
# 1,000,000 x 960 and 1,000 partitions (`bench/proteins.py`), 4 bits built in 86.5 s at 256 against FAISS
# IVF-PQ train+add's 79.0 s, and in 67.8 s at 64 against FAISS's 83.5 s in another run, recall@10 at
# nprobes 20, refine 5 1.0 and 0.9995.
RQ_SAMPLE_RATE = 64


@dataclass(frozen=True)
class IndexParams:
    """What one bucket's vector index was built with."""

    type: str
    metric: str
    num_partitions: int
    num_sub_vectors: int
    num_bits: int
    rows: int
    seconds: float
    built_at: str
    # Training vectors per partition; indexes recorded before it was chosen were built with LanceDB's 256.
    sample_rate: int = 256


# Per indexed row, besides its codes: the row id, RaBitQ's correction factors, and a share of the centroids
# and rotation. Measured with LanceDB 0.40 as the session's `size_bytes` after `prewarm_index` on 960
# dimensions: 548 bytes a row at 4 bits (480 of codes; 100,000 and 250,000 rows), 183 at 1 bit (120).
INDEX_ROW_OVERHEAD = 72


def index_bytes(params: IndexParams, dimension: int) -> int:
    """About what a bucket's vector index holds in memory: its rows' codes and ids (centroids are small)."""
    code_bits = params.num_sub_vectors * params.num_bits if params.type == "IVF_PQ" else dimension * params.num_bits
    return params.rows * (code_bits // 8 + INDEX_ROW_OVERHEAD)


def default_partitions(rows: int) -> int:
    """The reference's rule: the square root of the rows."""
    return max(1, int(math.sqrt(rows)))


def default_sub_vectors(dimension: int) -> int:
    """The reference's rule, dimension / 16, lowered to a divisor of the dimension as PQ needs."""
    wanted = max(1, dimension // 16)
    return next(n for n in range(wanted, 0, -1) if dimension % n == 0)


def default_workers(buckets: int) -> int:
    """Buckets built at once: Lance's k-means already uses several threads, so about one build per 4 cores."""
    return max(1, min(buckets, (os.cpu_count() or 1) // 4))


def vector_index(
    index_type: str, partitions: int, sub_vectors: int, rq_bits: int = DEFAULT_RQ_BITS
) -> tuple[Any, IndexParams]:
    """LanceDB's config for an index type, and the parameters recorded for it (rows and timing still unset)."""
    if index_type == "ivf_pq":
        config: Any = IvfPq(distance_type="cosine", num_partitions=partitions, num_sub_vectors=sub_vectors)
        return config, IndexParams("IVF_PQ", "cosine", partitions, sub_vectors, 8, 0, 0.0, "")
    if index_type == "ivf_rq":
        config = IvfRq(distance_type="cosine", num_partitions=partitions, num_bits=rq_bits, sample_rate=RQ_SAMPLE_RATE)
        return config, IndexParams("IVF_RQ", "cosine", partitions, 0, rq_bits, 0, 0.0, "", RQ_SAMPLE_RATE)
    if index_type == "ivf_sq":
        config = IvfSq(distance_type="cosine", num_partitions=partitions)
        return config, IndexParams("IVF_SQ", "cosine", partitions, 0, 8, 0, 0.0, "")
    if index_type == "ivf_flat":
        config = IvfFlat(distance_type="cosine", num_partitions=partitions)
        return config, IndexParams("IVF_FLAT", "cosine", partitions, 0, 32, 0, 0.0, "")
    raise BadInput(f"unknown index type `{index_type}`: use one of {', '.join(INDEX_TYPES)}")


def index_bucket(
    ref: BucketRef,
    rows: int,
    dimension: int,
    partitions: int | None,
    sub_vectors: int | None,
    index_type: str = DEFAULT_INDEX_TYPE,
    rq_bits: int = DEFAULT_RQ_BITS,
) -> IndexParams:
    """Build the bucket's vector (cosine) and id indexes (the table opened by URI, so any worker can)."""
    table = lancedb.connect(ref.uri, storage_options=ref.options).open_table(ref.name)
    started = time.perf_counter()
    # Lookups by protein id would otherwise scan every bucket.
    table.create_index(ID, config=BTree(), replace=True)
    if rows < MIN_ROWS_FOR_PQ:
        params = IndexParams("FLAT", "cosine", 0, 0, 0, rows, 0.0, now())
    else:
        nparts = partitions or default_partitions(rows)
        nsub = sub_vectors or default_sub_vectors(dimension)
        config, params = vector_index(index_type, nparts, nsub, rq_bits)
        table.create_index(EMBEDDING, config=config, replace=True)
        params = IndexParams(**{**asdict(params), "rows": rows})
    # built_at is part of the bucket's generation, which tells searching processes to refresh their table:
    # to the microsecond, so that two builds within one second still differ.
    return IndexParams(
        **{**asdict(params), "seconds": round(time.perf_counter() - started, 3), "built_at": now("microseconds")}
    )


def index(
    catalog: Catalog,
    *,
    partitions: int | None = None,
    sub_vectors: int | None = None,
    force: bool = False,
    index_type: str = DEFAULT_INDEX_TYPE,
    rq_bits: int | None = None,
    workers: int | None = None,
    done: Callable[[str, IndexParams], None] | None = None,
    executor: BucketExecutor | None = None,
) -> dict[str, IndexParams]:
    """Index every bucket that has no index yet (all with `force`), several buckets at once.

    `executor` runs the builds (default: threads here); each bucket's parameters, its index type among them,
    are recorded as it finishes.
    """
    if index_type not in INDEX_TYPES:
        raise BadInput(f"unknown index type `{index_type}`: use one of {', '.join(INDEX_TYPES)}")
    if sub_vectors is not None and index_type != "ivf_pq":
        raise BadInput("sub-vectors apply to ivf_pq only")
    if rq_bits is not None and index_type != "ivf_rq":
        raise BadInput("RaBitQ bits apply to ivf_rq only")
    if rq_bits is not None and rq_bits not in RQ_BITS_CHOICES:
        raise BadInput(f"RaBitQ bits must be one of {', '.join(map(str, RQ_BITS_CHOICES))}, not {rq_bits}")
    if (partitions is not None and partitions < 1) or (sub_vectors is not None and sub_vectors < 1):
        raise BadInput("partitions and sub-vectors must be at least 1")
    buckets = catalog.require()
    embedder = catalog.embedder()
    dimension = embedder.dimension if embedder else 0
    if sub_vectors is not None and dimension and dimension % sub_vectors:
        raise BadInput(f"sub-vectors must divide the dimension {dimension}; {sub_vectors} does not")
    meta = catalog.meta()
    todo = {b: rows for b, rows in buckets.items() if force or INDEX_KEY + b not in meta}
    built: dict[str, IndexParams] = {}
    if not todo:
        return built
    executor = executor or LocalExecutor(workers or default_workers(len(todo)))
    jobs = {
        b: (
            bucket_ref(catalog.uri, b, catalog.storage_options),
            rows,
            dimension,
            partitions,
            sub_vectors,
            index_type,
            rq_bits or DEFAULT_RQ_BITS,
        )
        for b, rows in todo.items()
    }
    for bucket, params in executor.each(index_bucket, jobs):
        catalog.put_meta(INDEX_KEY + bucket, asdict(params))
        built[bucket] = params
        if done:
            done(bucket, params)
    return dict(sorted(built.items()))


def recorded(catalog: Catalog) -> dict[str, IndexParams]:
    """The index parameters recorded per bucket."""
    return {
        key.removeprefix(INDEX_KEY): IndexParams(**value)
        for key, value in catalog.meta().items()
        if key.startswith(INDEX_KEY)
    }

"""Nearest proteins across every bucket: one query per bucket, all at once (LanceDB's async API or Ray), merged.

As in the reference, each bucket returns its own top k by cosine distance and the global answer is the
k smallest of those; a bucket's k nearest always include its share of the global k nearest, so merging
loses nothing the per-bucket searches found.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
import structlog

from handlers.proteins.executors import BucketExecutor, BucketRef, LocalExecutor
from handlers.proteins.sources import EMBEDDING, ID, SEQUENCE

log = structlog.get_logger(__name__)

DISTANCE = "_distance"
QUERY_INDEX = "query_index"


# Re-ranking by exact distance, per index type, when the user or the settings name no refine factor: the
# smallest that `bench/proteins.py --compare-index-types` found reaching recall@10 1.0 at nprobes 20 on
# 100,000 x 960 (Gaussian mixture; k-mer families saturate earlier). PQ's 60 one-byte codes rank coarsely
# (refine 10: 0.995), SQ's byte per dimension closely (refine 1: 0.97). IVF_FLAT and unindexed buckets keep
# exact distances and need none.
DEFAULT_REFINE = {"IVF_PQ": 20, "IVF_SQ": 2}
# RaBitQ by its bits per dimension, from `bench/proteins.py`. 1 bit at 1,000,000 x 960: refine 10 reaches
# recall@10 0.92, 20 reaches 0.98. 4 bits, refine 2: 0.9925-0.997 there (5: 1.0), 0.9955 at 100,000, and on
# k-mer families 0.9855, what nprobes 20 allows at any refine. On S3 each re-read row is a GET: four warm
# buckets of 250,000 made 157 GETs a query at refine 2 (p50 174 ms) against 261 at 5 (1,189 ms on the
# emulator, `bench/proteins_s3.py`).
RQ_REFINE = {1: 20, 2: 10, 4: 2}


@dataclass(frozen=True)
class SearchParams:
    """How many neighbours, and how hard each bucket's index looks (refine None: its index's default)."""

    k: int = 10
    nprobes: int = 20
    refine_factor: int | None = None

    def refine_for(self, index_type: str, bits: int = 0) -> int | None:
        """The refine factor for a bucket with this index (type, and bits per dimension for RaBitQ): the one
        asked for, else the index's default."""
        if self.refine_factor is not None:
            return self.refine_factor
        if index_type == "IVF_RQ":
            return RQ_REFINE.get(bits, max(RQ_REFINE.values()))
        return DEFAULT_REFINE.get(index_type)


@dataclass(frozen=True)
class Hit:
    """One neighbour: cosine distance to the query, where it lives, and identity when sequences are stored."""

    id: str
    distance: float
    bucket: str
    sequence: str | None = None
    identity: float | None = None

    def with_identity(self, identity: float | None) -> Hit:
        """This hit with its percent identity to the query."""
        return replace(self, identity=identity)


@dataclass(frozen=True)
class StoredProtein:
    """A protein found by id: its vector and, when stored, its sequence."""

    id: str
    bucket: str
    vector: np.ndarray
    sequence: str | None


# LanceDB's caches live in a session: the index cache keeps IVF centroids and the PQ codes of partitions
# already probed, the metadata cache the manifests and data-file footers. Without them every query reads
# those again from object storage (about 100 GETs per bucket on S3). One session per process and size,
# shared by every bucket table, so the setting bounds the whole process, not each table.
_SESSIONS: dict[int, lancedb.Session] = {}
# A connection per database, opened once: it carries the session and the object store's HTTP client.
_CONNECTIONS: dict[tuple[Any, ...], Any] = {}
# Bucket tables opened in this process (the bot's, or a Ray worker's), reused across queries: (uri, name,
# storage options) -> (generation, table, has a sequence column). A new generation moves the same table to
# the bucket's newest version instead of opening it again, so what the caches hold for unchanged files stays.
_OPEN: dict[tuple[Any, ...], tuple[str, Any, bool]] = {}
# Of the cache budget, the index cache gets this share: PQ codes are what queries read most.
INDEX_CACHE_SHARE = 0.75


def session(cache_mb: int) -> lancedb.Session | None:
    """The process's LanceDB session for this cache budget (None: LanceDB's defaults, 6 GiB + 1 GiB)."""
    if cache_mb <= 0:
        return None
    if cache_mb not in _SESSIONS:
        budget = cache_mb * 1024 * 1024
        index_bytes = index_cache_bytes(cache_mb)
        _SESSIONS[cache_mb] = lancedb.Session(
            index_cache_size_bytes=index_bytes, metadata_cache_size_bytes=budget - index_bytes
        )
    return _SESSIONS[cache_mb]


def index_cache_bytes(cache_mb: int) -> int:
    """The index cache's share of a process's cache budget."""
    return int(cache_mb * 1024 * 1024 * INDEX_CACHE_SHARE)


async def _connection(ref: BucketRef) -> Any:
    key = (ref.uri, ref.storage_options, ref.cache_mb)
    if key not in _CONNECTIONS:
        _CONNECTIONS[key] = await lancedb.connect_async(
            ref.uri, storage_options=ref.options, session=session(ref.cache_mb)
        )
    return _CONNECTIONS[key]


async def _latest(table: Any, generation: str) -> tuple[str, Any, bool] | None:
    """The cached table moved to its newest version, or None when it cannot be (dropped and written anew)."""
    try:
        await table.checkout_latest()
        return generation, table, SEQUENCE in (await table.schema()).names
    except Exception:  # whatever LanceDB raises for a table that is gone: the caller opens it afresh
        return None


async def open_bucket(ref: BucketRef) -> tuple[Any, bool]:
    """The bucket's async table and whether it stores sequences: opened once per process, moved to the newest
    version when the generation changes."""
    key = (ref.uri, ref.name, ref.storage_options, ref.cache_mb)
    cached = _OPEN.get(key)
    if cached is not None and cached[0] != ref.generation:
        cached = await _latest(cached[1], ref.generation)
    if cached is None:
        table = await (await _connection(ref)).open_table(ref.name)
        cached = (ref.generation, table, SEQUENCE in (await table.schema()).names)
    if ref.prewarm and _OPEN.get(key, (None,))[0] != cached[0]:
        await _prewarm(cached[1])
    _OPEN[key] = cached
    return cached[1], cached[2]


async def _prewarm(table: Any) -> None:
    """Load the table's vector index into the cache: its partitions are then read once per process, not by
    the first queries that probe each (on S3, a GET each)."""
    try:
        for index in await table.list_indices():
            if EMBEDDING in index.columns:
                await table.prewarm_index(index.name)
    except Exception:  # queries still work, reading partitions as they go; say why once
        log.warning("protein_index_prewarm_failed", exc_info=True)


async def lookup_bucket(ref: BucketRef, protein_id: str) -> StoredProtein | None:
    """One bucket's row with this id (ids are validated by the caller: no quotes reach the filter)."""
    table, has_sequence = await open_bucket(ref)
    columns = [ID, EMBEDDING, *([SEQUENCE] if has_sequence else [])]
    rows = (await table.query().where(f"{ID} = '{protein_id}'").select(columns).limit(1).to_arrow()).to_pylist()
    if not rows:
        return None
    row = rows[0]
    return StoredProtein(row[ID], ref.name, np.asarray(row[EMBEDDING], np.float32), row.get(SEQUENCE))


async def search_bucket(ref: BucketRef, vectors: np.ndarray, params: SearchParams) -> pa.Table:
    """One bucket's top k for each query vector."""
    table, has_sequence = await open_bucket(ref)
    # Many vectors go in one request: LanceDB runs them together and tags each row with its query_index.
    target = vectors[0] if len(vectors) == 1 else list(vectors)
    query = table.query().nearest_to(target).column(EMBEDDING).distance_type("cosine").nprobes(params.nprobes)
    refine = params.refine_for(ref.index_type, ref.index_bits)
    if refine is not None:
        query = query.refine_factor(refine)
    return await query.limit(params.k).select([ID, *([SEQUENCE] if has_sequence else []), DISTANCE]).to_arrow()


class BucketSearcher:
    """The fan-out: every bucket's query through the executor, then the merge."""

    def __init__(self, executor: BucketExecutor | None = None) -> None:
        self.executor = executor or LocalExecutor()

    async def lookup(self, buckets: list[BucketRef], protein_id: str) -> StoredProtein | None:
        """The stored protein with this id, looked up in every bucket at once."""
        found = await self.executor.gather(lookup_bucket, buckets, protein_id)
        return next((f for f in found if f is not None), None)

    async def search(self, buckets: list[BucketRef], vectors: np.ndarray, params: SearchParams) -> list[list[Hit]]:
        """The global top k for each query vector (rows of `vectors`), every bucket queried concurrently."""
        parts = await self.executor.gather(search_bucket, buckets, vectors, params)
        return merge([(ref.name, part) for ref, part in zip(buckets, parts, strict=True)], len(vectors), params.k)


def merge(parts: list[tuple[str, pa.Table]], queries: int, k: int) -> list[list[Hit]]:
    """Each query's k smallest distances over all buckets' answers (ties broken by id, for a stable order)."""
    ids: list[str] = []
    distances: list[float] = []
    query_of: list[int] = []
    bucket_of: list[str] = []
    sequences: list[str | None] = []
    for bucket, table in parts:
        n = table.num_rows
        ids += table[ID].to_pylist()
        distances += table[DISTANCE].to_pylist()
        query_of += table[QUERY_INDEX].to_pylist() if QUERY_INDEX in table.column_names else [0] * n
        bucket_of += [bucket] * n
        sequences += table[SEQUENCE].to_pylist() if SEQUENCE in table.column_names else [None] * n
    results: list[list[Hit]] = [[] for _ in range(queries)]
    if not ids:
        return results
    order = np.lexsort((np.array(ids), np.array(distances), np.array(query_of)))
    for i in order:
        hits = results[query_of[i]]
        if len(hits) < k:
            hits.append(Hit(ids[i], float(distances[i]), bucket_of[i], sequences[i]))
    return results
